"""Changing customers: PUT /api/customers/{id} replaces one, PATCH changes the fields sent; the email stays
unique in any case."""
import pytest

from customers.models import Customer
from orderservice.testing.api import (assert_invalid, assert_problem, customer_json, make_stale,
                                      without_timestamps)
from orderservice.testing.bodies import NEW_CUSTOMER
from orderservice.testing.factories import CustomerFactory
from orderservice.testing.state import database_state

pytestmark = pytest.mark.django_db

DUPLICATE_EMAIL = "Customer with this email already exists"
REQUIRED = "This field is required."


def test_put_replaces_the_customer(api_client):
    customer = CustomerFactory()
    created_at = customer.created_at
    stale = make_stale(customer)

    response = api_client.put(f"/api/customers/{customer.pk}", NEW_CUSTOMER, format="json")

    assert response.status_code == 200
    assert without_timestamps(response.json()) == {"id": customer.pk, **NEW_CUSTOMER, "user_id": None}
    assert response.json() == customer_json(customer)
    customer.refresh_from_db()
    assert customer.created_at == created_at
    assert customer.updated_at > stale


def test_put_clears_the_phone_and_address_it_leaves_out(api_client):
    customer = CustomerFactory(phone="+1555", address="1 Old Road")

    response = api_client.put(f"/api/customers/{customer.pk}",
                              {"first_name": "Ann", "last_name": "Lee", "email": customer.email}, format="json")

    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.phone, customer.address) == (None, None)


def test_put_accepts_camel_case_names(api_client):
    customer = CustomerFactory()

    response = api_client.put(f"/api/customers/{customer.pk}/",
                              {"firstName": "Jane", "lastName": "Smith", "email": customer.email}, format="json")

    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name) == ("Jane", "Smith")


def test_put_requires_names_and_email(api_client):
    customer = CustomerFactory()
    before = database_state()

    response = api_client.put(f"/api/customers/{customer.pk}", {"phone": "+1234567890"}, format="json")

    assert_problem(response, 400, f"first_name: {REQUIRED}; last_name: {REQUIRED}; email: {REQUIRED}",
                   {"first_name": [REQUIRED], "last_name": [REQUIRED], "email": [REQUIRED]})
    assert database_state() == before


def test_put_may_keep_the_customers_own_email_in_another_case(api_client):
    customer = CustomerFactory(email="john.doe@example.com")

    response = api_client.put(f"/api/customers/{customer.pk}",
                              {**NEW_CUSTOMER, "email": "John.Doe@Example.com"}, format="json")

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.email == "John.Doe@Example.com"


def test_put_refuses_another_customers_email(api_client):
    CustomerFactory(email="john.doe@example.com")
    customer = CustomerFactory(email="jane@example.com")
    before = database_state()

    response = api_client.put(f"/api/customers/{customer.pk}", NEW_CUSTOMER, format="json")

    assert_problem(response, 400, DUPLICATE_EMAIL, {"email": [DUPLICATE_EMAIL]})
    assert database_state() == before


def test_put_refuses_a_value_over_its_length_limit(api_client):
    customer = CustomerFactory()
    before = database_state()

    response = api_client.put(f"/api/customers/{customer.pk}", {**NEW_CUSTOMER, "phone": "1" * 21}, format="json")

    assert_invalid(response, "phone", "Ensure this field has no more than 20 characters.")
    assert database_state() == before


def test_patch_changes_only_the_fields_sent(api_client):
    customer = CustomerFactory(**NEW_CUSTOMER)
    stale = make_stale(customer)

    response = api_client.patch(f"/api/customers/{customer.pk}", {"phone": "+1999", "lastName": "Roe"}, format="json")

    assert response.status_code == 200
    assert without_timestamps(response.json()) == {"id": customer.pk, **NEW_CUSTOMER, "phone": "+1999",
                                                   "last_name": "Roe", "user_id": None}
    assert response.json() == customer_json(customer)
    customer.refresh_from_db()
    assert customer.updated_at > stale


def test_patch_may_clear_optional_fields(api_client):
    customer = CustomerFactory()

    response = api_client.patch(f"/api/v1/customers/{customer.pk}", {"phone": None, "address": None}, format="json")

    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.phone, customer.address) == (None, None)


def test_patch_refuses_another_customers_email_in_another_case(api_client):
    CustomerFactory(email="john.doe@example.com")
    customer = CustomerFactory()
    before = database_state()

    response = api_client.patch(f"/api/customers/{customer.pk}", {"email": "JOHN.DOE@example.com"}, format="json")

    assert_problem(response, 400, DUPLICATE_EMAIL, {"email": [DUPLICATE_EMAIL]})
    assert database_state() == before


@pytest.mark.parametrize("payload, field, message", [
    ({"first_name": ""}, "first_name", "This field may not be blank."),
    ({"last_name": "x" * 101}, "last_name", "Ensure this field has no more than 100 characters."),
    ({"email": "not-an-email"}, "email", "Enter a valid email address."),
    ({"address": "x" * 501}, "address", "Ensure this field has no more than 500 characters."),
])
def test_patch_refuses_an_invalid_field(api_client, payload, field, message):
    customer = CustomerFactory()
    before = database_state()

    response = api_client.patch(f"/api/customers/{customer.pk}", payload, format="json")

    assert_invalid(response, field, message)
    assert database_state() == before
