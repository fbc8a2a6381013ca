"""The stock ledger over the API: POST /api/products/{id}/stock-adjustments, GET …/stock-movements, and the
movement every stock-changing request writes, with its actor (token:<the token's subject>) and request id."""

import pytest
from rest_framework.test import APIClient

from orderservice.models import OutboxEvent
from orderservice.testing.api import assert_invalid, assert_problem, iso
from orderservice.testing.factories import CustomerFactory, ProductFactory
from orderservice.testing.ledger import assert_ledger_adds_up, last_movement_id, movements_since
from orderservice.testing.state import database_state, stock_of
from products.models import MAX_STOCK, StockMovement

pytestmark = pytest.mark.django_db

SUBJECT = "stock-keeper"


@pytest.fixture
def staff(jwks_server) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {jwks_server.token(SUBJECT, roles=None, scope='catalog:write')}")
    return client


def adjust(client, product_id, body, **headers):
    return client.post(f"/api/products/{product_id}/stock-adjustments", body, format="json", **headers)


@pytest.mark.parametrize("subject", ["system", "admin:admin", "migration", "token:alice"])
def test_no_token_can_pose_as_the_system_or_a_staff_user(jwks_server, subject):
    product = ProductFactory(stock_quantity=10)
    poser = APIClient()
    poser.credentials(HTTP_AUTHORIZATION=f"Bearer {jwks_server.token(subject, roles=None, scope='catalog:write')}")

    response = adjust(poser, product.pk, {"change": 1})

    assert (response.status_code, response.json()["actor"]) == (201, f"token:{subject}")
    assert StockMovement.objects.get(pk=response.json()["id"]).actor == f"token:{subject}"
    event = OutboxEvent.objects.filter(type="product.stock_changed", subject=f"products/{product.pk}").first()
    assert (event.data["movement_id"], event.actor) == (response.json()["id"], f"token:{subject}")


def test_an_adjustment_answers_201_with_its_movement(staff, logged_events, committed):
    product = ProductFactory(stock_quantity=10)
    with committed():
        response = adjust(staff, product.pk, {"change": -2, "note": "breakage"}, HTTP_X_REQUEST_ID="req-42")
    movement = StockMovement.objects.get(reason="adjustment")
    assert response.status_code == 201
    assert response.json() == {
        "id": movement.pk,
        "product_id": product.pk,
        "change": -2,
        "stock_after": 8,
        "reason": "adjustment",
        "order_id": None,
        "actor": f"token:{SUBJECT}",
        "request_id": "req-42",
        "note": "breakage",
        "created_at": iso(movement.created_at),
    }
    assert stock_of(product) == 8
    assert [event for event in logged_events() if event["event"] == "product.stock_changed"] == [
        {
            "event": "product.stock_changed",
            "product_id": product.pk,
            "movement_id": movement.pk,
            "change": -2,
            "reason": "adjustment",
            "stock_after": 8,
        }
    ]
    assert_ledger_adds_up()


def test_a_note_is_optional(staff):
    product = ProductFactory(stock_quantity=10)
    response = adjust(staff, product.pk, {"change": 20})
    assert (response.status_code, response.json()["note"], response.json()["stock_after"]) == (201, "", 30)


@pytest.mark.parametrize(
    "stock, change, rule",
    [
        (3, -4, "Cannot remove 4 from the stock of Desk: only 3 in stock"),
        (MAX_STOCK - 1, 2, f"Stock of Desk cannot exceed {MAX_STOCK}"),
    ],
)
def test_an_adjustment_past_zero_or_the_largest_stock_is_a_400_naming_the_rule(staff, stock, change, rule):
    product = ProductFactory(name="Desk", stock_quantity=stock)
    before = database_state()
    assert_problem(adjust(staff, product.pk, {"change": change}), 400, rule, {"change": [rule]})
    assert database_state() == before


@pytest.mark.parametrize(
    "stock, body, field, message",
    [
        (3, {"change": 0}, "change", "Must not be 0."),
        (3, {}, "change", "This field is required."),
        (3, {"change": 1.5}, "change", "A valid integer is required."),
        (3, {"change": MAX_STOCK + 1}, "change", f"Ensure this value is less than or equal to {MAX_STOCK}."),
        (3, {"change": 1, "note": "x" * 501}, "note", "Ensure this field has no more than 500 characters."),
    ],
)
def test_a_refused_adjustment_is_a_400_that_changes_nothing(staff, stock, body, field, message):
    product = ProductFactory(name="Desk", stock_quantity=stock)
    before = database_state()
    assert_invalid(adjust(staff, product.pk, body), field, message)
    assert database_state() == before


@pytest.mark.parametrize("path", ["stock-adjustments", "stock-movements"])
@pytest.mark.parametrize("product_id", ["999999", "99999999999999999999999", "-1"])
def test_an_absent_product_is_a_404(staff, path, product_id):
    ProductFactory()
    before = database_state()
    url = f"/api/products/{product_id}/{path}"
    response = staff.post(url, {"change": 1}, format="json") if path == "stock-adjustments" else staff.get(url)
    assert_problem(response, 404, "Product not found")
    assert database_state() == before


