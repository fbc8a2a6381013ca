"""Creating customers: POST /api/customers, what it stores and the emails it refuses (README.md, "The API in
one table"; docs/api.md). What every resource's POST does alike (required fields, length limits, a value another
row has) is in orderservice/tests/test_resources.py."""

import pytest

from customers.models import Customer
from customers.serializers import CustomerSerializer
from orderservice.testing.api import assert_invalid, assert_problem, customer_json, without_timestamps
from orderservice.testing.bodies import NEW_CUSTOMER
from orderservice.testing.factories import CustomerFactory
from orderservice.testing.state import database_state

pytestmark = pytest.mark.django_db

DUPLICATE_EMAIL = "Customer with this email already exists"


def test_create_answers_201_with_the_customer(api_client):
    response = api_client.post("/api/customers", NEW_CUSTOMER, format="json")

    assert response.status_code == 201
    customer = Customer.objects.get()
    assert without_timestamps(response.json()) == {"id": customer.pk, **NEW_CUSTOMER, "user_id": None}
    assert response.json() == customer_json(customer)


@pytest.mark.parametrize(
    "names",
    [{"first_name": "Jane", "last_name": "Smith"}, {"firstName": "Jane", "lastName": "Smith"}],
    ids=["snake_case", "camelCase"],
)
def test_create_with_only_required_fields_in_either_spelling_stores_null_for_the_rest(api_client, names):
    response = api_client.post("/api/customers", {**names, "email": "jane@example.com"}, format="json")

    assert response.status_code == 201
    customer = Customer.objects.get()
    assert without_timestamps(response.json()) == {
        "id": customer.pk,
        "first_name": "Jane",
        "last_name": "Smith",
        "email": "jane@example.com",
        "phone": None,
        "address": None,
        "user_id": None,
    }
    assert (customer.first_name, customer.last_name, customer.phone, customer.address) == ("Jane", "Smith", None, None)


def test_create_prefers_snake_case_when_both_spellings_are_sent(api_client):
    payload = {
        "first_name": "Jane",
        "firstName": "Ignored",
        "last_name": "Smith",
        "lastName": "Ignored",
        "email": "jane@example.com",
    }

    response = api_client.post("/api/customers", payload, format="json")

    assert response.status_code == 201
    assert Customer.objects.get().first_name == "Jane"
    assert Customer.objects.get().last_name == "Smith"


def test_create_accepts_the_longest_allowed_values(api_client):
    payload = {
        "first_name": "F" * 100,
        "last_name": "L" * 100,
        "email": "e" * 243 + "@example.com",
        "phone": "1" * 20,
        "address": "A" * 500,
    }
    assert len(payload["email"]) == 255

    response = api_client.post("/api/customers", payload, format="json")

    assert response.status_code == 201
    customer = Customer.objects.get()
    assert without_timestamps(customer_json(customer)) == {"id": customer.pk, **payload, "user_id": None}


@pytest.mark.parametrize(
    "email, message",
    [
        ("not-an-email", "Enter a valid email address."),
        ("john.doe@", "Enter a valid email address."),
        ("@example.com", "Enter a valid email address."),
        ("john doe@example.com", "Enter a valid email address."),
        ("", "This field may not be blank."),
        (None, "This field may not be null."),
    ],
)
def test_create_refuses_an_invalid_email(api_client, email, message):
    response = api_client.post("/api/customers", {**NEW_CUSTOMER, "email": email}, format="json")

    assert_invalid(response, "email", message)
    assert Customer.objects.count() == 0


def test_create_refuses_an_email_over_255_characters(api_client):
    email = "e" * 244 + "@example.com"

    response = api_client.post("/api/customers", {**NEW_CUSTOMER, "email": email}, format="json")

    assert_invalid(response, "email", "Ensure this field has no more than 255 characters.")
    assert Customer.objects.count() == 0


def test_database_refuses_a_duplicate_email_the_check_missed(api_client, monkeypatch):
    """Two requests racing for one email both pass the check; the unique index refuses the second."""
    CustomerFactory(email="john.doe@example.com")
    before = database_state()
    monkeypatch.setattr(CustomerSerializer, "validate_email", lambda self, email: email)

    response = api_client.post("/api/customers", {**NEW_CUSTOMER, "email": "John.Doe@example.com"}, format="json")

    assert_problem(response, 400, DUPLICATE_EMAIL, {"email": [DUPLICATE_EMAIL]})
    assert database_state() == before
