"""What every resource (customers, products, orders) does alike with the fields it is sent, written once and
parametrized over them: PUT and PATCH change what they are sent and move updated_at; POST and PUT name each
required field left out; POST refuses a text over its length and an empty required text; a value another row
has is refused on POST, PUT and PATCH, and a row may keep its own. Every refusal leaves the database as it
was."""

import pytest

from orderservice.testing.api import assert_invalid, assert_problem, make_stale, without_timestamps
from orderservice.testing.resources import CUSTOMERS, PRODUCTS, RESOURCES
from orderservice.testing.state import database_state

pytestmark = pytest.mark.django_db

REQUIRED = "This field is required."


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_put_changes_the_row_keeps_created_at_and_moves_updated_at(api_client, resource):
    row = resource.make()
    created_at = row.created_at
    stale = make_stale(row)

    response = api_client.put(f"/api/{resource}/{row.pk}", resource.change, format="json")

    assert (response.status_code, response.json()) == (200, resource.json(row))
    assert {field: response.json()[field] for field in resource.change} == resource.change
    row.refresh_from_db()
    assert row.created_at == created_at
    assert row.updated_at > stale


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_patch_changes_only_the_fields_sent(api_client, resource):
    row = resource.make()
    stale = make_stale(row)
    before = without_timestamps(resource.json(row))

    response = api_client.patch(f"/api/{resource}/{row.pk}", resource.patch, format="json")

    assert (response.status_code, response.json()) == (200, resource.json(row))
    assert without_timestamps(response.json()) == {**before, **resource.patch}
    row.refresh_from_db()
    assert row.updated_at > stale


@pytest.mark.parametrize(
    ("resource", "field", "limit"),
    [
        pytest.param(resource, field, limit, id=f"{resource}.{field}")
        for resource in RESOURCES
        for field, limit in resource.limits.items()
    ],
)
def test_create_refuses_a_text_over_its_length_limit(api_client, resource, field, limit):
    body = {**resource.new(), field: "x" * (limit + 1)}
    before = database_state()

    response = api_client.post(f"/api/{resource}", body, format="json")

    assert_invalid(response, field, f"Ensure this field has no more than {limit} characters.")
    assert database_state() == before


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_create_names_every_required_field_left_out(api_client, resource):
    before = database_state()

    response = api_client.post(f"/api/{resource}", {}, format="json")

    assert_problem(
        response,
        400,
        "; ".join(f"{field}: {REQUIRED}" for field in resource.required),
        {field: [REQUIRED] for field in resource.required},
    )
    assert database_state() == before


@pytest.mark.parametrize("resource", [resource for resource in RESOURCES if resource.required_by_put], ids=str)
def test_put_names_every_required_field_left_out(api_client, resource):
    row = resource.make()
    before = database_state()

    response = api_client.put(f"/api/{resource}/{row.pk}", {}, format="json")

    assert_problem(
        response,
        400,
        "; ".join(f"{field}: {REQUIRED}" for field in resource.required_by_put),
        {field: [REQUIRED] for field in resource.required_by_put},
    )
    assert database_state() == before


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "This field may not be blank."),
        ("   ", "This field may not be blank."),
        (None, "This field may not be null."),
    ],
)
@pytest.mark.parametrize(
    ("resource", "field"),
    [
        pytest.param(resource, field, id=f"{resource}.{field}")
        for resource in RESOURCES
        for field in resource.required_texts
    ],
)
def test_create_refuses_an_empty_required_text(api_client, resource, field, value, message):
    body = {**resource.new(), field: value}
    before = database_state()

    response = api_client.post(f"/api/{resource}", body, format="json")

    assert_invalid(response, field, message)
    assert database_state() == before


# --- Unique values --------------------------------------------------------------------------------

# (resource, field, a row's value, a value the API takes for the same, the refusal): emails are the same in
# any case.
TAKEN = [
    pytest.param(
        CUSTOMERS,
        "email",
        "john.doe@example.com",
        same,
        "Customer with this email already exists",
        id=f"customers.email={same}",
    )
    for same in ("john.doe@example.com", "JOHN.DOE@EXAMPLE.COM", "John.Doe@Example.com")
] + [
    pytest.param(PRODUCTS, "sku", "LAPTOP-001", "LAPTOP-001", "Product with this SKU already exists", id="products.sku")
]


@pytest.mark.parametrize(("resource", "field", "taken", "same", "message"), TAKEN)
def test_create_refuses_a_unique_value_another_row_has(api_client, resource, field, taken, same, message):
    resource.make(**{field: taken})
    body = {**resource.new(), field: same}
    before = database_state()

    response = api_client.post(f"/api/{resource}", body, format="json")

    assert_problem(response, 400, message, {field: [message]})
    assert database_state() == before


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize(("resource", "field", "taken", "same", "message"), TAKEN)
def test_put_and_patch_refuse_a_unique_value_another_row_has(api_client, resource, field, taken, same, message, method):
    resource.make(**{field: taken})
    row = resource.make()
    body = {**resource.change, field: same} if method == "put" else {field: same}
    before = database_state()

    response = getattr(api_client, method)(f"/api/{resource}/{row.pk}", body, format="json")

    assert_problem(response, 400, message, {field: [message]})
    assert database_state() == before


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize(("resource", "field", "taken", "same", "message"), TAKEN)
def test_put_and_patch_may_keep_the_rows_own_unique_value(api_client, resource, field, taken, same, message, method):
    row = resource.make(**{field: taken})
    body = {**resource.change, field: same} if method == "put" else {field: same}

    response = getattr(api_client, method)(f"/api/{resource}/{row.pk}", body, format="json")

    assert (response.status_code, response.json()) == (200, resource.json(row))
    assert response.json()[field] == same
