"""Changing customers: PUT /api/customers/{id} clears what it leaves out, PATCH may clear optional fields;
both take camelCase names and refuse an invalid value. What every resource's PUT and PATCH do alike is in
orderservice/tests/test_resources.py."""

import pytest

from orderservice.testing.api import assert_invalid
from orderservice.testing.bodies import NEW_CUSTOMER
from orderservice.testing.factories import CustomerFactory
from orderservice.testing.state import database_state

pytestmark = pytest.mark.django_db


def test_put_clears_the_phone_and_address_it_leaves_out(api_client):
    customer = CustomerFactory(phone="+1555", address="1 Old Road")

    response = api_client.put(
        f"/api/customers/{customer.pk}",
        {"first_name": "Ann", "last_name": "Lee", "email": customer.email},
        format="json",
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.phone, customer.address) == (None, None)


def test_put_accepts_camel_case_names(api_client):
    customer = CustomerFactory()

    response = api_client.put(
        f"/api/customers/{customer.pk}/",
        {"firstName": "Jane", "lastName": "Smith", "email": customer.email},
        format="json",
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name) == ("Jane", "Smith")


def test_put_refuses_a_value_over_its_length_limit(api_client):
    customer = CustomerFactory()
    before = database_state()

    response = api_client.put(f"/api/customers/{customer.pk}", {**NEW_CUSTOMER, "phone": "1" * 21}, format="json")

    assert_invalid(response, "phone", "Ensure this field has no more than 20 characters.")
    assert database_state() == before


def test_patch_accepts_camel_case_names(api_client):
    customer = CustomerFactory()

    response = api_client.patch(f"/api/customers/{customer.pk}", {"lastName": "Roe"}, format="json")

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.last_name == "Roe"


def test_patch_may_clear_optional_fields(api_client):
    customer = CustomerFactory()

    response = api_client.patch(f"/api/v1/customers/{customer.pk}", {"phone": None, "address": None}, format="json")

    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.phone, customer.address) == (None, None)


@pytest.mark.parametrize(
    "payload, field, message",
    [
        ({"first_name": ""}, "first_name", "This field may not be blank."),
        ({"last_name": "x" * 101}, "last_name", "Ensure this field has no more than 100 characters."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"address": "x" * 501}, "address", "Ensure this field has no more than 500 characters."),
    ],
)
def test_patch_refuses_an_invalid_field(api_client, payload, field, message):
    customer = CustomerFactory()
    before = database_state()

    response = api_client.patch(f"/api/customers/{customer.pk}", payload, format="json")

    assert_invalid(response, field, message)
    assert database_state() == before
