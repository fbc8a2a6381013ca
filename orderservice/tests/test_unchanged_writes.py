"""A change that changes nothing writes nothing: no `updated_at`, no event, no stock movement; the answer is the
unchanged object with the ETag GET shows."""

import pytest

from orderservice.models import OutboxEvent
from orderservice.testing.factories import CustomerFactory, ProductFactory, place_order
from products.models import StockMovement

pytestmark = pytest.mark.django_db


def written_rows() -> tuple[int, int]:
    return OutboxEvent.objects.count(), StockMovement.objects.count()


def assert_nothing_written(api_client, path: str, method: str, body: dict) -> None:
    before = api_client.get(path)
    rows = written_rows()
    answer = getattr(api_client, method)(path, body, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json() == before.json()  # updated_at included
    assert answer["ETag"] == before["ETag"]
    assert written_rows() == rows


@pytest.mark.parametrize("body", [{}, "same"])
def test_a_customer_patched_with_nothing_new_is_not_written(api_client, body):
    customer = CustomerFactory(phone="+15550001111")
    path = f"/api/customers/{customer.pk}"
    same = {"first_name": customer.first_name, "email": customer.email, "phone": "+15550001111"}
    assert_nothing_written(api_client, path, "patch", same if body == "same" else body)


@pytest.mark.parametrize("body", [{}, "same"])
def test_a_product_patched_with_nothing_new_is_not_written(api_client, body):
    product = ProductFactory(stock_quantity=7, price="12.50")
    same = {"name": product.name, "price": "12.5", "stock_quantity": 7}  # 12.5 is the price it has
    assert_nothing_written(api_client, f"/api/products/{product.pk}", "patch", same if body == "same" else body)


def test_a_customer_replaced_by_itself_is_not_written(api_client):
    customer = CustomerFactory(phone=None, address=None)
    body = {"first_name": customer.first_name, "last_name": customer.last_name, "email": customer.email}
    assert_nothing_written(api_client, f"/api/customers/{customer.pk}", "put", body)


@pytest.mark.parametrize("body", [{}, "same"])
def test_an_order_patched_with_nothing_new_is_not_written(api_client, body):
    order = place_order(notes="Ring twice", shipping_address="1 Main St")
    same = {"notes": "Ring twice", "shipping_address": "1 Main St", "status": "Pending"}
    assert_nothing_written(api_client, f"/api/orders/{order.pk}", "patch", same if body == "same" else body)


def test_a_change_among_unchanged_values_writes_only_that_change(api_client, logged_events, committed):
    customer = CustomerFactory()
    with committed():
        answer = api_client.patch(
            f"/api/customers/{customer.pk}", {"first_name": customer.first_name, "last_name": "Renamed"}, format="json"
        )
    assert answer.status_code == 200
    [updated] = [event for event in logged_events() if event["event"] == "customer.updated"]
    assert updated["fields"] == ["last_name"]
