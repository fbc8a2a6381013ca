"""An order's lifecycle over HTTP: PUT /api/orders/{id}/status moves it only as the lifecycle allows, a
cancelled order's stock comes back once, and only a Pending order may be deleted."""

import pytest

from orders.models import Order, OrderItem
from orderservice.testing.api import assert_problem, order_json
from orderservice.testing.factories import ProductFactory, order_in, place_order
from orderservice.testing.lifecycle import ALLOWED, PATH_TO, REFUSED, REFUSED_MESSAGES, VALID_STATUSES
from orderservice.testing.state import database_state, stock_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("current", "wanted"), sorted(ALLOWED))
def test_change_status_along_the_lifecycle(api_client, current, wanted):
    order = order_in(current)

    response = api_client.put(f"/api/orders/{order.pk}/status", {"status": wanted}, format="json")

    assert response.status_code == 200
    assert response.json() == order_json(order)
    assert response.json()["status"] == wanted


def test_change_status_under_v1(api_client):
    order = place_order()

    response = api_client.put(f"/api/v1/orders/{order.pk}/status", {"status": "Processing"}, format="json")

    assert (response.status_code, response.json()) == (200, order_json(order))
    assert response.json()["status"] == "Processing"


@pytest.mark.parametrize(("current", "wanted"), REFUSED)
def test_change_status_refuses_every_other_move(api_client, current, wanted):
    order = order_in(current, items=[(ProductFactory(stock_quantity=10), 2)])
    before = database_state()
    message = REFUSED_MESSAGES[current].format(wanted=wanted)

    response = api_client.put(f"/api/orders/{order.pk}/status", {"status": wanted}, format="json")

    assert_problem(response, 400, message, {"status": [message]})
    assert database_state() == before


@pytest.mark.parametrize("status", list(PATH_TO))
def test_change_status_to_the_current_status_is_a_no_op(api_client, status):
    order = order_in(status, items=[(ProductFactory(stock_quantity=10), 2)])
    before = database_state()

    response = api_client.put(f"/api/orders/{order.pk}/status", {"status": status}, format="json")

    assert (response.status_code, response.json()) == (200, order_json(order))
    assert database_state() == before


@pytest.mark.parametrize("status", ["Lost", "pending", "SHIPPED", "", 5])
def test_change_status_to_an_unknown_value_lists_the_valid_values(api_client, status):
    order = place_order()
    before = database_state()
    message = f"Invalid status '{status}'. Valid values: {VALID_STATUSES}"

    response = api_client.put(f"/api/orders/{order.pk}/status", {"status": status}, format="json")

    assert_problem(response, 400, message, {"status": [message]})
    assert database_state() == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "This field is required."),
        ({"status": None}, "This field may not be null."),
    ],
)
def test_change_status_needs_a_status(api_client, body, message):
    order = place_order()
    before = database_state()

    response = api_client.put(f"/api/orders/{order.pk}/status", body, format="json")

    assert_problem(response, 400, f"status: {message}", {"status": [message]})
    assert database_state() == before


def test_cancelling_twice_gives_the_stock_back_once(api_client):
    mouse = ProductFactory(stock_quantity=10)
    chair = ProductFactory(stock_quantity=5)
    order = place_order(items=[(mouse, 4), (chair, 2), (mouse, 1)])
    assert (stock_of(mouse), stock_of(chair)) == (5, 3)

    first = api_client.put(f"/api/orders/{order.pk}/status", {"status": "Cancelled"}, format="json")
    second = api_client.put(f"/api/orders/{order.pk}/status", {"status": "Cancelled"}, format="json")

    assert (first.status_code, second.status_code) == (200, 200)
    assert (stock_of(mouse), stock_of(chair)) == (10, 5)


def test_cancelling_a_processing_order_gives_the_stock_back(api_client):
    product = ProductFactory(stock_quantity=10)
    order = order_in("Processing", items=[(product, 4)])

    api_client.put(f"/api/orders/{order.pk}/status", {"status": "Cancelled"}, format="json")

    assert stock_of(product) == 10


def test_delete_a_pending_order_removes_it_and_gives_the_stock_back(api_client):
    product = ProductFactory(stock_quantity=10)
    kept = place_order(items=[(product, 1)])
    order = place_order(items=[(product, 2), (product, 3)])

    response = api_client.delete(f"/api/orders/{order.pk}")

    assert (response.status_code, response.content) == (204, b"")
    assert list(Order.objects.values_list("pk", flat=True)) == [kept.pk]
    assert list(OrderItem.objects.values_list("order_id", flat=True)) == [kept.pk]
    assert stock_of(product) == 9
    assert api_client.get(f"/api/orders/{order.pk}").status_code == 404


@pytest.mark.parametrize("status", ["Processing", "Shipped", "Delivered", "Cancelled"])
def test_delete_an_order_that_is_not_pending_is_refused(api_client, status):
    order = order_in(status, items=[(ProductFactory(stock_quantity=10), 2)])
    before = database_state()

    response = api_client.delete(f"/api/orders/{order.pk}")

    assert_problem(response, 400, "Cannot delete order that is not in Pending status")
    assert database_state() == before
