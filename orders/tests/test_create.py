"""Placing orders: POST /api/orders prices the lines, takes the stock, and refuses, changing nothing, an
order the rules or the request's shape do not allow."""

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import override_settings

from orders.models import Order
from orderservice.domain.money import largest_amount
from orderservice.testing.api import assert_problem, order_json
from orderservice.testing.bodies import order_request
from orderservice.testing.factories import CustomerFactory, ProductFactory
from orderservice.testing.state import database_state, stock_of

pytestmark = pytest.mark.django_db

D = Decimal


def test_create_order_answers_201_with_the_full_order(api_client):
    customer = CustomerFactory()
    mouse = ProductFactory(name="Wireless Mouse", price=D("29.99"), stock_quantity=200)
    chair = ProductFactory(name="Office Chair", price=D("199.99"), stock_quantity=75)
    today = {datetime.now(UTC).strftime("%Y%m%d")}

    response = api_client.post(
        "/api/orders",
        order_request(customer, (mouse, 2), (chair, 1), notes="Ring twice", shipping_address="1 Main St"),
        format="json",
    )

    today.add(datetime.now(UTC).strftime("%Y%m%d"))
    assert response.status_code == 201
    body = response.json()
    assert body == order_json(Order.objects.get())
    match = re.fullmatch(r"ORD-(\d{8})-[0-9A-F]{8}", body["order_number"])
    assert match is not None and match.group(1) in today
    assert {
        key: body[key]
        for key in (
            "customer_id",
            "status",
            "sub_total",
            "tax_amount",
            "shipping_amount",
            "total_amount",
            "notes",
            "shipping_address",
        )
    } == {
        # 2 × 29.99 + 199.99 = 259.97; × 0.08 = 20.7976 → 20.80; free shipping from 100.00
        "customer_id": customer.pk,
        "status": "Pending",
        "sub_total": "259.97",
        "tax_amount": "20.80",
        "shipping_amount": "0.00",
        "total_amount": "280.77",
        "notes": "Ring twice",
        "shipping_address": "1 Main St",
    }
    assert body["customer"]["email"] == customer.email
    assert [
        (item["product"]["name"], item["quantity"], item["unit_price"], item["total_price"])
        for item in body["order_items"]
    ] == [("Wireless Mouse", 2, "29.99", "59.98"), ("Office Chair", 1, "199.99", "199.99")]
    assert body["order_items"][0]["product"]["stock_quantity"] == 198
    assert (stock_of(mouse), stock_of(chair)) == (198, 74)


def test_create_order_without_notes_or_address_shows_them_as_null(api_client):
    response = api_client.post("/api/orders", order_request(CustomerFactory(), (ProductFactory(), 1)), format="json")

    assert response.status_code == 201
    assert (response.json()["notes"], response.json()["shipping_address"]) == (None, None)


def test_an_order_keeps_the_price_it_was_placed_at(api_client):
    product = ProductFactory(price=D("29.99"))
    created = api_client.post("/api/orders", order_request(CustomerFactory(), (product, 2)), format="json").json()

    product.price = D("49.99")
    product.save()

    body = api_client.get(f"/api/orders/{created['id']}").json()
    item = body["order_items"][0]
    assert (item["unit_price"], item["total_price"], item["product"]["price"]) == ("29.99", "59.98", "49.99")
    assert (body["sub_total"], body["total_amount"]) == ("59.98", created["total_amount"])


@pytest.mark.parametrize(
    ("lines", "totals"),
    [
        # 29.99 × 0.08 = 2.3992 → 2.40; shipping below 100.00
        ([("29.99", 1)], ("29.99", "2.40", "10.00", "42.39")),
        # 1299.99 × 0.08 = 103.9992 → 104.00; free shipping
        ([("1299.99", 1)], ("1299.99", "104.00", "0.00", "1403.99")),
        # exactly 100.00: no shipping
        ([("25.00", 4)], ("100.00", "8.00", "0.00", "108.00")),
        # 99.99: shipping; 7.9992 → 8.00
        ([("33.33", 3)], ("99.99", "8.00", "10.00", "117.99")),
        # 29.99 × 3 + 199.99 = 289.96; × 0.08 = 23.1968 → 23.20
        ([("29.99", 3), ("199.99", 1)], ("289.96", "23.20", "0.00", "313.16")),
        # 31.19 × 0.08 = 2.4952 → 2.50
        ([("31.19", 1)], ("31.19", "2.50", "10.00", "43.69")),
    ],
)
def test_create_order_totals(api_client, lines, totals):
    customer = CustomerFactory()
    request = order_request(customer, *[(ProductFactory(price=D(price)), quantity) for price, quantity in lines])

    body = api_client.post("/api/orders", request, format="json").json()

    assert (body["sub_total"], body["tax_amount"], body["shipping_amount"], body["total_amount"]) == totals


