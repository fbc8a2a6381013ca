"""The production deployment as the README describes it: ENVIRONMENT=production, PostgreSQL, migrate,
collectstatic, then two gunicorn instances (`gunicorn -c gunicorn.conf.py …`) on one database, behind a
TLS-terminating proxy (played here by the X-Forwarded-Proto header, which gunicorn trusts from loopback)."""

import http.client
import json
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import psycopg
import pytest

from orderservice.testing.ledger import assert_ledger_adds_up_over_http
from orderservice.testing.live_service import (
    PROJECT_ROOT,
    Gunicorn,
    call,
    get,
    manage,
    migrated_database,
    postgres_database,
    service_environment,
)

pytestmark = pytest.mark.live
BEHIND_TLS = {"X-Forwarded-Proto": "https"}


@pytest.fixture(scope="module")
def production(jwks_server, tmp_path_factory):
    """(database URL, environment, [instance A, instance B]) of a production deployment on PostgreSQL."""
    with postgres_database() as database_url:
        environment = service_environment(
            database_url,
            jwks_server.url,
            ENVIRONMENT="production",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            STATIC_ROOT=str(tmp_path_factory.mktemp("static")),
        )
        del environment["DEBUG"], environment["LOG_LEVEL"]  # production's own defaults
        manage(environment, "migrate", "--noinput")
        manage(environment, "collectstatic", "--noinput")
        manage(environment, "loaddata", "seed")
        instances = [Gunicorn(environment, workers=2), Gunicorn(environment, workers=2)]
        try:
            yield database_url, environment, instances
        finally:
            for instance in instances:
                instance.stop()


def test_two_instances_on_one_database_serve_the_same_orders(production, jwks_server):
    _, _, instances = production
    token = jwks_server.token(subject="production-shop")
    order = {"customer_id": 1, "order_items": [{"product_id": 3, "quantity": 2}]}
    with ThreadPoolExecutor(8) as pool:
        placed = list(
            pool.map(
                lambda index: call(instances[index % 2].url, "POST", "/api/orders", token, order, BEHIND_TLS), range(20)
            )
        )
    assert {status for status, _ in placed} == {201}

    views = [call(instance.url, "GET", "/api/orders?limit=1000", token, headers=BEHIND_TLS) for instance in instances]
    assert views[0] == views[1] and views[0][0] == 200
    assert {order["id"] for order in views[0][1]} >= {answer["id"] for _, answer in placed}
    chair = [call(instance.url, "GET", "/api/products/3", token, headers=BEHIND_TLS)[1] for instance in instances]
    assert chair[0]["stock_quantity"] == chair[1]["stock_quantity"] == 75 - 2 * len(views[0][1])


def test_two_instances_keep_one_stock_ledger_under_racing_orders_cancels_and_adjustments(
    production, jwks_server, capsys
):
    _, environment, instances = production
    token = jwks_server.token(subject="production-warehouse")
    placed = []

    def act(index):
        url = instances[index % 2].url
        if index % 4 == 1:
            return call(
                url,
                "POST",
                "/api/products/2/stock-adjustments",
                token,
                {"change": 5 if index % 8 == 1 else -3},
                BEHIND_TLS,
            )[0]
        if index % 4 == 3 and placed:
            return call(url, "PUT", f"/api/orders/{placed.pop()}/status", token, {"status": "Cancelled"}, BEHIND_TLS)[0]
        status, order = call(
            url,
            "POST",
            "/api/orders",
            token,
            {"customer_id": 1, "order_items": [{"product_id": 2, "quantity": 2}, {"product_id": 1, "quantity": 1}]},
            BEHIND_TLS,
        )
        if status == 201:
            placed.append(order["id"])
        return status

    with ThreadPoolExecutor(8) as pool:
        statuses = Counter(pool.map(act, range(80)))
    assert set(statuses) <= {200, 201}, statuses

    movements = [
        assert_ledger_adds_up_over_http(instance.url, token, environment, BEHIND_TLS) for instance in instances
    ]
    assert movements[0] == movements[1]  # both instances serve the one ledger
    with capsys.disabled():
        print(
            f"\n[postgresql, production, 2 gunicorns x 2 workers] requests=80 statuses={dict(statuses)} "
            f"movements={movements[0]} ledger=adds up, check_stock=0"
        )


def test_production_answers_over_tls_only_with_security_headers_and_its_own_static_files(production):
    _, _, (instance, _) = production
    status, headers, _ = get(instance.url, "/api/products")
    assert status == 301 and headers["Location"] == f"https://127.0.0.1:{instance.port}/api/products"
    assert get(instance.url, "/health")[0] == 200  # probes inside the network speak plain HTTP

    status, headers, _ = get(instance.url, "/api/products", BEHIND_TLS)
    assert status == 401  # over TLS now: the API wants its token
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert (
        "Access-Control-Allow-Origin"
        not in get(instance.url, "/api/products", {**BEHIND_TLS, "Origin": "https://elsewhere.example"})[1]
    )
    assert get(instance.url, "/metrics", BEHIND_TLS)[0] == 404  # not public unless configured
    status, _, body = get(instance.url, "/static/admin/css/base.css", BEHIND_TLS)
    assert status == 200 and "body" in body


