"""The fast read path (orderservice.api.read_path) writes exactly the JSON DRF's serializers write."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from rest_framework.renderers import JSONRenderer

from customers.models import Customer
from customers.serializers import CustomerSerializer
from orders.models import Order, OrderItem
from orders.serializers import OrderItemSerializer, OrderSerializer
from orderservice.api import read_path
from orderservice.api.renderers import FastJSONRenderer
from orderservice.testing.factories import CustomerFactory, ProductFactory, place_order
from products.models import Product
from products.serializers import ProductReplaceSerializer, ProductSerializer

pytestmark = pytest.mark.django_db


def drf_json(serializer_class, queryset) -> bytes:
    """What DRF's own serializers write for these rows, read as model instances."""
    return JSONRenderer().render(serializer_class(queryset, many=True).data)


def fast_json(serializer_class, queryset) -> bytes:
    return JSONRenderer().render(read_path.represent(serializer_class, read_path.rows(serializer_class, queryset)))


def test_customers_render_the_same():
    CustomerFactory(first_name="Zoë", last_name="O'Brien\u2028", phone="+44 20", address="1 Ünter")
    CustomerFactory(phone=None, address=None)
    customers = Customer.objects.order_by("id")
    assert fast_json(CustomerSerializer, customers) == drf_json(CustomerSerializer, customers)


@pytest.mark.parametrize("price", ["0.01", "10.00", "1299.99", "9999999999999.99"])
def test_products_render_the_same(price):
    ProductFactory(price=Decimal(price), sku=None, description=None, category=None, is_active=False)
    ProductFactory(price=Decimal(price), is_active=True)
    products = Product.objects.order_by("id")
    for serializer_class in (ProductSerializer, ProductReplaceSerializer):
        assert fast_json(serializer_class, products) == drf_json(serializer_class, products)


def test_timestamps_with_and_without_microseconds_render_the_same():
    for moment in (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 11, 30, 3, 4, 5, 6, tzinfo=UTC)):
        Product.objects.filter(pk=ProductFactory().pk).update(created_at=moment, updated_at=moment)
    products = Product.objects.order_by("id")
    assert b"2026-11-30T03:04:05.000006Z" in fast_json(ProductSerializer, products)
    assert fast_json(ProductSerializer, products) == drf_json(ProductSerializer, products)


def test_timestamps_written_with_another_offset_are_read_back_in_utc():
    berlin = timezone(timedelta(hours=1))
    Product.objects.filter(pk=ProductFactory().pk).update(created_at=datetime(2026, 11, 30, 4, 4, 5, tzinfo=berlin))
    products = Product.objects.order_by("id")
    assert b'"created_at":"2026-11-30T03:04:05Z"' in fast_json(ProductSerializer, products)
    assert fast_json(ProductSerializer, products) == drf_json(ProductSerializer, products)


def test_nested_orders_and_their_lists_render_the_same():
    customer, other = CustomerFactory(phone=None), CustomerFactory()
    shared = ProductFactory(price="29.99")
    for _ in range(3):
        place_order(customer=customer, items=[(shared, 3), (ProductFactory(), 1)], notes="Ring twice")
    place_order(customer=other, shipping_address=None)
    orders = Order.objects.order_by("id")
    assert fast_json(OrderSerializer, orders) == drf_json(OrderSerializer, orders)
    assert fast_json(OrderSerializer, orders.filter(customer=other)) == drf_json(
        OrderSerializer, orders.filter(customer=other)
    )
    items = OrderItem.objects.order_by("-id")
    assert fast_json(OrderItemSerializer, items) == drf_json(OrderItemSerializer, items)


def test_one_object_read_with_its_nested_objects_joined_renders_the_same():
    customer = CustomerFactory(address=None)
    shared = ProductFactory(price="29.99")
    place_order(customer=customer, items=[(shared, 3), (ProductFactory(), 1), (shared, 1)])
    place_order(shipping_address=None)
    for serializer_class, queryset in (
        (OrderSerializer, Order.objects.all()),
        (CustomerSerializer, Customer.objects.all()),
        (ProductSerializer, Product.objects.all()),
    ):
        for instance in queryset:
            written = read_path.represent_one(serializer_class, queryset, instance.pk)
            assert JSONRenderer().render(written) == JSONRenderer().render(serializer_class(instance).data)


def test_an_order_without_items_and_an_empty_page_render_the_same():
    place_order()
    Order.objects.update(notes="")
    OrderItem.objects.all().delete()
    orders = Order.objects.order_by("id")
    assert fast_json(OrderSerializer, orders) == drf_json(OrderSerializer, orders)
    assert fast_json(OrderSerializer, orders.none()) == b"[]"


def test_each_distinct_nested_object_is_written_once_per_response():
    customer = CustomerFactory()
    for _ in range(3):
        place_order(customer=customer)
    written = read_path.represent(OrderSerializer, read_path.rows(OrderSerializer, Order.objects.all()))
    assert len({id(order["customer"]) for order in written}) == 1


def test_a_field_type_the_fast_path_does_not_know_is_refused_rather_than_guessed():
    from django.core.exceptions import ImproperlyConfigured
    from rest_framework import serializers

    class WithAUrl(serializers.ModelSerializer):
        link = serializers.URLField(source="name")

        class Meta:
            model = Product
            fields = ["id", "link"]

    with pytest.raises(ImproperlyConfigured, match="URLField"):
        read_path.plan_for(WithAUrl)


@pytest.mark.parametrize(
    "data",
    [
        [{"id": 1, "name": 'Zoë \u2028 \u2029 "quoted" \\ \n\t\x01 😀', "price": "10.00", "empty": None, "ok": True}],
        {"detail": "x", "errors": {"order_items.0.quantity": ["Ensure this value is greater than or equal to 1."]}},
        {"amount": Decimal("12.50"), "when": datetime(2026, 11, 30, 3, 4, 5, 6, tzinfo=UTC)},
        {1: "int key", "big": 2**70},
        [],
    ],
)
def test_the_fast_renderer_writes_the_bytes_drf_writes(data):
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)


def test_whole_api_responses_render_the_same_with_both_renderers(api_client):
    place_order(items=[(ProductFactory(name="Lamp \u2028"), 2)])
    response = api_client.get("/api/orders")
    assert FastJSONRenderer().render(response.data) == JSONRenderer().render(response.data)