# At 0.08 no whole-cent sub_total has a tax of exactly half a cent, so half-up is shown at 0.10.
@override_settings(ORDER_TAX_RATE=D("0.10"))
def test_create_order_rounds_tax_half_up(api_client):
    product = ProductFactory(price=D("10.05"))

    body = api_client.post("/api/orders", order_request(CustomerFactory(), (product, 1)), format="json").json()

    # 10.05 × 0.10 = 1.005 → 1.01 (half-even would say 1.00)
    assert (body["sub_total"], body["tax_amount"], body["shipping_amount"], body["total_amount"]) == (
        "10.05",
        "1.01",
        "10.00",
        "21.06",
    )


def test_create_order_adds_lines_of_the_same_product(api_client):
    product = ProductFactory(price=D("10.00"), stock_quantity=10)

    body = api_client.post(
        "/api/orders", order_request(CustomerFactory(), (product, 4), (product, 6)), format="json"
    ).json()

    assert [(item["product_id"], item["quantity"]) for item in body["order_items"]] == [
        (product.pk, 4),
        (product.pk, 6),
    ]
    assert body["sub_total"] == "100.00"
    assert stock_of(product) == 0


# --- The rules -------------------------------------------------------------------------------------


def assert_refused_with(api_client, request, detail, errors=None):
    before = database_state()

    response = api_client.post("/api/orders", request, format="json")

    assert_problem(response, 400, detail, errors)
    assert database_state() == before


@pytest.mark.parametrize("customer_id", [987654, 0, -1])
def test_create_order_for_an_unknown_customer_is_refused(api_client, customer_id):
    product = ProductFactory()

    assert_refused_with(
        api_client,
        order_request(customer_id, (product, 1)),
        "Customer not found",
        {"customer_id": ["Customer not found"]},
    )


@pytest.mark.parametrize("field", ["customer_id", "product_id"])
def test_ids_beyond_64_bits_are_refused_as_invalid_input(api_client, field):
    customer, product = CustomerFactory(), ProductFactory()
    body = order_request(customer, (product, 1))
    if field == "customer_id":
        body["customer_id"] = 10**20
        path = "customer_id"
    else:
        body["order_items"][0]["product_id"] = 10**20
        path = "order_items.0.product_id"
    message = "Ensure this value is less than or equal to 9223372036854775807."
    assert_refused_with(api_client, body, f"{path}: {message}", {path: [message]})


def test_create_order_for_an_unknown_product_is_refused(api_client):
    customer = CustomerFactory()
    product = ProductFactory()

    assert_refused_with(
        api_client, order_request(customer, (product, 1), (987654, 1)), "Product with ID 987654 not found"
    )


def test_create_order_whose_total_the_database_cannot_store_is_refused(api_client):
    customer = CustomerFactory()
    product = ProductFactory(price=largest_amount() / 2, stock_quantity=10)

    assert_refused_with(
        api_client,
        order_request(customer, (product, 3)),
        f"Order total exceeds the largest amount the service can store ({largest_amount()})",
    )


def test_create_order_for_an_inactive_product_is_refused(api_client):
    customer = CustomerFactory()
    product = ProductFactory(name="Old Lamp", is_active=False)

    assert_refused_with(api_client, order_request(customer, (product, 1)), "Product Old Lamp is not active")


def test_create_order_for_more_than_the_stock_is_refused(api_client):
    customer = CustomerFactory()
    product = ProductFactory(name="Office Chair", stock_quantity=3)

    assert_refused_with(
        api_client, order_request(customer, (product, 4)), "Insufficient stock for product Office Chair"
    )


def test_create_order_checks_the_stock_for_the_total_across_lines(api_client):
    customer = CustomerFactory()
    product = ProductFactory(name="Office Chair", stock_quantity=5)

    # each line alone fits (3 ≤ 5); together they do not (6 > 5)
    assert_refused_with(
        api_client, order_request(customer, (product, 3), (product, 3)), "Insufficient stock for product Office Chair"
    )


