"""Two writes to the same object at the same moment, against gunicorn with 2 workers on this run's database: each
gets an answer a client can act on (the loser's exact 404, 400 or 403), never a 500, and the stock ledger adds up.

Each round fires its two requests from two threads released by one barrier, so they reach the two workers together.
"""

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from customers.models import DELETE_REFUSED_MESSAGE as CUSTOMER_DELETE_REFUSED
from orderservice.testing.ledger import assert_ledger_adds_up_over_http
from orderservice.testing.live_service import Gunicorn, call, live_database, manage, service_environment
from products.models import DELETE_REFUSED_MESSAGE as PRODUCT_DELETE_REFUSED

pytestmark = pytest.mark.live

ROUNDS = 30
NOT_PENDING = "Cannot delete order that is not in Pending status"


@pytest.fixture(scope="module")
def service(jwks_server, tmp_path_factory):
    """The service on a fresh, seeded database: (base URL, the environment of its management commands)."""
    with live_database(tmp_path_factory.mktemp("races")) as database_url:
        environment = service_environment(database_url, jwks_server.url)
        manage(environment, "migrate", "--noinput")
        manage(environment, "loaddata", "seed")
        gunicorn = Gunicorn(environment, workers=2)
        try:
            yield gunicorn.url, environment
        finally:
            gunicorn.stop()


@pytest.fixture(scope="module")
def staff(jwks_server) -> str:
    return jwks_server.token("race-staff")


@pytest.fixture(scope="module")
def owner(service, staff, jwks_server) -> tuple[str, int]:
    """A customer's own token, and its customer's id."""
    url, _ = service
    status, customer = call(
        url, "POST", "/api/customers", staff, {"first_name": "Rae", "last_name": "Cer", "email": "rae@example.com"}
    )
    assert status == 201
    call(url, "PATCH", f"/api/customers/{customer['id']}", staff, {"user_id": "racing-owner"})
    return jwks_server.token("racing-owner", roles=None), customer["id"]


def together(*requests):
    """Run the requests (functions of no argument) at the same moment; their answers, in the same order."""
    barrier = threading.Barrier(len(requests))

    def fire(request):
        barrier.wait()
        return request()

    with ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(fire, requests))


def answer(result) -> tuple:
    """(status, detail) of a call's result: what a client branches on."""
    status, body = result
    return status, body.get("detail") if isinstance(body, dict) and status >= 400 else None


def new_order(url, token, customer_id, product_id=2) -> int:
    body = {"customer_id": customer_id, "order_items": [{"product_id": product_id, "quantity": 1}]}
    status, order = call(url, "POST", "/api/orders", token, body)
    assert status == 201, order
    return order["id"]


@pytest.mark.parametrize(
    "second, outcomes",
    [
        # Whichever comes second finds the order gone (404) or, for a cancel that won, no longer Pending.
        ("delete", {((204, None), (404, "Order not found")), ((404, "Order not found"), (204, None))}),
        (
            "cancel",
            {((204, None), (404, "Order not found")), ((400, NOT_PENDING), (200, None))},
        ),
        ("patch", {((204, None), (404, "Order not found")), ((204, None), (200, None))}),
    ],
)
def test_an_owner_deleting_an_order_while_changing_it_gets_404_or_the_rule_never_a_500(
    service, owner, staff, second, outcomes
):
    url, environment = service
    token, customer_id = owner
    seen = Counter()
    for _ in range(ROUNDS):
        order_id = new_order(url, token, customer_id)
        other = {
            "delete": lambda order_id=order_id: call(url, "DELETE", f"/api/orders/{order_id}", token),
            "cancel": lambda order_id=order_id: call(
                url, "PUT", f"/api/orders/{order_id}/status", token, {"status": "Cancelled"}
            ),
            "patch": lambda order_id=order_id: call(url, "PATCH", f"/api/orders/{order_id}", token, {"notes": "x"}),
        }[second]
        results = together(lambda order_id=order_id: call(url, "DELETE", f"/api/orders/{order_id}", token), other)
        seen[tuple(answer(result) for result in results)] += 1
    assert set(seen) <= outcomes, seen
    assert_ledger_adds_up_over_http(url, staff, environment)