def send_chunked(url: str, path: str, token: str, chunks: list[bytes]) -> tuple[int, dict]:
    """A POST whose body goes as `Transfer-Encoding: chunked`, without Content-Length; (status, JSON answer)."""
    connection = http.client.HTTPConnection(urlsplit(url).netloc, timeout=60)
    try:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", **BEHIND_TLS}
        connection.request("POST", path, body=iter(chunks), headers=headers, encode_chunked=True)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_a_chunked_body_is_read(production, jwks_server):
    _, _, (instance, _) = production
    token = jwks_server.token(subject="chunked-client")
    body = json.dumps({"first_name": "Chunk", "last_name": "Ed", "email": "chunked@example.com"}).encode()

    status, customer = send_chunked(instance.url, "/api/customers", token, [body[:10], body[10:25], body[25:]])

    assert status == 201
    assert (customer["first_name"], customer["last_name"], customer["email"]) == ("Chunk", "Ed", "chunked@example.com")


def test_a_chunked_body_over_the_limit_is_the_413_a_declared_one_gets_and_changes_nothing(production, jwks_server):
    database_url, _, (instance, _) = production
    token = jwks_server.token(subject="chunked-client")
    padding = "x" * 1_048_576  # MAX_REQUEST_BODY_BYTES: the body around it is larger
    body = json.dumps({"first_name": "Big", "last_name": "Body", "email": "big@example.com", "address": padding})

    status, problem = send_chunked(
        instance.url, "/api/customers", token, [body.encode()[i : i + 65536] for i in range(0, len(body), 65536)]
    )
    declared = call(instance.url, "POST", "/api/customers", token, json.loads(body), BEHIND_TLS)

    expected = {
        "type": "about:blank",
        "title": "Content Too Large",
        "status": 413,
        "detail": "The request body is larger than 1048576 bytes",
        "instance": "/api/customers",
    }
    assert (status, problem) == (413, expected)
    assert declared == (413, expected)
    with psycopg.connect(database_url) as database:
        assert database.execute(
            "SELECT count(*) FROM customers_customer WHERE email = 'big@example.com'"
        ).fetchone() == (0,)


def test_production_logs_are_json(production):
    _, _, instances = production
    for instance in instances:
        lines = [json.loads(line) for line in instance.logs().splitlines() if line.strip()]
        assert any(line["event"] == "request" for line in lines)


def test_sigterm_lets_the_request_in_flight_finish(production, jwks_server):
    database_url, environment, (_, survivor) = production
    leaving = Gunicorn(environment, workers=1)
    token = jwks_server.token(subject="late-shopper")
    answers = []
    try:
        with psycopg.connect(database_url) as blocker, psycopg.connect(database_url, autocommit=True) as observer:
            # Hold the mouse's row: the order below waits for it, in flight, inside gunicorn.
            blocker.execute("SELECT id FROM products_product WHERE id = 2 FOR UPDATE")
            in_flight = threading.Thread(
                target=lambda: answers.append(
                    call(
                        leaving.url,
                        "POST",
                        "/api/orders",
                        token,
                        {"customer_id": 2, "order_items": [{"product_id": 2, "quantity": 1}]},
                        BEHIND_TLS,
                    )
                )
            )
            in_flight.start()
            deadline = time.monotonic() + 10
            while not observer.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()[0]:
                assert time.monotonic() < deadline, f"the order never reached the locked row: {answers}"
                time.sleep(0.05)

            leaving.process.terminate()  # SIGTERM to the master, as an orchestrator sends it
            time.sleep(1)
            assert leaving.process.poll() is None  # still finishing its request
            blocker.commit()  # the row is free: the order goes on

        in_flight.join(timeout=30)
        assert leaving.process.wait(timeout=30) == 0
    finally:
        leaving.stop()
    [(status, order)] = answers
    assert status == 201
    assert call(survivor.url, "GET", f"/api/orders/{order['id']}", token, headers=BEHIND_TLS)[0] == 200


def test_gunicorn_without_environment_serves_production_settings_and_never_trusts_the_development_key(
    jwks_server, tmp_path
):
    """A deploy that forgot ENVIRONMENT: gunicorn runs production settings, and a development key file on the
    machine (as `.dev-keys/` would hold it) signs nothing the service accepts."""
    key_file = tmp_path / "dev-key.pem"
    with migrated_database("sqlite", tmp_path) as database_url:
        development = service_environment(database_url, jwks_server.url, JWT_DEV_KEY_FILE=str(key_file))
        development_token = subprocess.run(
            [sys.executable, "manage.py", "devtoken", "--role", "Admin"],
            cwd=PROJECT_ROOT,
            env=development,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()
        deployed = {**development, "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "127.0.0.1"}
        del deployed["ENVIRONMENT"]
        instance = Gunicorn(deployed, workers=1)
        try:
            _, headers, _ = get(instance.url, "/api/products", BEHIND_TLS)
            assert headers["Strict-Transport-Security"].startswith("max-age=")  # production's headers
            assert get(instance.url, "/metrics", BEHIND_TLS)[0] == 404
            assert call(instance.url, "GET", "/api/products", development_token, headers=BEHIND_TLS)[0] == 401
            assert call(instance.url, "GET", "/api/products", jwks_server.token(), headers=BEHIND_TLS)[0] == 200
        finally:
            instance.stop()
