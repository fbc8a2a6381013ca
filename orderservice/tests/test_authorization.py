"""Who may call what, on whose objects (docs/authorization.md): every endpoint against every kind of caller.

The world of each test: customers A (linked to user-a) and B (user-b) with one Pending order each, customer C
(no user, no orders), products P1 (ordered) and P2 (never ordered). The callers are tokens without permissions
(linked to A, to B, or to no customer), a token per single permission, the Admin role, and a token without
permissions under AUTHZ_POLICY=any-token.
"""

import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from customers.models import Customer
from orders.models import Order
from orderservice.testing.factories import CustomerFactory, ProductFactory, place_order
from orderservice.testing.state import database_state
from products.models import Product

pytestmark = pytest.mark.django_db

PROJECT_ROOT = Path(__file__).resolve().parents[2]

PERMISSIONS = ["catalog:write", "customers:read", "customers:write", "orders:read", "orders:write"]
CALLERS = ["nobody", "customer A", "customer B", *PERMISSIONS, "Admin", "any-token"]


class World:
    """The rows every test starts from, by name."""

    def __init__(self):
        self.A = CustomerFactory(user_id="user-a")
        self.B = CustomerFactory(user_id="user-b")
        self.C = CustomerFactory()
        self.P1, self.P2 = ProductFactory(stock_quantity=50), ProductFactory(stock_quantity=50)
        self.order_A = place_order(customer=self.A, items=[(self.P1, 1)])
        self.order_B = place_order(customer=self.B, items=[(self.P1, 2)])

    def id_of(self, name: str) -> int:
        return getattr(self, name).pk

    def name_of(self, model, pk: int) -> str:
        return next(
            name
            for name in ("A", "B", "C", "P1", "P2", "order_A", "order_B")
            if isinstance(getattr(self, name), model) and getattr(self, name).pk == pk
        )


@pytest.fixture
def world() -> World:
    return World()


def token_for(jwks_server, caller: str) -> str:
    subject = {"customer A": "user-a", "customer B": "user-b"}.get(caller, f"caller-{caller.replace(':', '-')}")
    if caller == "Admin":
        return jwks_server.token(subject)
    if caller in PERMISSIONS:
        return jwks_server.token(subject, roles=None, scope=caller)
    return jwks_server.token(subject, roles=None)


def client_for(jwks_server, caller: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(jwks_server, caller)}")
    return client


NEW_CUSTOMER = {"first_name": "New", "last_name": "Person", "email": "new.person@example.com"}
CUSTOMER_A_REPLACED = {"first_name": "Ann", "last_name": "Ace", "email": "ann.ace@example.com"}
NEW_PRODUCT = {"name": "Lamp", "price": "12.50", "stock_quantity": 5}

# Each operation of the API, as (method, path template, target, body), and what each caller gets: a status, or
# for lists (status, the names of the rows listed). `{X}` in a path is the id of the world's row X. A caller not
# named gets `default`.
ALL_CUSTOMERS, ALL_ORDERS, ALL_PRODUCTS = ["A", "B", "C"], ["order_A", "order_B"], ["P1", "P2"]
STAFF = {"Admin", "any-token"}


def staff_and(*callers, then, otherwise):
    return {caller: then if caller in STAFF or caller in callers else otherwise for caller in CALLERS}


