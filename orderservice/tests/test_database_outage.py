"""PostgreSQL taken away under load and given back: while it is away every API request is a 503 problem with
Retry-After (never a 500), logged as one warning line without a traceback; as soon as it is back the service
serves again, and no stock is lost."""

import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from django.core.signals import request_finished, request_started
from django.db import connection

from orderservice.testing.live_service import (
    Gunicorn,
    call,
    get,
    migrated_database,
    on_sqlite,
    service_environment,
)
from orderservice.testing.tcp_proxy import TcpProxy

LOAD_THREADS = 4


def send(base_url: str, method: str, path: str, token: str, body: dict | None = None) -> tuple[int, dict, object]:
    """One request; returns (status, headers, parsed body)."""
    request = urllib.request.Request(
        f"{base_url}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def through(proxy: TcpProxy, database_url: str) -> str:
    """The database URL with the proxy's address in place of the server's."""
    return re.sub(r"@[^/]+/", f"@127.0.0.1:{proxy.port}/", database_url)


@pytest.mark.live
def test_the_api_answers_503_while_postgres_is_away_and_serves_again_when_it_is_back(jwks_server):
    with migrated_database("postgresql", seeded=True) as database_url:
        proxy = TcpProxy(("127.0.0.1", int(re.search(r":(\d+)/", database_url).group(1))))
        # DB_CONN_MAX_AGE's default keeps each worker's connection open across requests: the cut breaks them.
        service = Gunicorn(
            service_environment(through(proxy, database_url), jwks_server.url, DB_CONNECT_TIMEOUT_SECONDS="2"),
            workers=2,
        )
        try:
            token = jwks_server.token()
            products = [product["id"] for product in call(service.url, "GET", "/api/products", token)[1]]
            for product_id in products:  # enough that no order is refused for stock
                call(service.url, "PATCH", f"/api/products/{product_id}", token, {"stock_quantity": 100_000})
            phase, stop, answers = ["before"], threading.Event(), []

            def load(worker: int) -> None:
                for turn in range(100_000):
                    if stop.is_set():
                        return
                    begun = phase[0]
                    if turn % 2:
                        body = {
                            "customer_id": 1 + worker % 2,
                            "order_items": [{"product_id": products[turn % len(products)], "quantity": 1}],
                        }
                        status, headers, answer = send(service.url, "POST", "/api/orders", token, body)
                    else:
                        status, headers, answer = send(service.url, "GET", "/api/products", token)
                    answers.append((begun, phase[0], status, headers.get("Retry-After"), answer))
                    time.sleep(0.02)  # a steady load, not a flood: the orders fit on one page

            with ThreadPoolExecutor(LOAD_THREADS) as pool:
                running = [pool.submit(load, worker) for worker in range(LOAD_THREADS)]
                try:
                    time.sleep(1)
                    proxy.cut()
                    phase[0] = "away"
                    time.sleep(3)
                    away_readiness = get(service.url, "/health/ready")[0]
                    proxy.restore()
                    phase[0] = "back"  # only once it listens again: a request begun "back" must find it
                    time.sleep(2)
                finally:
                    stop.set()
                for future in running:
                    future.result()

            statuses = Counter((begun, ended, status) for begun, ended, status, _, _ in answers)
            assert {status for _, _, status in statuses} <= {200, 201, 503}, statuses
            assert statuses[("before", "before", 201)] > 0 and statuses[("back", "back", 201)] > 0, statuses
            unavailable = [(retry_after, answer) for _, _, status, retry_after, answer in answers if status == 503]
            assert statuses[("away", "away", 503)] > 10, statuses
            assert {status for begun, ended, status in statuses if begun == ended == "away"} == {503}, statuses
            assert {status for begun, _, status in statuses if begun == "back"} <= {200, 201}, statuses
            for retry_after, answer in unavailable:
                assert retry_after == "5"
                assert answer.pop("instance") in ("/api/orders", "/api/products")  # the path asked for
                assert answer == {
                    "type": "about:blank",
                    "title": "Service Unavailable",
                    "status": 503,
                    "detail": "The database cannot be reached right now; retry later",
                }
            assert away_readiness == 503

            stock = {
                product["id"]: product["stock_quantity"]
                for product in call(service.url, "GET", "/api/products", token)[1]
            }
            ordered = Counter()
            orders = call(service.url, "GET", "/api/orders?limit=1000", token)[1]
            for order in orders:
                for item in order["order_items"]:
                    ordered[item["product_id"]] += item["quantity"]
            assert len(orders) < 1000
            assert len(orders) >= statuses[("before", "before", 201)] + statuses[("back", "back", 201)]
            stock_and_ordered = {product_id: stock[product_id] + ordered[product_id] for product_id in products}
            assert stock_and_ordered == dict.fromkeys(products, 100000)

            lines = [json.loads(line) for line in service.logs().splitlines() if line.startswith("{")]
            warnings = [line for line in lines if line["event"].startswith("database unavailable on ")]
            assert len(warnings) == len(unavailable)
            assert {(line["level"], line["logger"]) for line in warnings} == {("warning", "orderservice.errors")}
            assert not [
                line
                for line in lines
                if "/api/" in line["event"] and (line["level"] in ("error", "critical") or "exception" in line)
            ]
        finally:
            service.stop()
            proxy.cut()


POSTGRES_ONLY = pytest.mark.skipif(
    on_sqlite(), reason="SQLite has no connection to lose: it checks one without a query"
)


@POSTGRES_ONLY
@pytest.mark.django_db(transaction=True)
def test_a_connection_that_answered_a_moment_ago_is_not_checked_again(monkeypatch):
    """Django's health check is a `SELECT 1` round trip before a request's first query; under load it doubled the
    round trips of a small read (orderservice/database/postgresql)."""
    from products.models import Product

    checks = []
    is_usable = connection.is_usable
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append("SELECT 1") or is_usable())

    def serve_a_request():
        request_started.send(sender=None)
        Product.objects.exists()
        request_finished.send(sender=None)

    connection.close()
    for _ in range(3):  # the first opens a new connection, which needs no check
        serve_a_request()
    assert checks == []  # Django's own backend sends 2 here, one before each of the requests that followed

    monkeypatch.setattr(connection, "RECENTLY_USED_SECONDS", 0)  # as if it had been idle since
    serve_a_request()
    assert checks == ["SELECT 1"]


@POSTGRES_ONLY
@pytest.mark.live
def test_a_connection_broken_while_idle_is_replaced_before_the_next_request(jwks_server):
    with migrated_database("postgresql", seeded=True) as database_url:
        environment = service_environment(database_url, jwks_server.url)
        service = Gunicorn(environment, workers=1)
        try:
            token = jwks_server.token()
            assert call(service.url, "GET", "/api/products/1", token)[0] == 200
            with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
                ended = admin.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    [database_url.rsplit("/", 1)[1]],
                ).fetchone()[0]
            assert ended >= 1  # the worker's persistent connection, as a server restart or failover ends it
            time.sleep(1.2)  # idle for longer than a connection is trusted without a check
            assert call(service.url, "GET", "/api/products/1", token)[0] == 200
        finally:
            service.stop()
