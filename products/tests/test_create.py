"""Creating products: POST /api/products, its defaults, the price and stock it accepts, and the products
without a SKU (README.md, "The API in one table"; docs/api.md). What every resource's POST does alike (required
fields, length limits, a value another row has) is in orderservice/tests/test_resources.py."""

from decimal import Decimal

import pytest
from rest_framework.validators import UniqueValidator

from orderservice.domain.money import largest_amount
from orderservice.testing.api import assert_invalid, assert_problem, product_json, without_timestamps
from orderservice.testing.bodies import LAPTOP
from orderservice.testing.factories import ProductFactory
from orderservice.testing.state import database_state
from products.models import Product

pytestmark = pytest.mark.django_db

DUPLICATE_SKU = "Product with this SKU already exists"


def test_create_answers_201_with_the_product(api_client):
    response = api_client.post("/api/products", LAPTOP, format="json")

    assert response.status_code == 201
    product = Product.objects.get()
    assert without_timestamps(response.json()) == {"id": product.pk, **LAPTOP}
    assert response.json() == product_json(product)


def test_create_with_only_name_and_price_uses_the_defaults(api_client):
    response = api_client.post("/api/products", {"name": "Cable", "price": "5"}, format="json")

    assert response.status_code == 201
    product = Product.objects.get()
    assert without_timestamps(response.json()) == {
        "id": product.pk,
        "name": "Cable",
        "description": None,
        "price": "5.00",
        "sku": None,
        "stock_quantity": 0,
        "category": None,
        "is_active": True,
    }
    assert response.json() == product_json(product)


def test_create_accepts_a_price_sent_as_a_json_number(api_client):
    response = api_client.post("/api/products", {**LAPTOP, "price": 1299.99}, format="json")

    assert response.status_code == 201
    assert response.json()["price"] == "1299.99"
    assert Product.objects.get().price == Decimal("1299.99")


def test_create_may_make_an_inactive_product(api_client):
    response = api_client.post("/api/products", {**LAPTOP, "is_active": False}, format="json")

    assert response.status_code == 201
    assert response.json()["is_active"] is False
    assert Product.objects.get().is_active is False


def test_create_accepts_the_longest_allowed_values_and_the_smallest_price(api_client):
    payload = {
        "name": "N" * 200,
        "description": "D" * 1000,
        "price": "0.01",
        "sku": "S" * 50,
        "stock_quantity": 0,
        "category": "C" * 100,
        "is_active": True,
    }

    response = api_client.post("/api/products", payload, format="json")

    assert response.status_code == 201
    product = Product.objects.get()
    assert without_timestamps(product_json(product)) == {"id": product.pk, **payload}


@pytest.mark.parametrize(
    "price, message",
    [
        ("0", "Ensure this value is greater than 0."),
        ("0.00", "Ensure this value is greater than 0."),
        ("-1.00", "Ensure this value is greater than 0."),
        ("1.005", "Ensure that there are no more than 2 decimal places."),
        ("12345678901234567", "Ensure that there are no more than 16 digits before the decimal point."),
        ("cheap", "A valid number is required."),
        (None, "This field may not be null."),
    ],
)
def test_create_refuses_an_invalid_price(api_client, price, message):
    response = api_client.post("/api/products", {**LAPTOP, "price": price}, format="json")

    assert_invalid(response, "price", message)
    assert Product.objects.count() == 0


@pytest.mark.parametrize(
    "stock, message",
    [
        (-1, "Ensure this value is greater than or equal to 0."),
        ("many", "A valid integer is required."),
        (1.5, "A valid integer is required."),
    ],
)
def test_create_refuses_an_invalid_stock_quantity(api_client, stock, message):
    response = api_client.post("/api/products", {**LAPTOP, "stock_quantity": stock}, format="json")

    assert_invalid(response, "stock_quantity", message)
    assert Product.objects.count() == 0


def test_the_largest_storable_price_is_kept_exactly_and_a_larger_one_refused(api_client):
    largest = largest_amount()  # 13 digits before the point on SQLite, 16 on PostgreSQL

    created = api_client.post("/api/products", {**LAPTOP, "price": str(largest)}, format="json")
    assert created.status_code == 201
    assert api_client.get(created["Location"]).json()["price"] == str(largest)
    assert api_client.get("/api/products").status_code == 200

    too_large = api_client.post(
        "/api/products", {**LAPTOP, "sku": "X", "price": str(largest + Decimal("0.01"))}, format="json"
    )
    assert too_large.status_code == 400
    assert list(too_large.json()["errors"]) == ["price"]  # SQLite: "less than or equal"; PostgreSQL: "18 digits"
    assert Product.objects.count() == 1


def test_create_refuses_a_stock_quantity_beyond_the_column(api_client):
    response = api_client.post("/api/products", {**LAPTOP, "stock_quantity": 2**31}, format="json")

    assert_invalid(response, "stock_quantity", "Ensure this value is less than or equal to 2147483647.")
    assert Product.objects.count() == 0


def test_an_empty_sku_is_stored_as_null_and_many_products_may_have_none(api_client):
    first = api_client.post("/api/products", {**LAPTOP, "sku": ""}, format="json")
    second = api_client.post("/api/products", {**LAPTOP, "sku": ""}, format="json")
    third = api_client.post(
        "/api/products", {key: value for key, value in LAPTOP.items() if key != "sku"}, format="json"
    )
    fourth = api_client.post("/api/products", {**LAPTOP, "sku": None}, format="json")

    assert [response.status_code for response in (first, second, third, fourth)] == [201, 201, 201, 201]
    assert [response.json()["sku"] for response in (first, second, third, fourth)] == [None, None, None, None]
    assert list(Product.objects.values_list("sku", flat=True)) == [None, None, None, None]


def test_database_refuses_a_duplicate_sku_the_check_missed(api_client, monkeypatch):
    """Two requests racing for one SKU both pass the check; the unique index refuses the second."""
    ProductFactory(sku="LAPTOP-001")
    before = database_state()
    monkeypatch.setattr(UniqueValidator, "__call__", lambda self, value, serializer_field: None)

    response = api_client.post("/api/products", LAPTOP, format="json")

    assert_problem(response, 400, DUPLICATE_SKU, {"sku": [DUPLICATE_SKU]})
    assert database_state() == before