TABLE = {
    # --- customers: customers:read reads all, customers:write changes all; any other token is its own customer
    ("get", "/api/customers"): {
        **{caller: (200, []) for caller in CALLERS},
        "customer A": (200, ["A"]),
        "customer B": (200, ["B"]),
        "customers:read": (200, ALL_CUSTOMERS),
        "Admin": (200, ALL_CUSTOMERS),
        "any-token": (200, ALL_CUSTOMERS),
    },
    ("get", "/api/customers/me"): {**dict.fromkeys(CALLERS, 404), "customer A": 200, "customer B": 200},
    ("get", "/api/customers/{A}"): {**staff_and("customers:read", then=200, otherwise=404), "customer A": 200},
    ("post", "/api/customers"): {  # a customer's token creates its own customer, once
        **dict.fromkeys(CALLERS, 201),
        "customer A": 409,
        "customer B": 409,
    },
    # A token that may read every customer but not change one is told which permission it lacks (403); for the
    # others the customer does not exist (404).
    ("put", "/api/customers/{A}"): {
        **staff_and("customers:write", then=200, otherwise=404),
        "customer A": 200,
        "customers:read": 403,
    },
    ("patch", "/api/customers/{A}"): {
        **staff_and("customers:write", then=200, otherwise=404),
        "customer A": 200,
        "customers:read": 403,
    },
    ("delete", "/api/customers/{C}"): staff_and("customers:write", then=204, otherwise=403),
    ("get", "/api/customers/{A}/orders"): {
        **dict.fromkeys(CALLERS, 404),
        "customer A": (200, ["order_A"]),
        "orders:read": (200, ["order_A"]),
        "Admin": (200, ["order_A"]),
        "any-token": (200, ["order_A"]),
    },
    # --- products: every token reads the catalogue; catalog:write changes it
    ("get", "/api/products"): dict.fromkeys(CALLERS, (200, ALL_PRODUCTS)),
    ("get", "/api/products/{P1}"): dict.fromkeys(CALLERS, 200),
    ("post", "/api/products"): staff_and("catalog:write", then=201, otherwise=403),
    ("put", "/api/products/{P2}"): staff_and("catalog:write", then=200, otherwise=403),
    ("patch", "/api/products/{P2}"): staff_and("catalog:write", then=200, otherwise=403),
    ("delete", "/api/products/{P2}"): staff_and("catalog:write", then=204, otherwise=403),
    ("post", "/api/products/{P1}/stock-adjustments"): staff_and("catalog:write", then=201, otherwise=403),
    ("get", "/api/products/{P1}/stock-movements"): staff_and("catalog:write", then=200, otherwise=403),
    # --- orders: orders:read reads all, orders:write changes all; any other token only its customer's own
    ("get", "/api/orders"): {
        **{caller: (200, []) for caller in CALLERS},
        "customer A": (200, ["order_A"]),
        "customer B": (200, ["order_B"]),
        "orders:read": (200, ALL_ORDERS),
        "Admin": (200, ALL_ORDERS),
        "any-token": (200, ALL_ORDERS),
    },
    ("get", "/api/orders/{order_A}"): {**staff_and("orders:read", then=200, otherwise=404), "customer A": 200},
    ("post", "/api/orders"): {**staff_and("orders:write", then=201, otherwise=403), "customer A": 201},
    ("put", "/api/orders/{order_A}"): {
        **staff_and("orders:write", then=200, otherwise=404),
        "customer A": 200,
        "orders:read": 403,
    },
    ("patch", "/api/orders/{order_A}"): {
        **staff_and("orders:write", then=200, otherwise=404),
        "customer A": 200,
        "orders:read": 403,
    },
    ("put", "/api/orders/{order_A}/status"): {  # to Processing: a customer may only cancel
        **staff_and("orders:write", then=200, otherwise=404),
        "customer A": 403,
        "orders:read": 403,
    },
    ("delete", "/api/orders/{order_A}"): {
        **staff_and("orders:write", then=204, otherwise=404),
        "customer A": 204,
        "orders:read": 403,
    },
}