def test_an_adjustment_retried_with_its_idempotency_key_is_applied_once(staff):
    product = ProductFactory(stock_quantity=10)
    first = adjust(staff, product.pk, {"change": 5}, HTTP_IDEMPOTENCY_KEY="delivery-1")
    again = adjust(staff, product.pk, {"change": 5}, HTTP_IDEMPOTENCY_KEY="delivery-1")
    other = adjust(staff, product.pk, {"change": 6}, HTTP_IDEMPOTENCY_KEY="delivery-1")
    assert (first.status_code, again.status_code, again["Idempotent-Replayed"]) == (201, 201, "true")
    assert again.json() == first.json()
    assert other.status_code == 422
    assert stock_of(product) == 15
    assert StockMovement.objects.filter(reason="adjustment").count() == 1


def test_the_movements_are_listed_newest_first_in_pages(staff):
    product = ProductFactory(stock_quantity=10)
    other = ProductFactory(stock_quantity=10)
    for change in (1, 2, 3):
        adjust(staff, product.pk, {"change": change})
    adjust(staff, other.pk, {"change": 9})
    first = staff.get(f"/api/products/{product.pk}/stock-movements?limit=3")
    assert first.status_code == 200
    assert [(row["change"], row["stock_after"], row["reason"]) for row in first.json()] == [
        (3, 16, "adjustment"),
        (2, 13, "adjustment"),
        (1, 11, "adjustment"),
    ]
    next_url = first["Link"].split(">")[0].lstrip("<")
    second = staff.get(next_url)
    assert [(row["change"], row["reason"]) for row in second.json()] == [(10, "initial")]
    assert 'rel="next"' not in second.get("Link", "")
    # Filters and orderings of the product list do not apply here.
    assert staff.get(f"/api/products/{product.pk}/stock-movements?ordering=name").status_code == 200


def test_every_stock_change_through_the_api_writes_one_movement_per_product_with_its_actor(staff, jwks_server):
    customer = CustomerFactory()
    orders = APIClient()
    orders.credentials(HTTP_AUTHORIZATION=f"Bearer {jwks_server.token('clerk', roles=None, scope='orders:write')}")
    last = last_movement_id()
    created = staff.post("/api/products", {"name": "Lamp", "price": "12.50", "stock_quantity": 5}, format="json")
    lamp = created.json()["id"]
    desk = staff.post("/api/products", {"name": "Desk", "price": "99.00"}, format="json").json()["id"]
    assert staff.patch(f"/api/products/{lamp}", {"stock_quantity": 9}, format="json").status_code == 200
    assert (
        staff.patch(f"/api/products/{lamp}", {"stock_quantity": 9, "name": "Lamp 2"}, format="json").status_code == 200
    )  # unchanged: no movement
    assert (
        staff.put(
            f"/api/products/{desk}", {"name": "Desk", "price": "99.00", "stock_quantity": 4}, format="json"
        ).status_code
        == 200
    )
    body = {
        "customer_id": customer.pk,
        "order_items": [
            {"product_id": lamp, "quantity": 2},
            {"product_id": desk, "quantity": 1},
            {"product_id": lamp, "quantity": 1},
        ],
    }
    cancelled = orders.post("/api/orders", body, format="json").json()["id"]
    deleted = orders.post("/api/orders", body, format="json").json()["id"]
    assert orders.put(f"/api/orders/{cancelled}/status", {"status": "Cancelled"}, format="json").status_code == 200
    assert orders.delete(f"/api/orders/{deleted}").status_code == 204

    def moved(product, change, reason, actor, order=None):
        return {"product_id": product, "change": change, "reason": reason, "order_id": order, "actor": actor}

    assert movements_since(last) == [
        moved(lamp, 5, "initial", f"token:{SUBJECT}"),
        moved(desk, 0, "initial", f"token:{SUBJECT}"),
        moved(lamp, 4, "set", f"token:{SUBJECT}"),
        moved(desk, 4, "set", f"token:{SUBJECT}"),
        moved(lamp, -3, "order.created", "token:clerk", cancelled),
        moved(desk, -1, "order.created", "token:clerk", cancelled),
        moved(lamp, -3, "order.created", "token:clerk", deleted),
        moved(desk, -1, "order.created", "token:clerk", deleted),
        moved(lamp, 3, "order.cancelled", "token:clerk", cancelled),
        moved(desk, 1, "order.cancelled", "token:clerk", cancelled),
        moved(lamp, 3, "order.deleted", "token:clerk", deleted),
        moved(desk, 1, "order.deleted", "token:clerk", deleted),
    ]
    assert_ledger_adds_up()


def test_a_refused_order_or_product_change_writes_no_movement(staff, api_client):
    product = ProductFactory(name="Desk", stock_quantity=1)
    customer = CustomerFactory()
    before = database_state()
    response = api_client.post(
        "/api/orders",
        {"customer_id": customer.pk, "order_items": [{"product_id": product.pk, "quantity": 2}]},
        format="json",
    )
    assert_problem(response, 400, "Insufficient stock for product Desk")
    assert staff.patch(f"/api/products/{product.pk}", {"stock_quantity": -1}, format="json").status_code == 400
    assert database_state() == before


def test_the_metrics_count_movements_by_reason(staff, committed):
    from orderservice.observability.metrics import STOCK_MOVEMENTS

    product = ProductFactory(stock_quantity=10)
    counted = STOCK_MOVEMENTS.labels("adjustment")._value.get()
    with committed():
        adjust(staff, product.pk, {"change": 1})
    assert STOCK_MOVEMENTS.labels("adjustment")._value.get() == counted + 1
