"""The fast output path (orderservice.representation) renders exactly what DRF's serializers render."""
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from customers.serializers import CustomerSerializer
from customers.tests.factories import CustomerFactory
from orderservice.renderers import FastJSONRenderer
from orderservice.representation import FastRepresentationMixin
from orders.models import Order
from orders.serializers import OrderItemSerializer, OrderSerializer
from orders.tests.factories import place_order
from products.serializers import ProductReplaceSerializer, ProductSerializer
from products.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def drf_json(serializer_class, instance, many=False) -> bytes:
    """The JSON DRF's own field-by-field path gives: the fast path is switched off for the serializer and
    every serializer nested in it while this renders."""
    original = FastRepresentationMixin.to_representation
    FastRepresentationMixin.to_representation = serializers.ModelSerializer.to_representation
    try:
        return JSONRenderer().render(serializer_class(instance, many=many).data)
    finally:
        FastRepresentationMixin.to_representation = original


def fast_json(serializer_class, instance) -> bytes:
    return JSONRenderer().render(serializer_class(instance).data)


def test_customers_render_the_same(settings):
    with_everything = CustomerFactory(first_name="Zoë", last_name="O'Brien\u2028", phone="+44 20", address="1 Ünter")
    bare = CustomerFactory(phone=None, address=None)
    for customer in (with_everything, bare):
        customer.refresh_from_db()
        assert fast_json(CustomerSerializer, customer) == drf_json(CustomerSerializer, customer)


@pytest.mark.parametrize("price", ["0.01", "10.00", "1299.99", "9999999999999.99"])
def test_products_render_the_same(price):
    product = ProductFactory(price=Decimal(price), sku=None, description=None, category=None, is_active=False)
    product.refresh_from_db()
    for serializer_class in (ProductSerializer, ProductReplaceSerializer):
        assert fast_json(serializer_class, product) == drf_json(serializer_class, product)


def test_timestamps_with_and_without_microseconds_render_the_same():
    product = ProductFactory()
    for moment in (datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2026, 11, 30, 3, 4, 5, 6, tzinfo=timezone.utc)):
        product.created_at = product.updated_at = moment
        assert fast_json(ProductSerializer, product) == drf_json(ProductSerializer, product)


def test_nested_orders_and_their_lists_render_the_same():
    customer = CustomerFactory(phone=None)
    orders = [place_order(customer=customer, items=[(ProductFactory(price="29.99"), 3), (ProductFactory(), 1)],
                          notes="Ring twice") for _ in range(3)]
    place_order(customer=customer, shipping_address=None)
    queryset = Order.objects.select_related("customer").prefetch_related("order_items__product").order_by("id")
    for order in queryset:
        assert fast_json(OrderSerializer, order) == drf_json(OrderSerializer, order)
        for item in order.order_items.all():
            assert fast_json(OrderItemSerializer, item) == drf_json(OrderItemSerializer, item)

    assert JSONRenderer().render(OrderSerializer(queryset, many=True).data) == drf_json(OrderSerializer, queryset,
                                                                                      many=True)
    assert len(orders) == 3


@pytest.mark.parametrize("data", [
    [{"id": 1, "name": "Zoë \u2028 \u2029 \"quoted\" \\ \n\t\x01 😀", "price": "10.00", "empty": None, "ok": True}],
    {"detail": "x", "errors": {"order_items.0.quantity": ["Ensure this value is greater than or equal to 1."]}},
    {"amount": Decimal("12.50"), "when": datetime(2026, 11, 30, 3, 4, 5, 6, tzinfo=timezone.utc)},
    {1: "int key", "big": 2**70},
    [],
])
def test_the_fast_renderer_writes_the_bytes_drf_writes(data):
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)


def test_whole_api_responses_render_the_same_with_both_renderers(api_client):
    place_order(items=[(ProductFactory(name="Lamp \u2028"), 2)])
    response = api_client.get("/api/orders")
    assert FastJSONRenderer().render(response.data) == JSONRenderer().render(response.data)
