"""Changing products: PUT /api/products/{id} replaces one (stock_quantity included), PATCH changes the fields
sent; the SKU stays unique."""
from decimal import Decimal

import pytest

from orderservice.testing.api import (assert_invalid, assert_problem, make_stale, product_json,
                                      without_timestamps)
from orderservice.testing.bodies import LAPTOP
from orderservice.testing.factories import ProductFactory
from orderservice.testing.state import database_state

pytestmark = pytest.mark.django_db

DUPLICATE_SKU = "Product with this SKU already exists"
REQUIRED = "This field is required."


def test_put_replaces_the_product(api_client):
    product = ProductFactory()
    created_at = product.created_at
    stale = make_stale(product)
    payload = {**LAPTOP, "is_active": False}

    response = api_client.put(f"/api/products/{product.pk}", payload, format="json")

    assert response.status_code == 200
    assert without_timestamps(response.json()) == {"id": product.pk, **payload}
    assert response.json() == product_json(product)
    product.refresh_from_db()
    assert product.created_at == created_at
    assert product.updated_at > stale


def test_put_resets_what_it_leaves_out_to_the_defaults(api_client):
    product = ProductFactory(is_active=False, description="Old", sku="OLD-1", category="Old")

    response = api_client.put(f"/api/products/{product.pk}",
                              {"name": "Bare", "price": "5.00", "stock_quantity": 3}, format="json")

    assert response.status_code == 200
    assert without_timestamps(product_json(product)) == {
        "id": product.pk, "name": "Bare", "description": None, "price": "5.00", "sku": None, "stock_quantity": 3,
        "category": None, "is_active": True}


def test_put_requires_stock_quantity(api_client):
    product = ProductFactory()
    before = database_state()
    payload = {key: value for key, value in LAPTOP.items() if key != "stock_quantity"}

    response = api_client.put(f"/api/products/{product.pk}", payload, format="json")

    assert_invalid(response, "stock_quantity", REQUIRED)
    assert database_state() == before


def test_put_requires_name_and_price(api_client):
    product = ProductFactory()
    before = database_state()

    response = api_client.put(f"/api/products/{product.pk}", {"stock_quantity": 5}, format="json")

    assert_problem(response, 400, f"name: {REQUIRED}; price: {REQUIRED}", {"name": [REQUIRED], "price": [REQUIRED]})
    assert database_state() == before


def test_put_may_keep_the_products_own_sku(api_client):
    product = ProductFactory(sku="LAPTOP-001")

    response = api_client.put(f"/api/products/{product.pk}", {**LAPTOP, "stock_quantity": 7}, format="json")

    assert response.status_code == 200
    product.refresh_from_db()
    assert (product.sku, product.stock_quantity) == ("LAPTOP-001", 7)


def test_put_refuses_another_products_sku(api_client):
    ProductFactory(sku="LAPTOP-001")
    product = ProductFactory(sku="OTHER-001")
    before = database_state()

    response = api_client.put(f"/api/products/{product.pk}", LAPTOP, format="json")

    assert_problem(response, 400, DUPLICATE_SKU, {"sku": [DUPLICATE_SKU]})
    assert database_state() == before


@pytest.mark.parametrize("payload, field, message", [
    ({"price": "0"}, "price", "Ensure this value is greater than 0."),
    ({"price": "-5.00"}, "price", "Ensure this value is greater than 0."),
    ({"price": "9.999"}, "price", "Ensure that there are no more than 2 decimal places."),
    ({"stock_quantity": -1}, "stock_quantity", "Ensure this value is greater than or equal to 0."),
    ({"name": ""}, "name", "This field may not be blank."),
    ({"description": "x" * 1001}, "description", "Ensure this field has no more than 1000 characters."),
    ({"category": "x" * 101}, "category", "Ensure this field has no more than 100 characters."),
])
def test_put_refuses_an_invalid_field(api_client, payload, field, message):
    product = ProductFactory()
    before = database_state()

    response = api_client.put(f"/api/products/{product.pk}", {**LAPTOP, **payload}, format="json")

    assert_invalid(response, field, message)
    assert database_state() == before


def test_patch_changes_only_the_fields_sent_and_needs_no_stock_quantity(api_client):
    product = ProductFactory(**{**LAPTOP, "price": Decimal("1299.99")})
    stale = make_stale(product)

    response = api_client.patch(f"/api/products/{product.pk}", {"price": "1199.50", "is_active": False},
                                format="json")

    assert response.status_code == 200
    assert without_timestamps(response.json()) == {"id": product.pk, **LAPTOP, "price": "1199.50",
                                                   "is_active": False}
    assert response.json() == product_json(product)
    product.refresh_from_db()
    assert product.updated_at > stale


def test_patch_with_an_empty_sku_clears_it(api_client):
    product = ProductFactory(sku="LAPTOP-001")

    response = api_client.patch(f"/api/v1/products/{product.pk}/", {"sku": ""}, format="json")

    assert response.status_code == 200
    assert response.json()["sku"] is None
    product.refresh_from_db()
    assert product.sku is None


def test_patch_refuses_another_products_sku(api_client):
    ProductFactory(sku="LAPTOP-001")
    product = ProductFactory()
    before = database_state()

    response = api_client.patch(f"/api/products/{product.pk}", {"sku": "LAPTOP-001"}, format="json")

    assert_problem(response, 400, DUPLICATE_SKU, {"sku": [DUPLICATE_SKU]})
    assert database_state() == before


@pytest.mark.parametrize("payload, field, message", [
    ({"price": "0"}, "price", "Ensure this value is greater than 0."),
    ({"stock_quantity": -1}, "stock_quantity", "Ensure this value is greater than or equal to 0."),
    ({"sku": "x" * 51}, "sku", "Ensure this field has no more than 50 characters."),
    ({"name": "x" * 201}, "name", "Ensure this field has no more than 200 characters."),
])
def test_patch_refuses_an_invalid_field(api_client, payload, field, message):
    product = ProductFactory()
    before = database_state()

    response = api_client.patch(f"/api/products/{product.pk}", payload, format="json")

    assert_invalid(response, field, message)
    assert database_state() == before
