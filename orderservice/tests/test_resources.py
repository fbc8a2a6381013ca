"""What every resource (customers, products, orders) does alike on its routes, written once and parametrized
over them: the routes answer at /api/ and /api/v1/, with or without a trailing slash; 201 with a `Location`
that leads to the new row; 401 without a token; 404 "<Model> not found" for an id that is no row's; 405 for a
method a route does not have; 400 or 415 for a body that is not a JSON object; a POST retried with its
Idempotency-Key answered once. Every refusal leaves the database as it was. What they do alike with the
fields they are sent is in test_resource_fields.py."""

import pytest

from orderservice.testing.api import absent_id, assert_problem
from orderservice.testing.resources import ORDERS, RESOURCES, Resource
from orderservice.testing.state import database_state

pytestmark = pytest.mark.django_db

COLLECTION = [("get", ""), ("post", "")]
ITEM = [("get", "/{id}"), ("put", "/{id}"), ("patch", "/{id}"), ("delete", "/{id}")]
ROUTES = [
    pytest.param(resource, method, route, id=f"{method.upper()} {resource}{route}")
    for resource in RESOURCES
    for method, route in COLLECTION + ITEM + list(resource.routes)
]
ITEM_ROUTES = [param for param in ROUTES if "{id}" in param.values[2]]
WRITES = [param for param in ROUTES if param.values[1] in ("post", "put", "patch")]
PATHS = ["/api/{resource}", "/api/{resource}/", "/api/v1/{resource}", "/api/v1/{resource}/"]
ITEM_PATHS = ["/api/{resource}/{id}", "/api/{resource}/{id}/", "/api/v1/{resource}/{id}", "/api/v1/{resource}/{id}/"]


def body_for(resource: Resource, method: str, route: str) -> dict | None:
    """A body the route accepts (made before the request, so that its rows are no change the request made)."""
    if method == "post":
        return resource.new()
    if route.endswith("/status"):
        return {"status": "Cancelled"}
    return resource.change if method in ("put", "patch") else None


def location(path: str, row_id: int) -> str:
    return "http://testserver" + path.rstrip("/") + f"/{row_id}"


# --- Tokens ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["/api", "/api/v1"])
@pytest.mark.parametrize(("resource", "method", "route"), ROUTES)
def test_every_route_needs_a_bearer_token(anonymous_client, prefix, resource, method, route):
    row = resource.make()
    body = body_for(resource, method, route)
    before = database_state()

    response = getattr(anonymous_client, method)(f"{prefix}/{resource}{route.format(id=row.pk)}", body, format="json")

    assert_problem(response, 401, "Authentication credentials were not provided.")
    assert response["WWW-Authenticate"] == 'Bearer realm="order-service"'
    assert database_state() == before


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_a_token_that_is_no_jwt_is_refused(anonymous_client, resource):
    resource.make()
    anonymous_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")

    response = anonymous_client.get(f"/api/{resource}")

    assert_problem(response, 401, "The access token is invalid")
    assert response["WWW-Authenticate"] == (
        'Bearer realm="order-service", error="invalid_token", error_description="The access token is invalid"'
    )


# --- Both prefixes, with or without a trailing slash ---------------------------------------------


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_the_list_is_an_empty_array_without_rows(api_client, resource):
    response = api_client.get(f"/api/{resource}")

    assert (response.status_code, response["Content-Type"]) == (200, "application/json")
    assert response.json() == []


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_the_list_is_served_at_every_path(api_client, resource, path):
    row = resource.make()

    response = api_client.get(path.format(resource=resource))

    assert (response.status_code, response["Content-Type"]) == (200, "application/json")
    assert response.json() == [resource.json(row)]


@pytest.mark.parametrize("path", ITEM_PATHS)
@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_a_row_is_served_at_every_path(api_client, resource, path):
    row = resource.make()
    resource.make()

    response = api_client.get(path.format(resource=resource, id=row.pk))

    assert (response.status_code, response.json()) == (200, resource.json(row))


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_create_answers_201_with_a_location_under_the_path_posted_to(api_client, resource, path):
    body = resource.new()
    path = path.format(resource=resource)

    response = api_client.post(path, body, format="json")

    assert response.status_code == 201
    row = resource.model.objects.order_by("-pk").first()
    assert response["Location"] == location(path, row.pk)
    assert response.json() == resource.json(row)
    assert api_client.get(response["Location"]).json() == response.json()


@pytest.mark.parametrize("path", ITEM_PATHS)
@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_put_and_patch_change_the_row_at_every_path(api_client, resource, method, path):
    row = resource.make()

    response = getattr(api_client, method)(path.format(resource=resource, id=row.pk), resource.change, format="json")

    assert (response.status_code, response.json()) == (200, resource.json(row))
    assert {field: response.json()[field] for field in resource.change} == resource.change


