"""The customers endpoints: /api/customers and /api/v1/customers (CONTRACT.md sections 3 and 6)."""

import pytest

from customers.models import Customer
from customers.serializers import CustomerSerializer
from orders.models import Order
from orderservice.testing.api import absent_id, assert_invalid, assert_problem, make_stale, without_timestamps
from orderservice.testing.factories import CustomerFactory, place_order
from orderservice.testing.state import database_state

pytestmark = pytest.mark.django_db

DUPLICATE_EMAIL = "Customer with this email already exists"
NEW_CUSTOMER = {"first_name": "John", "last_name": "Doe", "email": "john.doe@example.com",
                "phone": "+1234567890", "address": "123 Main St, City, State 12345"}


# --- Helpers ------------------------------------------------------------------------------------

def customer_json(customer: Customer) -> dict:
    """A customer as the API shows it, timestamps left out."""
    return {"id": customer.pk, "first_name": customer.first_name, "last_name": customer.last_name,
            "email": customer.email, "phone": customer.phone, "address": customer.address}


# --- Authentication -----------------------------------------------------------------------------

@pytest.mark.parametrize("prefix", ["/api", "/api/v1"])
@pytest.mark.parametrize("method, path", [
    ("get", "/customers"),
    ("post", "/customers"),
    ("get", "/customers/{id}"),
    ("put", "/customers/{id}"),
    ("patch", "/customers/{id}"),
    ("delete", "/customers/{id}"),
])
def test_every_endpoint_needs_a_bearer_token(anonymous_client, prefix, method, path):
    customer = CustomerFactory()
    before = database_state()

    response = getattr(anonymous_client, method)(prefix + path.format(id=customer.pk), NEW_CUSTOMER, format="json")

    assert_problem(response, 401, "Authentication credentials were not provided.")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert database_state() == before


# --- List ---------------------------------------------------------------------------------------

def test_list_is_an_empty_array_without_customers(api_client):
    response = api_client.get("/api/customers")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == []


def test_list_orders_by_last_name_then_first_name(api_client):
    john_smith = CustomerFactory(first_name="John", last_name="Smith")
    jane_doe = CustomerFactory(first_name="Jane", last_name="Doe")
    anna_smith = CustomerFactory(first_name="Anna", last_name="Smith")
    adam_doe = CustomerFactory(first_name="Adam", last_name="Doe")
    bob_brown = CustomerFactory(first_name="Bob", last_name="Brown")

    response = api_client.get("/api/customers")

    assert response.status_code == 200
    assert [without_timestamps(customer) for customer in response.json()] == [
        customer_json(customer) for customer in (bob_brown, adam_doe, jane_doe, anna_smith, john_smith)]


@pytest.mark.parametrize("path", ["/api/customers", "/api/customers/", "/api/v1/customers", "/api/v1/customers/"])
def test_list_is_served_at_both_prefixes_with_or_without_trailing_slash(api_client, path):
    customer = CustomerFactory()

    response = api_client.get(path)

    assert response.status_code == 200
    assert [without_timestamps(body) for body in response.json()] == [customer_json(customer)]


# --- Retrieve -----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/customers/{id}", "/api/customers/{id}/",
                                  "/api/v1/customers/{id}", "/api/v1/customers/{id}/"])
def test_retrieve_returns_every_field(api_client, path):
    customer = CustomerFactory(**NEW_CUSTOMER)

    response = api_client.get(path.format(id=customer.pk))

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["id", "first_name", "last_name", "email", "phone", "address", "created_at", "updated_at"]
    assert without_timestamps(body) == {"id": customer.pk, **NEW_CUSTOMER}


def test_retrieve_shows_null_for_empty_optional_fields(api_client):
    customer = CustomerFactory(phone=None, address=None)

    response = api_client.get(f"/api/customers/{customer.pk}")

    assert response.status_code == 200
    assert without_timestamps(response.json()) == {
        "id": customer.pk, "first_name": customer.first_name, "last_name": customer.last_name,
        "email": customer.email, "phone": None, "address": None}


@pytest.mark.parametrize("prefix", ["/api", "/api/v1"])
def test_retrieve_absent_customer_is_404(api_client, prefix):
    CustomerFactory()

    response = api_client.get(f"{prefix}/customers/{absent_id(Customer)}")

    assert_problem(response, 404, "Customer not found")


def test_retrieve_non_numeric_id_is_404(api_client):
    response = api_client.get("/api/customers/abc")

    assert_problem(response, 404, "Customer not found")


# --- Create -------------------------------------------------------------------------------------

def test_create_answers_201_with_location_and_the_customer(api_client):
    response = api_client.post("/api/customers", NEW_CUSTOMER, format="json")

    assert response.status_code == 201
    customer = Customer.objects.get()
    assert response["Location"] == f"http://testserver/api/customers/{customer.pk}"
    assert without_timestamps(response.json()) == {"id": customer.pk, **NEW_CUSTOMER}
    assert customer_json(customer) == {"id": customer.pk, **NEW_CUSTOMER}


@pytest.mark.parametrize("path, location", [
    ("/api/customers/", "http://testserver/api/customers/{id}"),
    ("/api/v1/customers", "http://testserver/api/v1/customers/{id}"),
    ("/api/v1/customers/", "http://testserver/api/v1/customers/{id}"),
])
def test_create_location_follows_the_path_posted_to(api_client, path, location):
    response = api_client.post(path, NEW_CUSTOMER, format="json")

    assert response.status_code == 201
    assert response["Location"] == location.format(id=Customer.objects.get().pk)


