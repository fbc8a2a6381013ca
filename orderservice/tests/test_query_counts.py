"""Every list and detail GET costs a fixed number of SQL queries, however many rows it shows.

Each path is counted on a small and on a large shop, which differ in customers, products, orders and items per
order, so a query per row, per order, per item or per distinct customer or product would change the count.
GETs select plain rows, fetch each distinct nested object (an order's customer, an item's product) once per
response by id, and fetch a page's items with one query (orderservice.api.read_path).

Writes run exactly the statements listed: placing an order whatever its number of lines, and each write of a
customer or a product (through its service, as the admin's do).
"""

import re
from dataclasses import dataclass

import pytest
from django.db import connection

from customers.models import Customer
from orders import services
from orders.models import Order
from orderservice.testing.bodies import LAPTOP, NEW_CUSTOMER
from orderservice.testing.factories import CustomerFactory, ProductFactory, place_order
from products.models import Product

pytestmark = pytest.mark.django_db

NEXT = re.compile(r'<([^>]+)>; rel="next"')


@dataclass(frozen=True)
class Size:
    customers: int
    products: int
    orders: int
    items: int  # per order, each of a different product


@dataclass
class Shop:
    size: Size
    customers: list[Customer]
    products: list[Product]
    orders: list[Order]

    @property
    def ids(self) -> dict:
        """What a path's {customer}, {product} and {order} stand for."""
        return {"customer": self.regular.pk, "product": self.products[-1].pk, "order": self.orders[-1].pk}

    @property
    def regular(self) -> Customer:
        return self.customers[0]

    @property
    def regulars_orders(self) -> list[Order]:
        return [order for order in self.orders if order.customer_id == self.regular.pk]

    @property
    def annas(self) -> list[Customer]:
        return [customer for customer in self.customers if customer.first_name == "Anna"]

    @property
    def novels(self) -> list[Product]:
        return [product for product in self.products if product.category == "Books" and "Novel" in product.name]

    @property
    def pending(self) -> list[Order]:
        return [order for order in self.orders if order.status == "Pending"]


