"""Deleting products: DELETE /api/products/{id} is refused once the product is on an order."""

import pytest

from orders.models import Order, OrderItem
from orderservice.testing.api import assert_problem
from orderservice.testing.factories import ProductFactory, place_order
from orderservice.testing.state import database_state, stock_of

pytestmark = pytest.mark.django_db


def test_delete_is_refused_for_a_product_with_order_items(api_client):
    product = ProductFactory(stock_quantity=10)
    order = place_order(items=[(product, 3)])
    before = database_state()

    response = api_client.delete(f"/api/products/{product.pk}")

    assert_problem(response, 400, "Cannot delete product with existing order items")
    assert database_state() == before
    assert stock_of(product) == 7
    assert list(Order.objects.values_list("pk", flat=True)) == [order.pk]
    assert list(OrderItem.objects.values_list("product_id", "quantity")) == [(product.pk, 3)]
