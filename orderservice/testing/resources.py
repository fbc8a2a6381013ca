"""The three resources as the tests that cover them all at once see them: where each lives, how to make a
row and a body, what its fields require, and how GET shows a row."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models

from customers.models import Customer
from orders.models import Order
from orderservice.testing.api import customer_json, order_json, product_json
from orderservice.testing.bodies import LAPTOP, NEW_CUSTOMER, order_request
from orderservice.testing.factories import CustomerFactory, ProductFactory, place_order
from products.models import Product


@dataclass(frozen=True)
class Resource:
    """One resource under /api/ and /api/v1/, described for the tests that cover every resource at once."""

    path: str  # e.g. "customers"
    model: type[models.Model]
    make: Callable[..., models.Model]  # one row, as the resource's own tests make it (given field values)
    new: Callable[[], dict]  # a body POST accepts; the rows it refers to are made when it is called
    change: dict  # a body PUT accepts, every field of it a change for a row `make` made
    patch: dict  # some of the fields PATCH may change
    limits: dict[str, int]  # the text fields POST accepts, each with its longest length
    required: tuple[str, ...]  # the fields POST requires, in the order a 400 names them
    required_by_put: tuple[str, ...]  # the fields PUT requires (PUT replaces customers and products)
    required_texts: tuple[str, ...]  # the required text fields, which may not be blank either
    json: Callable[[models.Model], dict]  # the row as GET shows it
    not_found: str  # the detail of a 404 for an id that is no row's
    routes: tuple[tuple[str, str], ...] = ()  # (method, route) beyond the collection and item routes

    def __str__(self):
        return self.path


CUSTOMERS = Resource(
    "customers",
    Customer,
    CustomerFactory,
    new=lambda: NEW_CUSTOMER,
    change=NEW_CUSTOMER,
    patch={"phone": "+1999", "last_name": "Roe"},
    limits={"first_name": 100, "last_name": 100, "phone": 20, "address": 500},
    required=("first_name", "last_name", "email"),
    required_by_put=("first_name", "last_name", "email"),
    required_texts=("first_name", "last_name"),
    json=customer_json,
    not_found="Customer not found",
)
PRODUCTS = Resource(
    "products",
    Product,
    ProductFactory,
    new=lambda: LAPTOP,
    change={**LAPTOP, "is_active": False},
    patch={"price": "1199.50", "is_active": False},  # stock_quantity, which PUT requires, left out
    limits={"name": 200, "description": 1000, "sku": 50, "category": 100},
    required=("name", "price"),
    required_by_put=("name", "price", "stock_quantity"),
    required_texts=("name",),
    json=product_json,
    not_found="Product not found",
)
ORDERS = Resource(
    "orders",
    Order,
    lambda: place_order(items=[(ProductFactory(stock_quantity=10), 2)]),
    new=lambda: order_request(CustomerFactory(), (ProductFactory(), 1)),
    change={"notes": "Ring twice"},
    patch={"shipping_address": "2 New St"},
    limits={"notes": 500, "shipping_address": 200},
    required=("customer_id", "order_items"),
    required_by_put=(),
    required_texts=(),
    json=order_json,
    not_found="Order not found",
    routes=(("put", "/{id}/status"),),
)
RESOURCES = [CUSTOMERS, PRODUCTS, ORDERS]
