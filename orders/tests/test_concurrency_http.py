"""Stock under concurrency across processes, over HTTP: on SQLite one gunicorn with several workers
sharing one database file; on PostgreSQL two gunicorn instances sharing one database. The run for each
database drives its own deployment shape."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from orderservice.testing.ledger import assert_ledger_adds_up_over_http
from orderservice.testing.live_service import Gunicorn, call, live_database, on_sqlite, service_environment

pytestmark = pytest.mark.live
CONNECTIONS = 16
ON_SQLITE = on_sqlite()


class Deployment(list):
    """The instances' base URLs, and the environment management commands run in against their database."""

    def __init__(self, urls, environment):
        super().__init__(urls)
        self.environment = environment


@pytest.fixture
def deployment(jwks_server, tmp_path):
    """The service as deployed for this run's database, seeded and ready: its instances' base URLs."""
    with live_database(tmp_path, seeded=True) as database_url:
        environment = service_environment(database_url, jwks_server.url)
        instances = (
            [Gunicorn(environment, workers=3)]
            if ON_SQLITE
            else [Gunicorn(environment, workers=2), Gunicorn(environment, workers=2)]
        )
        try:
            yield Deployment([instance.url for instance in instances], environment)
        finally:
            for instance in instances:
                instance.stop()


def test_concurrent_orders_cancels_and_adjustments_over_http_never_oversell_never_fail_and_keep_the_ledger(
    deployment, jwks_server, capsys
):
    token = jwks_server.token()
    first = deployment[0]
    laptop, mouse, chair = sorted(product["id"] for product in call(first, "GET", "/api/products", token)[1])
    initial = {laptop: 25, mouse: 60, chair: 25}  # a little stock, so that orders contend for the last units
    for product_id, stock in initial.items():
        status, _ = call(first, "PATCH", f"/api/products/{product_id}", token, {"stock_quantity": stock})
        assert status == 200
    shapes = [
        [(laptop, 1), (mouse, 2)],
        [(mouse, 2), (laptop, 1)],  # opposite line order
        [(chair, 1), (laptop, 1), (mouse, 1)],
        [(mouse, 1), (mouse, 1)],
    ]

    initial_order = list(initial)
    placed = []  # ids of orders placed, which every 5th request cancels again

    def act(index):
        base_url = deployment[index % len(deployment)]
        if index % 10 == 7:  # a delivery, or breakage, while orders are placed
            product_id, change = initial_order[index // 10 % 3], 3 if index % 20 == 7 else -2
            status, answer = call(
                base_url,
                "POST",
                f"/api/products/{product_id}/stock-adjustments",
                token,
                {"change": change, "note": f"race {index}"},
            )
            return (
                ("adjusted", product_id, change)
                if status == 201
                else ("adjust refused", answer["detail"].split(" from")[0])
            )
        if index % 5 == 4 and placed:
            status, _ = call(base_url, "PUT", f"/api/orders/{placed.pop()}/status", token, {"status": "Cancelled"})
            return "cancelled" if status == 200 else status
        lines = shapes[index % len(shapes)]
        body = {"customer_id": 1, "order_items": [{"product_id": p, "quantity": q} for p, q in lines]}
        status, answer = call(base_url, "POST", "/api/orders", token, body)
        if status == 201:
            placed.append(answer["id"])
        return status if status != 400 else answer["detail"].split(" for product")[0]

    attempts = 240
    with ThreadPoolExecutor(CONNECTIONS) as pool:
        results = list(pool.map(act, range(attempts)))

    adjusted = Counter()
    for result in results:
        if isinstance(result, tuple) and result[0] == "adjusted":
            adjusted[result[1]] += result[2]
    outcomes = Counter(result[0] if isinstance(result, tuple) else result for result in results)
    assert set(outcomes) <= {201, "Insufficient stock", "cancelled", "adjusted", "adjust refused"}, outcomes
    assert outcomes[201] > 0 and outcomes["Insufficient stock"] > 0 and outcomes["cancelled"] > 0
    assert outcomes["adjusted"] > 0
    for base_url in deployment:  # every instance sees the same stock
        stock = {p["id"]: p["stock_quantity"] for p in call(base_url, "GET", "/api/products", token)[1]}
        orders = call(base_url, "GET", "/api/orders?limit=1000", token)[1]
        assert len(orders) == outcomes[201]
        ordered = Counter()
        for order in orders:
            if order["status"] != "Cancelled":
                for item in order["order_items"]:
                    ordered[item["product_id"]] += item["quantity"]
        assert all(stock[p] >= 0 for p in stock)
        assert {p: stock[p] + ordered[p] for p in stock} == {p: initial[p] + adjusted[p] for p in initial}
        movements = assert_ledger_adds_up_over_http(base_url, token, deployment.environment)
    with capsys.disabled():
        print(
            f"\n[{'sqlite, 1 gunicorn x 3 workers' if ON_SQLITE else 'postgresql, 2 gunicorns x 2 workers'}] "
            f"connections={CONNECTIONS} attempts={attempts} outcomes={dict(outcomes)} "
            f"adjusted={dict(adjusted)} final stock={stock} movements={movements} ledger=adds up, check_stock=0"
        )


def test_concurrent_retries_with_one_idempotency_key_place_one_order_across_workers_and_instances(
    deployment, jwks_server
):
    token = jwks_server.token(subject="retrying-shop")
    body = {"customer_id": 2, "order_items": [{"product_id": 3, "quantity": 1}]}

    def retry(index):
        return call(
            deployment[index % len(deployment)],
            "POST",
            "/api/orders",
            token,
            body,
            headers={"Idempotency-Key": "checkout-7f3a"},
        )

    with ThreadPoolExecutor(CONNECTIONS) as pool:
        answers = list(pool.map(retry, range(CONNECTIONS)))

    assert {status for status, _ in answers} == {201}
    assert len({answer["id"] for _, answer in answers}) == 1
    assert len(call(deployment[0], "GET", "/api/orders", token)[1]) == 1
    chair = call(deployment[-1], "GET", "/api/products/3", token)[1]
    assert chair["stock_quantity"] == 75 - 1
    assert_ledger_adds_up_over_http(deployment[0], jwks_server.token(), deployment.environment)
