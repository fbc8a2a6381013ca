"""Conditional requests on every single resource (customers, products, orders), written once and parametrized
over them: a strong ETag on GET and on writes, 304 for a matching If-None-Match, 412 for a stale If-Match on
PUT/PATCH/DELETE (and PUT /api/orders/{id}/status) that changes nothing, exactly one winner among concurrent
writes sending the same If-Match; without If-Match, everything as before."""

import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from orderservice.testing.api import assert_problem
from orderservice.testing.factories import CustomerFactory, ProductFactory, place_order
from orderservice.testing.resources import ORDERS, RESOURCES, Resource
from orderservice.testing.state import database_state

pytestmark = pytest.mark.django_db

STALE = "The resource has changed since the ETag in If-Match was read, and nothing was changed; GET it again and retry"
STRONG_ETAG = re.compile(r'^"[0-9a-f]{32}"$')
WRITES = [
    pytest.param(resource, method, id=f"{method.upper()} {resource}")
    for resource in RESOURCES
    for method in ("put", "patch")
]


def client_with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def url(resource: Resource, row) -> str:
    return f"/api/{resource}/{row.pk}"


def body_for(resource: Resource, method: str) -> dict:
    return resource.change if method == "put" else resource.patch


def etag(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    assert STRONG_ETAG.match(response["ETag"]), response["ETag"]
    return response["ETag"]


def change_behind_the_clients_back(client, resource: Resource, row) -> None:
    """Another client (B) changes the row: `updated_at` moves, and so the representation and its ETag."""
    other = {"customers": {"phone": "+1555"}, "products": {"price": "7.77"}, "orders": {"notes": "B was here"}}
    assert client.patch(url(resource, row), other[resource.path], format="json").status_code == 200


# --- GET and If-None-Match -----------------------------------------------------------------------


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_a_matching_if_none_match_is_a_304_without_a_body(api_client, resource):
    path = url(resource, resource.make())
    current = etag(api_client, path)

    for header in (current, f"W/{current}", f'"another", {current}', "*"):
        response = api_client.get(path, HTTP_IF_NONE_MATCH=header)

        assert response.status_code == 304, header
        assert response["ETag"] == current
        assert response.content == b"" and "Content-Type" not in response


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_a_stale_if_none_match_is_a_200_with_the_new_etag(api_client, resource):
    row = resource.make()
    stale = etag(api_client, url(resource, row))
    change_behind_the_clients_back(api_client, resource, row)

    response = api_client.get(url(resource, row), HTTP_IF_NONE_MATCH=stale)

    assert response.status_code == 200
    assert response.json() == resource.json(row)
    assert response["ETag"] != stale and STRONG_ETAG.match(response["ETag"])


@pytest.mark.parametrize(
    ("resource", "queries"), [(resource, 2 if resource is ORDERS else 1) for resource in RESOURCES], ids=str
)
def test_a_304_costs_the_queries_of_a_plain_get(api_client, django_assert_num_queries, resource, queries):
    path = url(resource, resource.make())
    current = etag(api_client, path)

    with django_assert_num_queries(queries):
        assert api_client.get(path, HTTP_IF_NONE_MATCH=current).status_code == 304


def test_an_orders_etag_changes_when_its_product_or_customer_changes(api_client):
    product = ProductFactory(stock_quantity=10)
    order = place_order(items=[(product, 1)])
    path = f"/api/orders/{order.pk}"
    first = etag(api_client, path)

    assert api_client.patch(f"/api/products/{product.pk}", {"price": "123.45"}, format="json").status_code == 200
    after_price = etag(api_client, path)
    assert api_client.patch(f"/api/customers/{order.customer_id}", {"phone": "+1777"}, format="json").status_code == 200
    after_customer = etag(api_client, path)

    assert len({first, after_price, after_customer}) == 3
    assert api_client.get(path, HTTP_IF_NONE_MATCH=first).status_code == 200
    assert api_client.get(path, HTTP_IF_NONE_MATCH=after_customer).status_code == 304
    before = database_state()
    assert_problem(api_client.patch(path, ORDERS.patch, format="json", HTTP_IF_MATCH=first), 412, STALE)
    assert database_state() == before


# --- Writes and If-Match ---------------------------------------------------------------------------


@pytest.mark.parametrize(("resource", "method"), WRITES)
def test_a_write_with_a_stale_if_match_is_a_412_and_the_other_clients_change_stands(jwks_server, resource, method):
    client_a, client_b = (client_with(jwks_server.token(name, roles=["Admin"])) for name in ("a", "b"))
    row = resource.make()
    seen_by_a = etag(client_a, url(resource, row))
    change_behind_the_clients_back(client_b, resource, row)
    b_wrote = resource.json(row)
    before = database_state()

    response = getattr(client_a, method)(
        url(resource, row), body_for(resource, method), format="json", HTTP_IF_MATCH=seen_by_a
    )

    assert_problem(response, 412, STALE)
    assert database_state() == before
    assert client_a.get(url(resource, row)).json() == b_wrote


@pytest.mark.parametrize(("resource", "method"), WRITES)
def test_a_write_with_the_current_etag_answers_the_new_etag_a_following_get_shows(api_client, resource, method):
    row = resource.make()
    current = etag(api_client, url(resource, row))

    response = getattr(api_client, method)(
        url(resource, row), body_for(resource, method), format="json", HTTP_IF_MATCH=current
    )

    assert response.status_code == 200
    following = api_client.get(url(resource, row))
    assert response["ETag"] == following["ETag"] != current
    assert response.json() == following.json() == resource.json(row)


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_a_created_row_comes_with_the_etag_its_get_shows(api_client, resource):
    response = api_client.post(f"/api/{resource}", resource.new(), format="json")

    assert response.status_code == 201
    assert response["ETag"] == api_client.get(response["Location"])["ETag"]


@pytest.mark.parametrize(
    "header, status",
    [
        pytest.param("*", 200, id="star matches any existing row"),
        pytest.param('"another", {current}', 200, id="a list matches if any of it does"),
        pytest.param("W/{current}", 412, id="a weak tag never matches (strong comparison)"),
        pytest.param("{current_unquoted}", 412, id="a malformed tag matches nothing"),
        pytest.param('"another"', 412, id="another tag"),
    ],
)
@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_if_match_compares_strongly(api_client, resource, header, status):
    row = resource.make()
    current = etag(api_client, url(resource, row))
    before = database_state()

    response = api_client.patch(
        url(resource, row),
        resource.patch,
        format="json",
        HTTP_IF_MATCH=header.format(current=current, current_unquoted=current.strip('"')),
    )

    assert response.status_code == status
    if status == 412:
        assert_problem(response, 412, STALE)
        assert database_state() == before


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_a_delete_with_a_stale_if_match_is_a_412_and_the_row_remains(api_client, resource):
    row = resource.make()
    stale = etag(api_client, url(resource, row))
    change_behind_the_clients_back(api_client, resource, row)
    current = etag(api_client, url(resource, row))
    before = database_state()

    assert_problem(api_client.delete(url(resource, row), HTTP_IF_MATCH=stale), 412, STALE)
    assert database_state() == before
    assert api_client.delete(url(resource, row), HTTP_IF_MATCH=current).status_code == 204
    assert not resource.model.objects.filter(pk=row.pk).exists()


def test_a_status_change_checks_if_match_too(api_client):
    row = ORDERS.make()
    path = f"/api/orders/{row.pk}"
    stale = etag(api_client, path)
    change_behind_the_clients_back(api_client, ORDERS, row)
    current = etag(api_client, path)
    before = database_state()

    assert_problem(
        api_client.put(f"{path}/status", {"status": "Processing"}, format="json", HTTP_IF_MATCH=stale), 412, STALE
    )
    assert database_state() == before
    response = api_client.put(f"{path}/status", {"status": "Processing"}, format="json", HTTP_IF_MATCH=current)
    assert response.status_code == 200 and response.json()["status"] == "Processing"
    assert response["ETag"] == etag(api_client, path) != current


def test_a_stale_if_match_comes_before_the_body_is_validated(api_client):
    row = ORDERS.make()
    stale = etag(api_client, url(ORDERS, row))
    change_behind_the_clients_back(api_client, ORDERS, row)

    response = api_client.put(f"/api/orders/{row.pk}/status", {"status": "Lost"}, format="json", HTTP_IF_MATCH=stale)

    assert_problem(response, 412, STALE)


@pytest.mark.parametrize(("resource", "method"), WRITES)
def test_without_if_match_a_write_goes_through_as_before(api_client, resource, method):
    row = resource.make()
    change_behind_the_clients_back(api_client, resource, row)

    response = getattr(api_client, method)(url(resource, row), body_for(resource, method), format="json")

    assert response.status_code == 200
    assert response.json() == resource.json(row)
    assert response["ETag"] == etag(api_client, url(resource, row))


def test_a_customers_own_token_sees_the_same_etag_at_me_and_may_write_with_it(jwks_server):
    own = CustomerFactory(user_id="alice")
    client = client_with(jwks_server.token("alice"))
    current = etag(client, f"/api/customers/{own.pk}")
    assert etag(client, "/api/customers/me") == current
    assert client.get("/api/customers/me", HTTP_IF_NONE_MATCH=current).status_code == 304

    response = client.patch(f"/api/customers/{own.pk}", {"phone": "+1999"}, format="json", HTTP_IF_MATCH=current)

    assert response.status_code == 200 and response["ETag"] == etag(client, "/api/customers/me")
    assert_problem(
        client.patch(f"/api/customers/{own.pk}", {"phone": "+1000"}, format="json", HTTP_IF_MATCH=current), 412, STALE
    )


# --- Exactly one winner ---------------------------------------------------------------------------

THREADS = 6


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_of_concurrent_patches_with_the_same_if_match_exactly_one_wins(jwks_server, resource):
    token = jwks_server.token(roles=["Admin"])
    row = resource.make()
    path = url(resource, row)
    seen = etag(client_with(token), path)
    field = next(iter(resource.patch))
    values = {
        "customers": lambda n: f"Roe {n}",
        "products": lambda n: f"{n + 1}.50",
        "orders": lambda n: f"{n} Parallel St",
    }[resource.path]
    bodies = [{field: values(n)} for n in range(THREADS)]
    start = threading.Barrier(THREADS)

    def patch(body):
        client = client_with(token)
        start.wait()
        try:
            response = client.patch(path, body, format="json", HTTP_IF_MATCH=seen)
            return response.status_code, response.json()[field] if response.status_code == 200 else None
        finally:
            connection.close()

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(patch, bodies))

    assert Counter(code for code, _ in outcomes) == {200: 1, 412: THREADS - 1}, outcomes
    winner = next(value for code, value in outcomes if code == 200)
    assert resource.json(row)[field] == winner


