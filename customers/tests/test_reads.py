"""Reading customers: GET /api/customers lists them by name, GET /api/customers/{id} shows one."""

import pytest

from orderservice.testing.api import customer_json, without_timestamps
from orderservice.testing.bodies import NEW_CUSTOMER
from orderservice.testing.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_list_orders_by_last_name_then_first_name(api_client):
    john_smith = CustomerFactory(first_name="John", last_name="Smith")
    jane_doe = CustomerFactory(first_name="Jane", last_name="Doe")
    anna_smith = CustomerFactory(first_name="Anna", last_name="Smith")
    adam_doe = CustomerFactory(first_name="Adam", last_name="Doe")
    bob_brown = CustomerFactory(first_name="Bob", last_name="Brown")

    response = api_client.get("/api/customers")

    assert response.status_code == 200
    assert response.json() == [
        customer_json(customer) for customer in (bob_brown, adam_doe, jane_doe, anna_smith, john_smith)
    ]


def test_retrieve_returns_every_field(api_client):
    customer = CustomerFactory(**NEW_CUSTOMER)

    response = api_client.get(f"/api/customers/{customer.pk}")

    assert response.status_code == 200
    body = response.json()
    assert list(body) == [
        "id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "address",
        "user_id",
        "created_at",
        "updated_at",
    ]
    assert without_timestamps(body) == {"id": customer.pk, **NEW_CUSTOMER, "user_id": None}
    assert body == customer_json(customer)


def test_retrieve_shows_null_for_empty_optional_fields(api_client):
    customer = CustomerFactory(phone=None, address=None)

    response = api_client.get(f"/api/customers/{customer.pk}")

    assert response.status_code == 200
    assert without_timestamps(response.json()) == {
        "id": customer.pk,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "email": customer.email,
        "phone": None,
        "address": None,
        "user_id": None,
    }
