"""Creating customers: POST /api/customers, its required fields, limits and the email that must be unique in
any case (CONTRACT.md sections 3 and 6)."""
import pytest

from customers.models import Customer
from customers.serializers import CustomerSerializer
from orderservice.testing.api import assert_invalid, assert_problem, customer_json, without_timestamps
from orderservice.testing.bodies import NEW_CUSTOMER
from orderservice.testing.factories import CustomerFactory
from orderservice.testing.state import database_state

pytestmark = pytest.mark.django_db

DUPLICATE_EMAIL = "Customer with this email already exists"
REQUIRED = "This field is required."


def test_create_answers_201_with_the_customer(api_client):
    response = api_client.post("/api/customers", NEW_CUSTOMER, format="json")

    assert response.status_code == 201
    customer = Customer.objects.get()
    assert without_timestamps(response.json()) == {"id": customer.pk, **NEW_CUSTOMER, "user_id": None}
    assert response.json() == customer_json(customer)


def test_create_with_only_required_fields_stores_null_for_the_rest(api_client):
    response = api_client.post(
        "/api/customers", {"first_name": "Jane", "last_name": "Smith", "email": "jane@example.com"}, format="json")

    assert response.status_code == 201
    customer = Customer.objects.get()
    assert without_timestamps(response.json()) == {
        "id": customer.pk, "first_name": "Jane", "last_name": "Smith", "email": "jane@example.com",
        "phone": None, "address": None, "user_id": None}
    assert (customer.phone, customer.address) == (None, None)


def test_create_accepts_camel_case_names(api_client):
    response = api_client.post(
        "/api/customers", {"firstName": "Jane", "lastName": "Smith", "email": "jane@example.com"}, format="json")

    assert response.status_code == 201
    customer = Customer.objects.get()
    assert without_timestamps(response.json()) == {
        "id": customer.pk, "first_name": "Jane", "last_name": "Smith", "email": "jane@example.com",
        "phone": None, "address": None, "user_id": None}
    assert (customer.first_name, customer.last_name) == ("Jane", "Smith")


def test_create_prefers_snake_case_when_both_spellings_are_sent(api_client):
    payload = {"first_name": "Jane", "firstName": "Ignored", "last_name": "Smith", "lastName": "Ignored",
               "email": "jane@example.com"}

    response = api_client.post("/api/customers", payload, format="json")

    assert response.status_code == 201
    assert Customer.objects.get().first_name == "Jane"
    assert Customer.objects.get().last_name == "Smith"


def test_create_accepts_the_longest_allowed_values(api_client):
    payload = {"first_name": "F" * 100, "last_name": "L" * 100, "email": "e" * 243 + "@example.com",
               "phone": "1" * 20, "address": "A" * 500}
    assert len(payload["email"]) == 255

    response = api_client.post("/api/customers", payload, format="json")

    assert response.status_code == 201
    customer = Customer.objects.get()
    assert without_timestamps(customer_json(customer)) == {"id": customer.pk, **payload, "user_id": None}


def test_create_requires_names_and_email(api_client):
    response = api_client.post("/api/customers", {"phone": "+1234567890"}, format="json")

    assert_problem(response, 400, f"first_name: {REQUIRED}; last_name: {REQUIRED}; email: {REQUIRED}",
                   {"first_name": [REQUIRED], "last_name": [REQUIRED], "email": [REQUIRED]})
    assert Customer.objects.count() == 0


@pytest.mark.parametrize("field", ["first_name", "last_name"])
@pytest.mark.parametrize("value, message", [
    ("", "This field may not be blank."),
    ("   ", "This field may not be blank."),
    (None, "This field may not be null."),
])
def test_create_refuses_an_empty_name(api_client, field, value, message):
    response = api_client.post("/api/customers", {**NEW_CUSTOMER, field: value}, format="json")

    assert_invalid(response, field, message)
    assert Customer.objects.count() == 0


@pytest.mark.parametrize("field, limit", [("first_name", 100), ("last_name", 100), ("phone", 20), ("address", 500)])
def test_create_refuses_a_value_over_its_length_limit(api_client, field, limit):
    response = api_client.post("/api/customers", {**NEW_CUSTOMER, field: "x" * (limit + 1)}, format="json")

    assert_invalid(response, field, f"Ensure this field has no more than {limit} characters.")
    assert Customer.objects.count() == 0


@pytest.mark.parametrize("email, message", [
    ("not-an-email", "Enter a valid email address."),
    ("john.doe@", "Enter a valid email address."),
    ("@example.com", "Enter a valid email address."),
    ("john doe@example.com", "Enter a valid email address."),
    ("", "This field may not be blank."),
    (None, "This field may not be null."),
])
def test_create_refuses_an_invalid_email(api_client, email, message):
    response = api_client.post("/api/customers", {**NEW_CUSTOMER, "email": email}, format="json")

    assert_invalid(response, "email", message)
    assert Customer.objects.count() == 0


def test_create_refuses_an_email_over_255_characters(api_client):
    email = "e" * 244 + "@example.com"

    response = api_client.post("/api/customers", {**NEW_CUSTOMER, "email": email}, format="json")

    assert_invalid(response, "email", "Ensure this field has no more than 255 characters.")
    assert Customer.objects.count() == 0


@pytest.mark.parametrize("email", ["john.doe@example.com", "JOHN.DOE@EXAMPLE.COM", "John.Doe@Example.com"])
def test_create_refuses_an_email_already_taken_in_any_case(api_client, email):
    CustomerFactory(email="john.doe@example.com")
    before = database_state()

    response = api_client.post("/api/customers", {**NEW_CUSTOMER, "email": email}, format="json")

    assert_problem(response, 400, DUPLICATE_EMAIL, {"email": [DUPLICATE_EMAIL]})
    assert database_state() == before


def test_database_refuses_a_duplicate_email_the_check_missed(api_client, monkeypatch):
    """Two requests racing for one email both pass the check; the unique index refuses the second."""
    CustomerFactory(email="john.doe@example.com")
    before = database_state()
    monkeypatch.setattr(CustomerSerializer, "validate_email", lambda self, email: email)

    response = api_client.post("/api/customers", {**NEW_CUSTOMER, "email": "John.Doe@example.com"}, format="json")

    assert_problem(response, 400, DUPLICATE_EMAIL, {"email": [DUPLICATE_EMAIL]})
    assert database_state() == before