def test_a_product_deleted_while_it_is_ordered_is_refused_or_the_order_is(service, staff):
    url, environment = service
    seen = Counter()
    for round_ in range(ROUNDS):
        status, product = call(
            url, "POST", "/api/products", staff, {"name": f"Race {round_}", "price": "1.00", "stock_quantity": 5}
        )
        assert status == 201
        order_body = {"customer_id": 1, "order_items": [{"product_id": product["id"], "quantity": 1}]}
        deleted, ordered = together(
            lambda product=product: call(url, "DELETE", f"/api/products/{product['id']}", staff),
            lambda order_body=order_body: call(url, "POST", "/api/orders", staff, order_body),
        )
        status, detail = answer(ordered)
        seen[answer(deleted), (status, detail and detail.replace(str(product["id"]), "{id}"))] += 1
    refused = (400, PRODUCT_DELETE_REFUSED)
    assert set(seen) <= {
        (refused, (201, None)),  # the order came first: the product is in an order now
        ((204, None), (400, "Product with ID {id} not found")),  # the delete came first
    }, seen
    assert_ledger_adds_up_over_http(url, staff, environment)


def test_a_customer_deleted_while_its_first_order_is_placed_is_refused_or_the_order_is(service, staff):
    url, environment = service
    seen = Counter()
    for round_ in range(ROUNDS):
        status, customer = call(
            url,
            "POST",
            "/api/customers",
            staff,
            {"first_name": "First", "last_name": f"Order {round_}", "email": f"first.{round_}@example.com"},
        )
        assert status == 201
        order_body = {"customer_id": customer["id"], "order_items": [{"product_id": 2, "quantity": 1}]}
        deleted, ordered = together(
            lambda customer=customer: call(url, "DELETE", f"/api/customers/{customer['id']}", staff),
            lambda order_body=order_body: call(url, "POST", "/api/orders", staff, order_body),
        )
        seen[answer(deleted), answer(ordered)] += 1
    refused = (400, CUSTOMER_DELETE_REFUSED)
    assert set(seen) <= {(refused, (201, None)), ((204, None), (400, "Customer not found"))}, seen
    assert_ledger_adds_up_over_http(url, staff, environment)


def test_an_owners_edit_never_commits_after_staff_moved_the_order_on(service, owner, staff):
    """Staff move the order to Processing while its owner edits notes and address (which a customer may do only while
    it is Pending): the edit either commits first or is refused; by the events' positions, never after."""
    url, environment = service
    token, customer_id = owner
    seen, orders = Counter(), []
    for round_ in range(2 * ROUNDS):
        order_id = new_order(url, token, customer_id)
        orders.append(order_id)
        moved, edited = together(
            lambda order_id=order_id: call(
                url, "PUT", f"/api/orders/{order_id}/status", staff, {"status": "Processing"}
            ),
            lambda order_id=order_id, round_=round_: call(
                url,
                "PATCH",
                f"/api/orders/{order_id}",
                token,
                {"notes": f"round {round_}", "shipping_address": f"{round_} Race Road"},
            ),
        )
        seen[answer(moved), answer(edited)] += 1
    refused = (
        403,
        "Changing a Processing order needs the permission orders:write; a customer may change only a Pending one",
    )
    assert set(seen) <= {((200, None), (200, None)), ((200, None), refused)}, seen
    events = json.loads(
        manage(
            environment,
            "shell",
            "--no-imports",
            "-c",
            "import json; from orderservice.models import OutboxEvent; "
            "print(json.dumps(list(OutboxEvent.objects.filter(type__in=['order.updated', 'order.status_changed'])"
            ".order_by('position').values_list('subject', 'type'))))",
        )
    )
    for order_id in orders:
        kinds = [kind for subject, kind in events if subject == f"orders/{order_id}"]
        assert kinds in (["order.status_changed"], ["order.updated", "order.status_changed"]), (order_id, kinds)