def test_location_leads_to_the_new_customer(api_client):
    created = api_client.post("/api/v1/customers", NEW_CUSTOMER, format="json")

    response = api_client.get(created["Location"])

    assert response.status_code == 200
    assert response.json() == created.json()


def test_create_with_only_required_fields_stores_null_for_the_rest(api_client):
    response = api_client.post(
        "/api/customers", {"first_name": "Jane", "last_name": "Smith", "email": "jane@example.com"}, format="json")

    assert response.status_code == 201
    customer = Customer.objects.get()
    assert without_timestamps(response.json()) == {
        "id": customer.pk, "first_name": "Jane", "last_name": "Smith", "email": "jane@example.com",
        "phone": None, "address": None}
    assert (customer.phone, customer.address) == (None, None)


def test_create_accepts_camel_case_names(api_client):
    response = api_client.post(
        "/api/customers", {"firstName": "Jane", "lastName": "Smith", "email": "jane@example.com"}, format="json")

    assert response.status_code == 201
    customer = Customer.objects.get()
    assert without_timestamps(response.json()) == {
        "id": customer.pk, "first_name": "Jane", "last_name": "Smith", "email": "jane@example.com",
        "phone": None, "address": None}
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
    assert customer_json(Customer.objects.get()) == {"id": Customer.objects.get().pk, **payload}


def test_create_requires_names_and_email(api_client):
    response = api_client.post("/api/customers", {"phone": "+1234567890"}, format="json")

    required = "This field is required."
    assert_problem(response, 400, f"first_name: {required}; last_name: {required}; email: {required}",
                   {"first_name": [required], "last_name": [required], "email": [required]})
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


def test_create_refuses_malformed_json(api_client):
    response = api_client.post("/api/customers", '{"first_name": ', content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"].startswith("JSON parse error")
    assert Customer.objects.count() == 0


def test_create_refuses_a_body_that_is_not_an_object(api_client):
    response = api_client.post("/api/customers", [NEW_CUSTOMER], format="json")

    assert_problem(response, 400, "Invalid data. Expected a dictionary, but got list.")
    assert Customer.objects.count() == 0


# --- Update -------------------------------------------------------------------------------------

@pytest.mark.parametrize("prefix", ["/api", "/api/v1"])
def test_put_replaces_the_customer(api_client, prefix):
    customer = CustomerFactory()
    created_at = customer.created_at
    stale = make_stale(customer)

    response = api_client.put(f"{prefix}/customers/{customer.pk}", NEW_CUSTOMER, format="json")

    assert response.status_code == 200
    assert without_timestamps(response.json()) == {"id": customer.pk, **NEW_CUSTOMER}
    customer.refresh_from_db()
    assert customer_json(customer) == {"id": customer.pk, **NEW_CUSTOMER}
    assert customer.created_at == created_at
    assert customer.updated_at > stale
    assert response.json()["updated_at"] == customer.updated_at.isoformat().replace("+00:00", "Z")


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

    required = "This field is required."
    assert_problem(response, 400, f"first_name: {required}; last_name: {required}; email: {required}",
                   {"first_name": [required], "last_name": [required], "email": [required]})
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

    expected = {"id": customer.pk, **NEW_CUSTOMER, "phone": "+1999", "last_name": "Roe"}
    assert response.status_code == 200
    assert without_timestamps(response.json()) == expected
    customer.refresh_from_db()
    assert customer_json(customer) == expected
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


@pytest.mark.parametrize("method", ["put", "patch"])
def test_update_of_an_absent_customer_is_404(api_client, method):
    CustomerFactory()
    before = database_state()

    response = getattr(api_client, method)(f"/api/customers/{absent_id(Customer)}", NEW_CUSTOMER, format="json")

    assert_problem(response, 404, "Customer not found")
    assert database_state() == before


# --- Delete -------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/customers/{id}", "/api/v1/customers/{id}/"])
def test_delete_answers_204_and_removes_the_customer(api_client, path):
    customer, other = CustomerFactory.create_batch(2)

    response = api_client.delete(path.format(id=customer.pk))

    assert response.status_code == 204
    assert response.content == b""
    assert list(Customer.objects.values_list("pk", flat=True)) == [other.pk]


def test_delete_is_refused_for_a_customer_with_orders(api_client):
    customer = CustomerFactory()
    place_order(customer=customer)
    before = database_state()

    response = api_client.delete(f"/api/customers/{customer.pk}")

    assert_problem(response, 400, "Cannot delete customer with existing orders")
    assert database_state() == before
    assert list(Order.objects.values_list("customer_id", flat=True)) == [customer.pk]


def test_delete_of_an_absent_customer_is_404(api_client):
    CustomerFactory()
    before = database_state()

    response = api_client.delete(f"/api/customers/{absent_id(Customer)}")

    assert_problem(response, 404, "Customer not found")
    assert database_state() == before


def test_the_collection_cannot_be_deleted(api_client):
    CustomerFactory()
    before = database_state()

    response = api_client.delete("/api/customers")

    assert_problem(response, 405, 'Method "DELETE" not allowed.')
    assert database_state() == before