@pytest.fixture(
    params=[
        pytest.param(Size(customers=4, products=6, orders=8, items=1), id="small"),
        pytest.param(Size(customers=9, products=15, orders=30, items=4), id="large"),
    ]
)
def shop(request) -> Shop:
    """Half the orders are the regular's (customers[0]), the rest spread over the others; every third is
    cancelled. Half the customers are Annas; products alternate Novel/Atlas, two in three are Books."""
    size = request.param
    customers = [CustomerFactory(first_name="Anna" if n % 2 == 0 else "Bruno") for n in range(size.customers)]
    products = [
        ProductFactory(
            name=f"{'Novel' if n % 2 == 0 else 'Atlas'} {n:02d}",
            price=10 + n,
            category="Books" if n % 3 else "Garden",
            stock_quantity=1000,
        )
        for n in range(size.products)
    ]
    orders = []
    for n in range(size.orders):
        customer = customers[0] if n % 2 == 0 else customers[1 + n // 2 % (size.customers - 1)]
        items = [(products[(n * size.items + k) % size.products], 1 + k) for k in range(size.items)]
        order = place_order(customer, items)
        if n % 3 == 2:
            services.order_change_status(order_id=order.pk, status="Cancelled")
        orders.append(order)
    return Shop(size, customers, products, list(Order.objects.filter(pk__in=[order.pk for order in orders])))


def second_page(first: str):
    """The URL in `first`'s rel="next" link (http://testserver/…): `first` is fetched before the counting."""

    def follow(shop, client) -> str:
        response = client.get(first.format(**shop.ids))
        assert response.status_code == 200 and len(response.json()) == 2
        return NEXT.search(response["Link"]).group(1)

    return follow


# What the queries are:
PAGE = "the page"
ORDERS = "the orders; their customers; their items; the items' products"
ORDER = "the order with its customer; its items with their products"
CUSTOMERS_ORDERS = "the customer exists; " + ORDERS

ENDPOINTS = [
    # (path, or how to reach it; how many rows the user sees; queries; what they are)
    pytest.param("/api/customers", lambda shop: len(shop.customers), 1, PAGE, id="customers"),
    pytest.param("/api/customers?search=anna", lambda shop: len(shop.annas), 1, PAGE, id="customers-search"),
    pytest.param(second_page("/api/customers?limit=2"), lambda shop: 2, 1, PAGE, id="customers-page-2"),
    pytest.param("/api/customers/{customer}", lambda shop: 1, 1, "the customer", id="customer"),
    pytest.param("/api/products", lambda shop: len(shop.products), 1, PAGE, id="products"),
    pytest.param(
        "/api/products?category=Books&search=novel&ordering=-price",
        lambda shop: len(shop.novels),
        1,
        PAGE,
        id="products-filter-search-ordering",
    ),
    pytest.param(second_page("/api/products?limit=2"), lambda shop: 2, 1, PAGE, id="products-page-2"),
    # A searched page is one statement however it is found (orderservice.api.read_path, on PostgreSQL).
    pytest.param(
        second_page("/api/products?search=novel&limit=2"),
        lambda shop: min(sum("Novel" in product.name for product in shop.products) - 2, 2),
        1,
        PAGE,
        id="products-search-page-2",
    ),
    pytest.param("/api/products/{product}", lambda shop: 1, 1, "the product", id="product"),
    pytest.param("/api/orders", lambda shop: len(shop.orders), 4, ORDERS, id="orders"),
    pytest.param(
        "/api/orders?status=Pending&ordering=total_amount",
        lambda shop: len(shop.pending),
        4,
        ORDERS,
        id="orders-filter-ordering",
    ),
    pytest.param(second_page("/api/orders?limit=2"), lambda shop: 2, 4, ORDERS, id="orders-page-2"),
    pytest.param("/api/orders?search=ord-", lambda shop: len(shop.orders), 4, ORDERS, id="orders-search"),
    pytest.param("/api/orders/{order}", lambda shop: 1, 2, ORDER, id="order"),
    pytest.param(
        "/api/customers/{customer}/orders",
        lambda shop: len(shop.regulars_orders),
        5,
        CUSTOMERS_ORDERS,
        id="customers-orders",
    ),
    pytest.param(
        "/api/customers/{customer}/orders?status=Pending&ordering=-total_amount",
        lambda shop: len([order for order in shop.regulars_orders if order in shop.pending]),
        5,
        CUSTOMERS_ORDERS,
        id="customers-orders-filter-ordering",
    ),
    pytest.param(
        second_page("/api/customers/{customer}/orders?limit=2"),
        lambda shop: 2,
        5,
        CUSTOMERS_ORDERS,
        id="customers-orders-page-2",
    ),
    pytest.param("/api/v1/orders", lambda shop: len(shop.orders), 4, ORDERS, id="v1-orders"),
    pytest.param("/api/v1/orders/{order}", lambda shop: 1, 2, ORDER, id="v1-order"),
    pytest.param(
        "/api/v1/customers/{customer}/orders",
        lambda shop: len(shop.regulars_orders),
        5,
        CUSTOMERS_ORDERS,
        id="v1-customers-orders",
    ),
]


@pytest.mark.parametrize("path, rows, queries, what", ENDPOINTS)
def test_a_get_costs_the_same_queries_however_many_rows(
    api_client, django_assert_num_queries, shop, path, rows, queries, what
):
    path = path(shop, api_client) if callable(path) else path.format(**shop.ids)

    with django_assert_num_queries(queries, info=what):
        response = api_client.get(path)

    assert response.status_code == 200
    body = response.json()
    if isinstance(body, dict):  # one object, the one asked for
        assert re.search(rf"/{body['id']}(\?|$)", path)
    shown = body if isinstance(body, list) else [body]
    assert len(shown) == rows(shop) > 0
    for order in (row for row in shown if "order_items" in row):
        assert order["customer"]["id"] == order["customer_id"]
        assert len(order["order_items"]) == shop.size.items
        assert all(item["product"]["id"] == item["product_id"] for item in order["order_items"])


# Placing an order: each statement covers every line at once (the locked read of its products and customer, the
# order, its lines, the stock taken, the ledger rows, the events), then GET's two reads of it.
ORDER_STATEMENTS = [
    "BEGIN",
    "SELECT products_product … FOR UPDATE, EXISTS(customers_customer)",
    "INSERT orders_order",
    "INSERT orders_orderitem",
    "UPDATE products_product",
    "INSERT products_stockmovement",
    "INSERT orderservice_outboxevent",
    "COMMIT",
    "SELECT the order with its customer",
    "SELECT its items with their products",
]


@pytest.mark.django_db(transaction=True)  # BEGIN and COMMIT are the request's own, not a test's savepoints
@pytest.mark.parametrize("lines", [1, 2, 10])
def test_placing_an_order_costs_the_same_statements_however_many_lines(api_client, django_assert_num_queries, lines):
    customer = CustomerFactory()
    products = [ProductFactory(stock_quantity=100) for _ in range(lines)]
    body = {
        "customer_id": customer.pk,
        "order_items": [{"product_id": product.pk, "quantity": 2} for product in products],
    }
    expected = [statement.split()[0] for statement in ORDER_STATEMENTS]
    api_client.get("/api/products/1")  # the token's keys fetched and verified before counting
    with django_assert_num_queries(len(expected)) as captured:
        response = api_client.post("/api/orders", body, format="json")
    assert response.status_code == 201
    assert [query["sql"].split()[0] for query in captured.captured_queries] == expected


# A customer's or product's write (customers/services.py, products/services.py): the body checked against the row
# read as GET reads it, then one transaction in which an update or a delete first locks the row and reads it again
# (what it decides from), writes, and records its events. The answer is the row the service wrote: no read after.
WRITES = [
    pytest.param(
        "post",
        "/api/customers",
        NEW_CUSTOMER,
        [
            "SELECT is the email taken",
            "BEGIN",
            "INSERT customers_customer",
            "INSERT orderservice_outboxevent",
            "COMMIT",
        ],
        id="customer-create",
    ),
    pytest.param(
        "patch",
        "/api/customers/{customer}",
        {"last_name": "Roe"},
        [
            "SELECT the customer",
            "BEGIN",
            "SELECT customers_customer … FOR UPDATE",
            "UPDATE customers_customer",
            "INSERT orderservice_outboxevent",
            "COMMIT",
        ],
        id="customer-update",
    ),
    pytest.param(
        "delete",
        "/api/customers/{customer}",
        None,
        [
            "SELECT the customer",
            "BEGIN",
            "SELECT customers_customer … FOR UPDATE",
            "SELECT orders_order that refer to it",
            "DELETE customers_customer",
            "INSERT orderservice_outboxevent",
            "COMMIT",
        ],
        id="customer-delete",
    ),
    pytest.param(
        "post",
        "/api/products",
        LAPTOP,
        [
            "SELECT is the SKU taken",
            "BEGIN",
            "INSERT products_product",
            "INSERT products_stockmovement (initial)",
            "INSERT orderservice_outboxevent (product.created, product.stock_changed)",
            "COMMIT",
        ],
        id="product-create",
    ),
    pytest.param(
        "patch",
        "/api/products/{product}",
        {"price": "9.50"},
        [
            "SELECT the product",
            "BEGIN",
            "SELECT products_product … FOR UPDATE",
            "UPDATE products_product",
            "INSERT orderservice_outboxevent",
            "COMMIT",
        ],
        id="product-update",
    ),
    pytest.param(
        "patch",
        "/api/products/{product}",
        {"price": "9.50", "stock_quantity": 7},
        [
            "SELECT the product",
            "BEGIN",
            "SELECT products_product … FOR UPDATE",
            "UPDATE products_product stock (products.stock)",
            "INSERT products_stockmovement (set)",
            "INSERT orderservice_outboxevent (product.stock_changed)",
            "UPDATE products_product price",
            "INSERT orderservice_outboxevent (product.updated)",
            "COMMIT",
        ],
        id="product-update-with-stock",
    ),
    pytest.param(
        "delete",
        "/api/products/{product}",
        None,
        [
            "SELECT the product",
            "BEGIN",
            "SELECT products_product … FOR UPDATE",
            "SELECT orders_orderitem that refer to it",
            "DELETE products_stockmovement",
            "DELETE products_product",
            "INSERT orderservice_outboxevent",
            "COMMIT",
        ],
        id="product-delete",
    ),
]


@pytest.mark.django_db(transaction=True)  # BEGIN and COMMIT are the request's own, not a test's savepoints
@pytest.mark.parametrize("method, path, body, statements", WRITES)
def test_a_customer_or_product_write_costs_these_statements(
    api_client, django_assert_num_queries, method, path, body, statements
):
    path = path.format(customer=CustomerFactory().pk, product=ProductFactory(stock_quantity=3).pk)
    api_client.get("/api/products/1")  # the token's keys fetched and verified before counting
    with django_assert_num_queries(len(statements)) as captured:
        response = getattr(api_client, method)(path, body, format="json")
    assert response.status_code in (200, 201, 204)
    assert [query["sql"].split()[0] for query in captured.captured_queries] == [
        statement.split()[0] for statement in statements
    ]
    if connection.features.has_select_for_update:  # SQLite's IMMEDIATE transaction holds the write lock instead
        assert ["FOR UPDATE" in query["sql"] for query in captured.captured_queries] == [
            "FOR UPDATE" in statement for statement in statements
        ]
