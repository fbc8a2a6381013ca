"""Finding orders: ?customer_id=, ?status=, ?order_date_after=/before=, ?search= (order number), ?ordering=,
and GET /api/customers/{id}/orders."""

from datetime import UTC, datetime

import pytest

from orders import services
from orders.models import Order
from orderservice.testing.factories import CustomerFactory, ProductFactory, place_order

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()]


@pytest.fixture
def orders():
    ann, bob = CustomerFactory(), CustomerFactory()
    cheap, dear = ProductFactory(price="5.00"), ProductFactory(price="500.00")
    first = place_order(customer=ann, items=[(cheap, 1)])
    second = place_order(customer=bob, items=[(dear, 1)])
    third = place_order(customer=ann, items=[(dear, 2)])
    for order, day in ((first, 1), (second, 2), (third, 3)):
        Order.objects.filter(pk=order.pk).update(order_date=datetime(2026, 11, day, 12, tzinfo=UTC))
    services.order_change_status(order_id=second.pk, status="Processing")
    return {"ann": ann, "bob": bob, "first": first, "second": second, "third": third}


def test_filters_by_customer_status_and_date_range(api_client, orders):
    first, second, third = orders["first"].pk, orders["second"].pk, orders["third"].pk
    assert ids(api_client.get(f"/api/orders?customer_id={orders['ann'].pk}")) == [third, first]
    assert ids(api_client.get("/api/orders?status=Processing")) == [second]
    assert ids(api_client.get("/api/orders?order_date_after=2026-11-02")) == [third, second]
    assert ids(api_client.get("/api/orders?order_date_before=2026-11-02T00:00:00Z")) == [first]
    assert ids(api_client.get("/api/orders?order_date_after=2026-11-01T13:00:00Z&order_date_before=2026-11-03")) == [
        second
    ]


def test_a_date_time_in_any_offset_is_compared_in_utc(api_client, orders):
    """Found by the fuzzer: PostgreSQL refuses offsets beyond ±15:59, which ISO 8601 allows (it was a 500)."""
    second, third = orders["second"].pk, orders["third"].pk
    # 2026-11-03 04:00 at +16:55 is 2026-11-02 11:05 UTC: before the second order (12:00 UTC), after the first
    assert ids(api_client.get("/api/orders?order_date_after=2026-11-03T04:00:00%2B16:55")) == [third, second]
    assert ids(
        api_client.get(f"/api/orders?order_date_after=0022-08-10T05:33:28%2B16:55&customer_id={orders['bob'].pk}")
    ) == [second]


def test_search_finds_an_order_by_part_of_its_number(api_client, orders):
    number = orders["second"].order_number
    assert ids(api_client.get(f"/api/orders?search={number[-8:].lower()}")) == [orders["second"].pk]


def test_ordering_by_total(api_client, orders):
    assert ids(api_client.get("/api/orders?ordering=total_amount")) == [
        orders["first"].pk,
        orders["second"].pk,
        orders["third"].pk,
    ]


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("status=Lost", "status"),
        ("customer_id=abc", "customer_id"),
        ("order_date_after=yesterday", "order_date"),
        ("order_date_after=0001-01-01T00:00:00%2B16:55", "order_date"),  # before year 1 once in UTC
    ],
)
def test_an_unusable_filter_value_is_a_400_naming_the_parameter(api_client, orders, query, parameter):
    response = api_client.get(f"/api/orders?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert [name.split("_after")[0] for name in response.json()["errors"]] == [parameter]


def test_a_customers_orders_are_listed_like_all_orders(api_client, orders):
    response = api_client.get(f"/api/customers/{orders['ann'].pk}/orders")
    assert ids(response) == [orders["third"].pk, orders["first"].pk]
    assert response.json() == [
        row for row in api_client.get("/api/orders").json() if row["customer_id"] == orders["ann"].pk
    ]
    assert ids(api_client.get(f"/api/v1/customers/{orders['ann'].pk}/orders?status=Pending&limit=1")) == [
        orders["third"].pk
    ]


def test_orders_of_an_unknown_customer_is_a_404(api_client):
    response = api_client.get("/api/customers/987654/orders")
    assert response.status_code == 404
    assert response.json()["detail"] == "Customer not found"


def test_a_customer_without_orders_has_an_empty_list(api_client):
    assert api_client.get(f"/api/customers/{CustomerFactory().pk}/orders").json() == []
