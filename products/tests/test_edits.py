"""Changing products: PUT /api/products/{id} resets what it leaves out, PATCH may clear the SKU; both refuse
an invalid value. What every resource's PUT and PATCH do alike is in orderservice/tests/test_resources.py."""

import pytest

from orderservice.testing.api import assert_invalid, product_json, without_timestamps
from orderservice.testing.bodies import LAPTOP
from orderservice.testing.factories import ProductFactory
from orderservice.testing.state import database_state

pytestmark = pytest.mark.django_db


def test_put_resets_what_it_leaves_out_to_the_defaults(api_client):
    product = ProductFactory(is_active=False, description="Old", sku="OLD-1", category="Old")

    response = api_client.put(
        f"/api/products/{product.pk}", {"name": "Bare", "price": "5.00", "stock_quantity": 3}, format="json"
    )

    assert response.status_code == 200
    assert without_timestamps(product_json(product)) == {
        "id": product.pk,
        "name": "Bare",
        "description": None,
        "price": "5.00",
        "sku": None,
        "stock_quantity": 3,
        "category": None,
        "is_active": True,
    }


@pytest.mark.parametrize(
    "payload, field, message",
    [
        ({"price": "0"}, "price", "Ensure this value is greater than 0."),
        ({"price": "-5.00"}, "price", "Ensure this value is greater than 0."),
        ({"price": "9.999"}, "price", "Ensure that there are no more than 2 decimal places."),
        ({"stock_quantity": -1}, "stock_quantity", "Ensure this value is greater than or equal to 0."),
        ({"name": ""}, "name", "This field may not be blank."),
        ({"description": "x" * 1001}, "description", "Ensure this field has no more than 1000 characters."),
        ({"category": "x" * 101}, "category", "Ensure this field has no more than 100 characters."),
    ],
)
def test_put_refuses_an_invalid_field(api_client, payload, field, message):
    product = ProductFactory()
    before = database_state()

    response = api_client.put(f"/api/products/{product.pk}", {**LAPTOP, **payload}, format="json")

    assert_invalid(response, field, message)
    assert database_state() == before


def test_patch_with_an_empty_sku_clears_it(api_client):
    product = ProductFactory(sku="LAPTOP-001")

    response = api_client.patch(f"/api/v1/products/{product.pk}/", {"sku": ""}, format="json")

    assert response.status_code == 200
    assert response.json()["sku"] is None
    product.refresh_from_db()
    assert product.sku is None


@pytest.mark.parametrize(
    "payload, field, message",
    [
        ({"price": "0"}, "price", "Ensure this value is greater than 0."),
        ({"stock_quantity": -1}, "stock_quantity", "Ensure this value is greater than or equal to 0."),
        ({"sku": "x" * 51}, "sku", "Ensure this field has no more than 50 characters."),
        ({"name": "x" * 201}, "name", "Ensure this field has no more than 200 characters."),
    ],
)
def test_patch_refuses_an_invalid_field(api_client, payload, field, message):
    product = ProductFactory()
    before = database_state()

    response = api_client.patch(f"/api/products/{product.pk}", payload, format="json")

    assert_invalid(response, field, message)
    assert database_state() == before