def body_for(method: str, template: str, world: World) -> dict | None:
    return {
        ("post", "/api/customers"): NEW_CUSTOMER,
        ("put", "/api/customers/{A}"): CUSTOMER_A_REPLACED,
        ("patch", "/api/customers/{A}"): {"phone": "+15559999999"},
        ("post", "/api/products"): NEW_PRODUCT,
        ("put", "/api/products/{P2}"): {**NEW_PRODUCT, "name": "Desk lamp"},
        ("patch", "/api/products/{P2}"): {"price": "0.01"},
        ("post", "/api/products/{P1}/stock-adjustments"): {"change": -2, "note": "breakage"},
        ("post", "/api/orders"): {
            "customer_id": world.A.pk,
            "order_items": [{"product_id": world.P1.pk, "quantity": 1}],
        },
        ("put", "/api/orders/{order_A}"): {"notes": "Ring twice"},
        ("patch", "/api/orders/{order_A}"): {"shipping_address": "2 Other Street"},
        ("put", "/api/orders/{order_A}/status"): {"status": "Processing"},
    }.get((method, template))


def call(client, method: str, template: str, world: World):
    path = template
    for name in ("order_A", "order_B", "A", "B", "C", "P1", "P2"):
        path = path.replace("{" + name + "}", str(world.id_of(name)))
    return getattr(client, method)(path, body_for(method, template, world), format="json")


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("method, template", list(TABLE))
def test_every_endpoint_answers_each_caller_as_section_5a_says(jwks_server, world, method, template, caller):
    expected = TABLE[method, template][caller]
    status, rows = expected if isinstance(expected, tuple) else (expected, None)
    before = database_state()
    with override_settings(AUTHZ_POLICY="any-token" if caller == "any-token" else "permissions"):
        response = call(client_for(jwks_server, caller), method, template, world)
    assert response.status_code == status, (response.status_code, response.content[:300])
    if rows is not None:
        model = (
            Customer
            if "customers" in template and "orders" not in template
            else Product
            if "products" in template
            else Order
        )
        assert sorted(world.name_of(model, row["id"]) for row in response.json()) == sorted(rows)
    if status >= 400:
        assert database_state() == before  # a refusal changes nothing
    if status == 403:
        assert response.json()["detail"].startswith(("This needs the permission", "Changing an order", "Placing"))