@pytest.mark.parametrize("path", ITEM_PATHS)
@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_delete_answers_204_and_removes_only_that_row_at_every_path(api_client, resource, path):
    row, kept = resource.make(), resource.make()

    response = api_client.delete(path.format(resource=resource, id=row.pk))

    assert (response.status_code, response.content) == (204, b"")
    assert list(resource.model.objects.values_list("pk", flat=True)) == [kept.pk]


# --- Refusals ---------------------------------------------------------------------------------------

NOT_ROWS = [
    pytest.param(prefix, row_id, id=f"{prefix}/{row_id}")
    for prefix, row_id in [
        ("/api", "absent"),
        ("/api/v1", "absent"),
        ("/api", "0"),
        ("/api", "abc"),
        ("/api", "99999999999999999999"),
        ("/api", "9223372036854775808"),
        ("/api", "-1"),
        ("/api", "\u0661"),
        ("/api", "1e3"),
    ]
]  # MAX_ID + 1, Arabic-Indic 1


@pytest.mark.parametrize(("prefix", "row_id"), NOT_ROWS)
@pytest.mark.parametrize(("resource", "method", "route"), ITEM_ROUTES)
def test_an_id_that_is_no_rows_is_a_404_problem(api_client, resource, method, route, prefix, row_id):
    resource.make()
    body = body_for(resource, method, route)
    before = database_state()
    row_id = absent_id(resource.model) if row_id == "absent" else row_id

    response = getattr(api_client, method)(f"{prefix}/{resource}{route.format(id=row_id)}", body, format="json")

    assert_problem(response, 404, resource.not_found)
    assert database_state() == before


NOT_OFFERED = [
    pytest.param(resource, method, route, allow, id=f"{method.upper()} {resource}{route}")
    for resource in RESOURCES
    for method, route, allow in [
        ("put", "", "GET, POST, HEAD, OPTIONS"),
        ("patch", "", "GET, POST, HEAD, OPTIONS"),
        ("delete", "", "GET, POST, HEAD, OPTIONS"),
        ("post", "/{id}", "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"),
    ]
] + [
    pytest.param(ORDERS, method, "/{id}/status", "PUT, OPTIONS", id=f"{method.upper()} orders/{{id}}/status")
    for method in ("get", "post", "patch", "delete")
]


@pytest.mark.parametrize(("resource", "method", "route", "allow"), NOT_OFFERED)
def test_a_method_a_route_does_not_offer_is_a_405_problem(api_client, resource, method, route, allow):
    row = resource.make()
    before = database_state()

    response = getattr(api_client, method)(f"/api/{resource}{route.format(id=row.pk)}", {}, format="json")

    assert_problem(response, 405, f'Method "{method.upper()}" not allowed.')
    assert response["Allow"] == allow
    assert database_state() == before


NOT_AN_OBJECT = [
    pytest.param(
        '{"name": ',
        "application/json",
        400,
        "JSON parse error - Expecting value: line 1 column 10 (char 9)",
        id="malformed JSON",
    ),
    pytest.param(
        "[1, 2]", "application/json", 400, "Invalid data. Expected a dictionary, but got list.", id="a JSON array"
    ),
    pytest.param(
        "name=Lamp",
        "application/x-www-form-urlencoded",
        415,
        'Unsupported media type "application/x-www-form-urlencoded" in request.',
        id="a form",
    ),
    pytest.param("name=Lamp", "text/plain", 415, 'Unsupported media type "text/plain" in request.', id="plain text"),
]


@pytest.mark.parametrize(("body", "content_type", "status", "detail"), NOT_AN_OBJECT)
@pytest.mark.parametrize(("resource", "method", "route"), WRITES)
def test_a_body_that_is_no_json_object_is_refused(
    api_client, resource, method, route, body, content_type, status, detail
):
    row = resource.make()
    before = database_state()

    response = getattr(api_client, method)(f"/api/{resource}{route.format(id=row.pk)}", body, content_type=content_type)

    assert_problem(response, status, detail)
    assert database_state() == before


# --- Idempotency-Key ------------------------------------------------------------------------------


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_a_post_retried_with_its_idempotency_key_is_answered_once(api_client, resource):
    body = resource.new()

    first = api_client.post(f"/api/{resource}", body, format="json", HTTP_IDEMPOTENCY_KEY="retried")
    retry = api_client.post(f"/api/{resource}", body, format="json", HTTP_IDEMPOTENCY_KEY="retried")

    assert (first.status_code, retry.status_code) == (201, 201)
    assert (retry.json(), retry["Location"], retry["Idempotent-Replayed"]) == (first.json(), first["Location"], "true")
    assert resource.model.objects.count() == 1
