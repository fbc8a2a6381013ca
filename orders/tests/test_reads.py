"""Reading orders: GET /api/orders lists them newest first, GET /api/orders/{id} shows one with its customer
and its lines."""

from datetime import UTC, datetime, timedelta

import pytest

from orders.models import Order
from orderservice.testing.api import order_json
from orderservice.testing.factories import ProductFactory, place_order

pytestmark = pytest.mark.django_db


def test_list_orders_shows_every_order_newest_first_ties_by_id(api_client):
    oldest, tie_low, tie_high, newest = (place_order() for _ in range(4))
    moment = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    Order.objects.filter(pk=oldest.pk).update(order_date=moment - timedelta(days=1))
    Order.objects.filter(pk__in=[tie_low.pk, tie_high.pk]).update(order_date=moment)
    Order.objects.filter(pk=newest.pk).update(order_date=moment + timedelta(seconds=1))

    response = api_client.get("/api/orders")

    assert response.status_code == 200
    assert response.json() == [order_json(order) for order in (newest, tie_high, tie_low, oldest)]


def test_get_order(api_client):
    order = place_order(items=[(ProductFactory(), 2), (ProductFactory(), 1)], notes="n")
    place_order()

    response = api_client.get(f"/api/orders/{order.pk}")

    assert (response.status_code, response.json()) == (200, order_json(order))