@pytest.mark.parametrize(
    ("second", "detail"),
    [
        (lambda: 987654, "Product with ID 987654 not found"),
        (lambda: ProductFactory(name="Second", is_active=False), "Product Second is not active"),
        (lambda: ProductFactory(name="Second", stock_quantity=1), "Insufficient stock for product Second"),
    ],
)
def test_create_order_is_all_or_nothing(api_client, second, detail):
    customer = CustomerFactory()
    first = ProductFactory(stock_quantity=10)

    assert_refused_with(api_client, order_request(customer, (first, 2), (second(), 2)), detail)
    assert stock_of(first) == 10


# --- The request's shape ---------------------------------------------------------------------------


def valid_request():
    return order_request(CustomerFactory(), (ProductFactory(), 1))


def test_create_order_accepts_notes_and_address_at_their_maximum_length(api_client):
    request = valid_request() | {"notes": "n" * 500, "shipping_address": "a" * 200}

    response = api_client.post("/api/orders", request, format="json")

    assert response.status_code == 201
    assert (response.json()["notes"], response.json()["shipping_address"]) == ("n" * 500, "a" * 200)


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        (lambda r: r.update(order_items=[]), {"order_items": ["This list may not be empty."]}),
        (lambda r: r.pop("order_items"), {"order_items": ["This field is required."]}),
        (lambda r: r.pop("customer_id"), {"customer_id": ["This field is required."]}),
        (lambda r: r.update(customer_id=None), {"customer_id": ["This field may not be null."]}),
        (lambda r: r.update(customer_id="abc"), {"customer_id": ["A valid integer is required."]}),
        (
            lambda r: r["order_items"][0].update(quantity=0),
            {"order_items.0.quantity": ["Ensure this value is greater than or equal to 1."]},
        ),
        (
            lambda r: r["order_items"][0].update(quantity=-1),
            {"order_items.0.quantity": ["Ensure this value is greater than or equal to 1."]},
        ),
        (
            lambda r: r["order_items"][0].update(quantity=1.5),
            {"order_items.0.quantity": ["A valid integer is required."]},
        ),
        (
            lambda r: r["order_items"][0].update(quantity="two"),
            {"order_items.0.quantity": ["A valid integer is required."]},
        ),
        (lambda r: r["order_items"][0].pop("quantity"), {"order_items.0.quantity": ["This field is required."]}),
        (lambda r: r["order_items"][0].pop("product_id"), {"order_items.0.product_id": ["This field is required."]}),
        (
            lambda r: r["order_items"][0].update(product_id="x"),
            {"order_items.0.product_id": ["A valid integer is required."]},
        ),
        (lambda r: r.update(order_items="x"), {"order_items": ['Expected a list of items but got type "str".']}),
        (lambda r: r.update(order_items=[5]), {"order_items.0": ["Invalid data. Expected a dictionary, but got int."]}),
        (lambda r: r.update(notes=["a"]), {"notes": ["Not a valid string."]}),
    ],
)
def test_create_order_validates_the_request(api_client, change, errors):
    request = valid_request()
    change(request)
    [(field, [message])] = errors.items()

    assert_refused_with(api_client, request, f"{field}: {message}", errors)


def test_create_order_reports_every_invalid_field_with_its_path(api_client):
    request = valid_request()
    request["order_items"].append({"quantity": 0})
    request["customer_id"] = "abc"

    assert_refused_with(
        api_client,
        request,
        "customer_id: A valid integer is required.; order_items.1.product_id: This field is required.; "
        "order_items.1.quantity: Ensure this value is greater than or equal to 1.",
        {
            "customer_id": ["A valid integer is required."],
            "order_items.1.product_id": ["This field is required."],
            "order_items.1.quantity": ["Ensure this value is greater than or equal to 1."],
        },
    )


def test_bodies_validated_one_after_another_get_their_own_errors(api_client):
    """The input serializers copy their fields per request (orderservice.api.serializers.InputSerializer): a
    refused body's errors never show up in the next request's answer, and a valid one after it is placed."""
    customer, product = CustomerFactory(), ProductFactory(stock_quantity=5)
    refused = api_client.post(
        "/api/orders", {"customer_id": "one", "order_items": [{"product_id": product.pk, "quantity": 0}]}, format="json"
    )
    placed = api_client.post("/api/orders", order_request(customer, (product, 2)), format="json")
    refused_otherwise = api_client.post(
        "/api/orders", {"customer_id": customer.pk, "order_items": [], "notes": "x" * 501}, format="json"
    )

    assert refused.status_code == 400 and set(refused.json()["errors"]) == {"customer_id", "order_items.0.quantity"}
    assert placed.status_code == 201 and stock_of(product) == 3
    assert refused_otherwise.status_code == 400 and set(refused_otherwise.json()["errors"]) == {"order_items", "notes"}
