"""Reading products: GET /api/products lists them by name, GET /api/products/{id} shows one, its price a
string with two decimals."""

from decimal import Decimal

import pytest

from orderservice.testing.api import product_json, without_timestamps
from orderservice.testing.bodies import LAPTOP
from orderservice.testing.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_list_orders_by_name(api_client):
    mouse = ProductFactory(name="Wireless Mouse")
    laptop = ProductFactory(name="Laptop Computer")
    chair = ProductFactory(name="Office Chair", is_active=False)
    desk = ProductFactory(name="Desk Lamp", sku=None, description=None, category=None)

    response = api_client.get("/api/products")

    assert response.status_code == 200
    assert response.json() == [product_json(product) for product in (desk, laptop, chair, mouse)]


def test_retrieve_returns_every_field_with_price_as_a_two_decimal_string(api_client):
    product = ProductFactory(**{**LAPTOP, "price": Decimal("1299.99")})

    response = api_client.get(f"/api/products/{product.pk}")

    assert response.status_code == 200
    body = response.json()
    assert list(body) == [
        "id",
        "name",
        "description",
        "price",
        "sku",
        "stock_quantity",
        "category",
        "is_active",
        "created_at",
        "updated_at",
    ]
    assert without_timestamps(body) == {"id": product.pk, **LAPTOP}
    assert body == product_json(product)


def test_retrieve_shows_whole_prices_with_two_decimals_and_null_for_empty_fields(api_client):
    product = ProductFactory(
        name="Cable", price=Decimal("5"), description=None, sku=None, category=None, stock_quantity=0
    )

    response = api_client.get(f"/api/products/{product.pk}")

    assert response.status_code == 200
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
