"""Customers, products and orders for tests. Orders are placed, and moved along the lifecycle, through the
real service, so stock and totals are always consistent."""

from decimal import Decimal

import factory

from customers.models import Customer
from orders import services
from orders.models import Order
from orderservice.testing.lifecycle import PATH_TO
from products import services as product_services
from products.models import Product


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    phone = "+15550000000"
    address = "1 Test Street"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n:03d}")
    description = "A product for tests"
    price = Decimal("10.00")
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    stock_quantity = 100
    category = "Tests"
    is_active = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Through the service, with its `initial` movement, so the ledger adds up in every test.
        return product_services.product_create(**kwargs)


def place_order(customer=None, items=None, **fields) -> Order:
    """Place an order; `items` is [(product, quantity), …] (default: one new product, quantity 1)."""
    customer = customer or CustomerFactory()
    items = items or [(ProductFactory(), 1)]
    return services.order_create(
        customer_id=customer.pk,
        lines=[services.OrderLine(product_id=product.pk, quantity=quantity) for product, quantity in items],
        **fields,
    )


def order_in(status: str, **place_order_kwargs) -> Order:
    """A new order (place_order's arguments) moved along PATH_TO[status] by the service."""
    order = place_order(**place_order_kwargs)
    for step in PATH_TO[status]:
        services.order_change_status(order_id=order.pk, status=step)
    order.refresh_from_db()
    assert order.status == status
    return order