def test_the_table_covers_every_operation_of_the_api():
    """An endpoint added without a row in TABLE fails here (and, without a rule in its view, is refused)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = {(method, path) for path, methods in schema["paths"].items() for method in methods}

    def as_schema_path(template: str) -> str:
        for name in ("order_A", "A", "C", "P1", "P2"):
            template = template.replace("{" + name + "}", "{customer_id}" if template.endswith("/orders") else "{id}")
        return template

    assert {(method, as_schema_path(template)) for method, template in TABLE} == operations


# --- a customer cannot reach another's order through any door ------------------------------------------------


@pytest.fixture
def customer_a(jwks_server) -> APIClient:
    return client_for(jwks_server, "customer A")


def listed(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()]


def test_filters_and_search_only_narrow_a_customers_own_orders(customer_a, world):
    assert listed(customer_a.get(f"/api/orders?customer_id={world.B.pk}")) == []
    assert listed(customer_a.get(f"/api/orders?search={world.order_B.order_number}")) == []
    assert listed(customer_a.get("/api/orders?status=Pending&ordering=total_amount")) == [world.order_A.pk]
    assert listed(customer_a.get(f"/api/customers?email={world.B.email}")) == []
    assert listed(customer_a.get("/api/customers?search=customer")) == [world.A.pk]
    assert customer_a.get(f"/api/customers/{world.B.pk}/orders").status_code == 404


def test_a_cursor_from_another_callers_link_header_pages_only_through_ones_own_orders(api_client, customer_a, world):
    for _ in range(3):
        place_order(customer=world.B)
    staff_page = api_client.get("/api/orders?limit=1")
    next_url = staff_page["Link"].split(">;")[0].lstrip("<")
    assert world.order_B.pk not in listed(staff_page)  # the newest of B's orders is on the staff's first page
    assert listed(customer_a.get(next_url)) == [world.order_A.pk]  # the cursor's position, A's rows only


def test_a_customer_cannot_change_cancel_or_delete_another_customers_order(customer_a, world):
    before = database_state()
    order = f"/api/orders/{world.order_B.pk}"
    for response in (
        customer_a.put(order, {"notes": "mine now"}, format="json"),
        customer_a.patch(order, {"shipping_address": "My street"}, format="json"),
        customer_a.put(f"{order}/status", {"status": "Cancelled"}, format="json"),
        customer_a.delete(order),
        customer_a.get(order),
    ):
        assert response.status_code == 404
        assert response.json()["detail"] == "Order not found"
    assert database_state() == before


def test_a_customer_may_cancel_its_own_pending_or_processing_order_and_nothing_else(customer_a, api_client, world):
    order = f"/api/orders/{world.order_A.pk}"
    assert api_client.put(f"{order}/status", {"status": "Processing"}, format="json").status_code == 200
    refused = customer_a.put(f"{order}/status", {"status": "Shipped"}, format="json")
    assert (refused.status_code, refused.json()["detail"]) == (
        403,
        "Changing an order's status to Shipped needs the permission orders:write; a customer may only cancel",
    )
    edit = customer_a.patch(order, {"notes": "too late"}, format="json")
    assert (edit.status_code, edit.json()["detail"]) == (
        403,
        "Changing a Processing order needs the permission orders:write; a customer may change only a Pending one",
    )
    cancelled = customer_a.put(f"{order}/status", {"status": "Cancelled"}, format="json")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "Cancelled")
    assert Product.objects.get(pk=world.P1.pk).stock_quantity == 50 - 2  # A's unit came back, B's 2 did not


def test_a_customer_places_orders_only_as_itself(customer_a, world):
    before = database_state()
    response = customer_a.post(
        "/api/orders",
        {"customer_id": world.B.pk, "order_items": [{"product_id": world.P1.pk, "quantity": 1}]},
        format="json",
    )
    assert (response.status_code, response.json()["detail"]) == (
        403,
        "Placing an order for another customer needs the permission orders:write",
    )
    assert database_state() == before


def test_an_idempotent_replay_never_shows_one_customers_order_to_another(jwks_server, world):
    body = {"customer_id": world.A.pk, "order_items": [{"product_id": world.P1.pk, "quantity": 1}]}
    first = client_for(jwks_server, "customer A").post("/api/orders", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    customer_b = client_for(jwks_server, "customer B")
    same_key_same_body = customer_b.post("/api/orders", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert same_key_same_body.status_code == 403 and "Idempotent-Replayed" not in same_key_same_body
    own = customer_b.post("/api/orders", {**body, "customer_id": world.B.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (own.status_code, own.json()["customer_id"]) == (201, world.B.pk)
    assert own.json()["id"] != first.json()["id"] and "Idempotent-Replayed" not in own


# --- customers: their own record --------------------------------------------------------------------------------


def test_a_new_users_token_creates_its_own_customer_once_and_reads_it_as_me(jwks_server, world):
    client = client_for(jwks_server, "nobody")
    assert client.get("/api/customers/me").json()["detail"] == "No customer is linked to this user"
    created = client.post("/api/customers", NEW_CUSTOMER, format="json")
    assert (created.status_code, created.json()["user_id"]) == (201, "caller-nobody")
    me = client.get("/api/customers/me")
    assert (me.status_code, me.json()["id"]) == (200, created.json()["id"])
    again = client.post("/api/customers", {**NEW_CUSTOMER, "email": "second@example.com"}, format="json")
    assert (again.status_code, again.json()["detail"]) == (409, "A customer is already linked to this user")
    assert Customer.objects.filter(user_id="caller-nobody").count() == 1


def test_a_customer_cannot_link_itself_to_another_user_nor_unlink_itself(customer_a, jwks_server, world):
    for sent in ("user-b", None, ""):
        response = customer_a.patch(f"/api/customers/{world.A.pk}", {"user_id": sent}, format="json")
        assert (response.status_code, response.json()["user_id"]) == (200, "user-a")  # read-only for a customer
    created = client_for(jwks_server, "nobody").post(
        "/api/customers", {**NEW_CUSTOMER, "user_id": "user-z"}, format="json"
    )
    assert (created.status_code, created.json()["user_id"]) == (201, "caller-nobody")
    assert Customer.objects.get(pk=world.B.pk).user_id == "user-b"
    replaced = customer_a.put(f"/api/customers/{world.A.pk}", CUSTOMER_A_REPLACED, format="json")
    assert (replaced.status_code, replaced.json()["user_id"]) == (200, "user-a")  # PUT without user_id keeps it


def test_staff_link_a_customer_to_a_user_and_one_user_has_one_customer(api_client, world):
    linked = api_client.patch(f"/api/customers/{world.C.pk}", {"user_id": "user-c"}, format="json")
    assert (linked.status_code, linked.json()["user_id"]) == (200, "user-c")
    taken = api_client.patch(f"/api/customers/{world.C.pk}", {"user_id": "user-a"}, format="json")
    assert (taken.status_code, taken.json()["errors"]) == (
        400,
        {"user_id": ["Another customer is already linked to this user_id"]},
    )
    unlinked = api_client.patch(f"/api/customers/{world.C.pk}", {"user_id": ""}, format="json")
    assert (unlinked.status_code, unlinked.json()["user_id"]) == (200, None)


# --- what a token carries ---------------------------------------------------------------------------------------

NET_ROLE = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
NET_NAME_ID = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"


@pytest.mark.parametrize(
    "claims, can_read_all_orders, can_change_catalog",
    [
        ({NET_ROLE: "Admin"}, True, True),
        ({NET_ROLE: ["Clerk", "Admin"]}, True, True),
        ({"role": "Clerk"}, False, False),
        ({"scope": "orders:read catalog:write"}, True, True),
        ({"scope": "orders:read"}, True, False),
        ({"scp": ["catalog:write"]}, False, True),
        ({"scp": "orders:read catalog:write"}, True, True),
        ({"scope": "orders:readx catalog:* admin"}, False, False),  # only exact names count
    ],
)
def test_roles_and_scopes_in_any_shape_grant_what_they_should(
    jwks_server, world, claims, can_read_all_orders, can_change_catalog
):
    client = APIClient()
    token = jwks_server.token(None, roles=None, **{NET_NAME_ID: "staff-7", **claims})
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert len(listed(client.get("/api/orders"))) == (2 if can_read_all_orders else 0)
    assert client.patch(f"/api/products/{world.P2.pk}", {"price": "9.00"}, format="json").status_code == (
        200 if can_change_catalog else 403
    )


@override_settings(AUTHZ_ROLES="Admin=*;Warehouse=orders:read,orders:write")
def test_authz_roles_grants_a_role_its_permissions(jwks_server, world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {jwks_server.token('picker-1', roles=['Warehouse'])}")
    assert len(listed(client.get("/api/orders"))) == 2
    assert (
        client.put(f"/api/orders/{world.order_B.pk}/status", {"status": "Processing"}, format="json").status_code == 200
    )
    assert client.get("/api/customers").json() == []  # no customers:read


# --- refusals are logged and counted; query counts ---------------------------------------------------------------


def test_a_refusal_is_logged_with_subject_permission_and_request_id_and_counted(jwks_server, world, capsys):
    from prometheus_client import REGISTRY

    def refusals(permission):
        return REGISTRY.get_sample_value("orderservice_authorization_refusals_total", {"permission": permission}) or 0

    before, outside_before = refusals("catalog:write"), refusals("own-objects")
    client = client_for(jwks_server, "customer A")
    assert client.delete(f"/api/products/{world.P2.pk}", HTTP_X_REQUEST_ID="req-403").status_code == 403
    assert client.get(f"/api/orders/{world.order_B.pk}", HTTP_X_REQUEST_ID="req-404").status_code == 404
    assert (refusals("catalog:write"), refusals("own-objects")) == (before + 1, outside_before + 1)
    log = capsys.readouterr().err
    refused = next(line for line in log.splitlines() if "authz: refused" in line)
    assert "permission=catalog:write" in refused.replace("'", "") and "subject=user-a" in refused.replace("'", "")
    assert "request_id=req-403" in refused.replace("'", "")
    outside = next(line for line in log.splitlines() if "not among the caller's own objects" in line)
    assert f"object_id={world.order_B.pk}" in outside.replace("'", "") and "req-404" in outside


@pytest.mark.parametrize(
    "path, queries",
    [
        ("/api/orders", 4),
        ("/api/orders/{order_A}", 2),
        ("/api/customers", 1),
        ("/api/customers/{A}", 1),
        ("/api/customers/me", 1),
        ("/api/customers/{A}/orders", 5),
        ("/api/orders?status=Pending", 4),
    ],
)
def test_a_customers_reads_take_at_most_one_query_more_than_staffs(
    jwks_server, world, django_assert_num_queries, path, queries
):
    """Staff's counts are those of test_query_counts.py; a customer's reads are scoped by a join, not a query."""
    path = path.replace("{order_A}", str(world.order_A.pk)).replace("{A}", str(world.A.pk))
    client = client_for(jwks_server, "customer A")
    client.get(path)  # tokens verified, SQL compiled: what every later request finds done
    with django_assert_num_queries(queries):
        assert client.get(path).status_code == 200


# --- configuration and the development token --------------------------------------------------------------------


def manage_py(*arguments, **environment) -> subprocess.CompletedProcess:
    import os

    env = {"PATH": os.environ.get("PATH", ""), "DATABASE_URL": "sqlite:///:memory:", **environment}
    return subprocess.run(
        [sys.executable, "manage.py", *arguments], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_any_token_policy_warns_at_start_up_and_the_default_does_not():
    warned = manage_py("check", AUTHZ_POLICY="any-token")
    assert warned.returncode == 0 and "AUTHZ_POLICY=any-token: every valid token may do everything" in warned.stderr
    assert "any-token" not in manage_py("check").stderr


@pytest.mark.parametrize(
    "roles, says",
    [
        (
            "Admin=*;Warehouse=orders:read,orders:delete",
            (
                "unknown permission(s) orders:delete for role 'Warehouse' "
                "(known: catalog:write, customers:read, customers:write, orders:read, orders:write, or *)"
            ),
        ),
        ("Admin", "'Admin' is not ROLE=permission,permission or ROLE=*"),
    ],
)
def test_a_wrong_authz_roles_stops_start_up_with_one_line(roles, says):
    result = manage_py("check", AUTHZ_ROLES=roles)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [f"configuration error: AUTHZ_ROLES: {says}"]


def test_devtoken_scopes_are_what_the_token_grants(jwks_server, world, tmp_path):
    import jwt

    result = manage_py(
        "devtoken",
        "--sub",
        "clerk-9",
        "--scope",
        "orders:read",
        "--scope",
        "catalog:write",
        JWT_DEV_KEY_FILE=str(tmp_path / "key.pem"),
    )
    assert result.returncode == 0, result.stderr
    claims = jwt.decode(result.stdout.strip(), options={"verify_signature": False})
    assert (claims["sub"], claims["scope"], "roles" in claims) == ("clerk-9", "orders:read catalog:write", False)
    refused = manage_py("devtoken", "--scope", "orders:everything", JWT_DEV_KEY_FILE=str(tmp_path / "key.pem"))
    assert refused.returncode != 0 and "invalid choice: 'orders:everything'" in refused.stderr


def test_staff_link_a_customer_to_a_user_on_its_admin_page_and_find_it_by_user_id(admin_client, jwks_server, world):
    from orderservice.testing.admin_pages import form_fields

    page = f"/admin/customers/customer/{world.C.pk}/change/"
    saved = admin_client.post(page, {**form_fields(admin_client.get(page)), "user_id": "user-c"})
    assert saved.status_code == 302
    assert client_for(jwks_server, "nobody").get("/api/customers/me").status_code == 404
    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Bearer {jwks_server.token('user-c', roles=None)}")
    assert me.get("/api/customers/me").json()["id"] == world.C.pk
    assert world.C.email in admin_client.get("/admin/customers/customer/", {"q": "user-c"}).content.decode()
    taken = admin_client.post(page, {**form_fields(admin_client.get(page)), "user_id": "user-a"})
    assert taken.status_code == 200 and "Another customer is already linked to this user_id" in taken.content.decode()
    assert Customer.objects.get(pk=world.C.pk).user_id == "user-c"


def test_a_view_without_a_rule_for_its_action_is_refused(jwks_server):
    """DeclaredPermission is every API view's default: a view (or a new action) nobody wrote a rule for fails
    closed, for staff too."""
    from rest_framework import viewsets
    from rest_framework.response import Response
    from rest_framework.test import APIRequestFactory

    class Forgotten(viewsets.ViewSet):
        def list(self, request):
            return Response([])

    class Partial(Forgotten):
        required_permission = {"retrieve": None}

    request = APIRequestFactory().get("/api/forgotten", HTTP_AUTHORIZATION=f"Bearer {jwks_server.token()}")
    for view in (Forgotten, Partial):
        response = view.as_view({"get": "list"})(request)
        assert (response.status_code, response.data["detail"]) == (
            403,
            "This endpoint has no authorization rule and is refused",
        )


# --- an order's customer: contact details only for those who may read customers ----------------------------

NAME_ONLY = {"id", "first_name", "last_name"}


@pytest.mark.parametrize(
    "scope, whole",
    [("orders:read", False), ("orders:read customers:read", True), ("orders:read orders:write", False)],
)
def test_an_orders_customer_carries_contact_details_only_for_a_token_that_may_read_customers(
    jwks_server, world, scope, whole
):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {jwks_server.token('clerk', roles=None, scope=scope)}")
    one = client.get(f"/api/orders/{world.order_A.pk}").json()["customer"]
    listed = [order["customer"] for order in client.get("/api/orders").json()]
    of_customer = [order["customer"] for order in client.get(f"/api/customers/{world.A.pk}/orders").json()]
    for customer in [one, *listed, *of_customer]:
        if whole:
            assert customer["email"] and customer["user_id"] and set(customer) > NAME_ONLY
        else:
            assert set(customer) == NAME_ONLY
    assert one == {"id": world.A.pk, "first_name": world.A.first_name, "last_name": world.A.last_name} or whole


def test_an_order_written_by_a_token_without_customers_read_answers_its_customer_by_name(jwks_server, world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {jwks_server.token('till', roles=None, scope='orders:write')}")
    body = {"customer_id": world.B.pk, "order_items": [{"product_id": world.P1.pk, "quantity": 1}]}
    created = client.post("/api/orders", body, format="json")
    assert created.status_code == 201
    assert set(created.json()["customer"]) == NAME_ONLY


def test_a_customer_reading_its_own_orders_sees_its_own_record_whole(customer_a, world):
    [order] = customer_a.get("/api/orders").json()
    assert order["customer"]["email"] == world.A.email and order["customer"]["user_id"] == "user-a"


def test_the_schema_says_an_orders_customer_may_carry_its_name_only():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    embedded = schema["components"]["schemas"]["OrderCustomer"]
    assert embedded["required"] == ["id", "first_name", "last_name"]
    assert "email" in embedded["properties"]
    assert "customers:read" in schema["components"]["schemas"]["Order"]["properties"]["customer"]["description"]
