"""Changing an order's notes and shipping address: PUT and PATCH /api/orders/{id} change the fields sent
(PUT may move the status too, under the lifecycle's rules)."""

import pytest

from orderservice.testing.api import assert_problem, order_json
from orderservice.testing.factories import ProductFactory, place_order
from orderservice.testing.lifecycle import VALID_STATUSES
from orderservice.testing.state import database_state, stock_of

pytestmark = pytest.mark.django_db


def test_update_order_changes_notes_address_and_status(api_client):
    product = ProductFactory(stock_quantity=10)
    order = place_order(items=[(product, 3)], notes="old", shipping_address="old address")

    response = api_client.put(
        f"/api/orders/{order.pk}",
        {"notes": "new", "shipping_address": "2 New St", "status": "Processing"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == order_json(order)
    assert {key: response.json()[key] for key in ("notes", "shipping_address", "status")} == {
        "notes": "new",
        "shipping_address": "2 New St",
        "status": "Processing",
    }
    assert stock_of(product) == 7


def test_update_order_changes_only_the_fields_sent(api_client):
    order = place_order(notes="keep", shipping_address="keep too")

    response = api_client.put(f"/api/orders/{order.pk}", {"notes": None}, format="json")

    assert response.status_code == 200
    assert (response.json()["notes"], response.json()["shipping_address"], response.json()["status"]) == (
        None,
        "keep too",
        "Pending",
    )


def test_update_order_to_cancelled_gives_the_stock_back(api_client):
    product = ProductFactory(stock_quantity=10)
    order = place_order(items=[(product, 3)])

    response = api_client.put(f"/api/orders/{order.pk}", {"status": "Cancelled"}, format="json")

    assert (response.status_code, response.json()["status"]) == (200, "Cancelled")
    assert stock_of(product) == 10


@pytest.mark.parametrize(
    ("body", "detail", "errors"),
    [
        (
            {"status": "Lost", "notes": "new"},
            f"Invalid status 'Lost'. Valid values: {VALID_STATUSES}",
            {"status": [f"Invalid status 'Lost'. Valid values: {VALID_STATUSES}"]},
        ),
        (
            {"status": "Delivered", "notes": "new"},
            "Cannot change status from Pending to Delivered; allowed: Processing, Cancelled",
            {"status": ["Cannot change status from Pending to Delivered; allowed: Processing, Cancelled"]},
        ),
        (
            {"notes": "n" * 501, "status": "Cancelled"},
            "notes: Ensure this field has no more than 500 characters.",
            {"notes": ["Ensure this field has no more than 500 characters."]},
        ),
        (
            {"shipping_address": "a" * 201},
            "shipping_address: Ensure this field has no more than 200 characters.",
            {"shipping_address": ["Ensure this field has no more than 200 characters."]},
        ),
    ],
)
def test_update_order_refuses_bad_changes_and_changes_nothing(api_client, body, detail, errors):
    order = place_order(items=[(ProductFactory(stock_quantity=10), 2)], notes="old")
    before = database_state()

    response = api_client.put(f"/api/orders/{order.pk}", body, format="json")

    assert_problem(response, 400, detail, errors)
    assert database_state() == before