# --- Browsers and the schema ------------------------------------------------------------------------


def test_browsers_may_send_if_match_and_idempotency_key_and_read_the_etag(api_client):
    path = url(RESOURCES[1], ProductFactory())
    origin = {"HTTP_ORIGIN": "https://shop.example"}

    preflight = api_client.options(
        path,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="PATCH",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, if-match",
        **origin,
    )
    response = api_client.get(path, **origin)

    assert {"if-match", "if-none-match", "idempotency-key"} <= set(
        preflight["Access-Control-Allow-Headers"].split(", ")
    )
    assert {"ETag", "Location", "Idempotent-Replayed"} <= set(response["Access-Control-Expose-Headers"].split(", "))


def test_the_schema_documents_etag_if_match_if_none_match_304_and_412(api_client):
    paths = api_client.get("/openapi.json").json()["paths"]

    for item in ("/api/customers/{id}", "/api/products/{id}", "/api/orders/{id}"):
        get = paths[item]["get"]
        assert [p["name"] for p in get["parameters"] if p["in"] == "header"] == ["If-None-Match"]
        assert "ETag" in get["responses"]["200"]["headers"] and "ETag" in get["responses"]["304"]["headers"]
        for method in ("put", "patch", "delete"):
            operation = paths[item][method]
            assert [(p["name"], p["required"]) for p in operation["parameters"] if p["in"] == "header"] == [
                ("If-Match", False)
            ], (item, method)
            assert "412" in operation["responses"]
        for method in ("put", "patch"):
            assert "ETag" in paths[item][method]["responses"]["200"]["headers"]
    assert "412" in paths["/api/orders/{id}/status"]["put"]["responses"]
    assert "If-None-Match" not in str(paths["/api/orders"]["get"].get("parameters"))
