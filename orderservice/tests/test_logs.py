"""Logs: one structured line per request and per business event, the request id echoed, no secrets.

The service runs as deployed (gunicorn, two workers, JSON logs); the tests read what it wrote."""

import json
import logging
import re
import time

import pytest

from orderservice.observability.middleware import MAX_REQUEST_ID_LENGTH
from orderservice.testing.jwks import SigningKey
from orderservice.testing.live_service import Gunicorn, call, get, migrated_database, service_environment

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


@pytest.mark.django_db
@pytest.mark.parametrize("sent", ["checkout-7f3a", "x" * MAX_REQUEST_ID_LENGTH])
def test_a_usable_request_id_is_echoed(anonymous_client, sent):
    assert anonymous_client.get("/health", HTTP_X_REQUEST_ID=sent)["X-Request-ID"] == sent


@pytest.mark.django_db
@pytest.mark.parametrize("sent", [None, "", "x" * (MAX_REQUEST_ID_LENGTH + 1), "two\nlines", "caf\u00e9"])
def test_a_missing_or_unusable_request_id_is_replaced_by_a_new_one(anonymous_client, sent):
    headers = {} if sent is None else {"HTTP_X_REQUEST_ID": sent}
    first = anonymous_client.get("/health", **headers)["X-Request-ID"]
    second = anonymous_client.get("/health", **headers)["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/products", "/health", "/admin/login/"])
def test_a_disallowed_host_is_a_400_logged_as_one_warning_line_without_a_traceback(
    anonymous_client, settings, caplog, path
):
    settings.ALLOWED_HOSTS = ["orders.example.com"]
    with caplog.at_level(logging.INFO):
        response = anonymous_client.get(path, HTTP_HOST="scanner.example")
    assert response.status_code == 400
    logged = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert [(record.name, record.levelname, record.exc_info) for record in logged] == [
        ("django.security.DisallowedHost", "WARNING", None)
    ]
    assert logged[0].getMessage() == (
        "Invalid HTTP_HOST header: 'scanner.example'. You may need to add 'scanner.example' to ALLOWED_HOSTS."
    )


@pytest.fixture(scope="module")
def logging_service(jwks_server, tmp_path_factory):
    """The service with JSON logs at INFO, as production writes them, on a database of its own."""
    with migrated_database("sqlite", tmp_path_factory.mktemp("logs"), seeded=True) as database_url:
        service = Gunicorn(
            service_environment(database_url, jwks_server.url, LOG_FORMAT="json", LOG_LEVEL="INFO"), workers=2
        )
        yield service
        service.stop()


def log_lines(service: Gunicorn, **wanted) -> list[dict]:
    """Every line the service wrote is a JSON object; those whose fields have the wanted values."""
    lines = [json.loads(line) for line in service.logs().splitlines() if line.strip()]
    return [line for line in lines if all(line.get(name) == value for name, value in wanted.items())]


@pytest.mark.live
def test_every_request_is_one_json_line_with_its_id_status_duration_and_caller(logging_service, jwks_server):
    token = jwks_server.token(subject="clerk-17")
    status, headers, _ = get(
        logging_service.url, "/api/products/1", {"Authorization": f"Bearer {token}", "X-Request-ID": "trace-products-1"}
    )
    assert (status, headers["X-Request-ID"]) == (200, "trace-products-1")
    status, headers, _ = get(logging_service.url, "/api/products/1")
    assert status == 401

    time.sleep(0.2)  # the line is written after the response is sent
    [line] = log_lines(logging_service, event="request", request_id="trace-products-1")
    assert line["method"] == "GET" and line["path"] == "/api/products/1" and line["status"] == 200
    assert line["subject"] == "clerk-17"
    assert isinstance(line["duration_ms"], float) and 0 < line["duration_ms"] < 10_000
    assert line["level"] == "info" and line["timestamp"].endswith("Z")
    [anonymous] = log_lines(logging_service, event="request", request_id=headers["X-Request-ID"])
    assert (anonymous["status"], anonymous["subject"]) == (401, None)


@pytest.mark.live
def test_an_order_is_logged_as_business_events_with_its_request_id(logging_service, jwks_server):
    token = jwks_server.token(subject="shop-4")
    status, order = call(
        logging_service.url,
        "POST",
        "/api/orders",
        token,
        {"customer_id": 1, "order_items": [{"product_id": 2, "quantity": 3}]},
        headers={"X-Request-ID": "trace-order"},
    )
    assert status == 201
    status, _ = call(
        logging_service.url,
        "PUT",
        f"/api/orders/{order['id']}/status",
        token,
        {"status": "Cancelled"},
        headers={"X-Request-ID": "trace-cancel"},
    )
    assert status == 200

    time.sleep(0.2)
    [created] = log_lines(logging_service, event="order.created", request_id="trace-order")
    assert created["order_id"] == order["id"] and created["order_number"] == order["order_number"]
    assert created["total_amount"] == order["total_amount"] and created["subject"] == "shop-4"
    [taken] = log_lines(logging_service, event="product.stock_changed", request_id="trace-order")
    assert (taken["product_id"], taken["change"], taken["order_id"]) == (2, -3, order["id"])
    [cancelled] = log_lines(logging_service, event="order.status_changed", request_id="trace-cancel")
    assert (cancelled["from_status"], cancelled["to_status"]) == ("Pending", "Cancelled")
    [returned] = log_lines(logging_service, event="product.stock_changed", request_id="trace-cancel")
    assert (returned["change"], returned["reason"]) == (3, "order.cancelled")


@pytest.mark.live
def test_the_logs_hold_no_token_and_no_email_address(logging_service, jwks_server):
    token = jwks_server.token(subject="auditor")
    expired = jwks_server.token(subject="auditor", exp=int(time.time()) - 3600)
    foreign = SigningKey(kid=jwks_server.keys[0].kid).sign({"sub": "mallory", "aud": "shala", "iss": "shala"})
    status, customer = call(
        logging_service.url,
        "POST",
        "/api/customers",
        token,
        {"first_name": "Ada", "last_name": "Lovelace", "email": "ada.lovelace@example.org"},
    )
    assert status == 201
    assert (
        call(
            logging_service.url, "PATCH", f"/api/customers/{customer['id']}", token, {"email": "countess@example.org"}
        )[0]
        == 200
    )
    assert call(logging_service.url, "GET", "/api/customers?email=countess@example.org", token)[0] == 200
    assert (
        call(
            logging_service.url,
            "POST",
            "/api/customers",
            token,  # refused: the email is taken
            {"first_name": "A", "last_name": "L", "email": "countess@example.org"},
        )[0]
        == 400
    )
    for refused in (expired, foreign, "not-a-jwt", token + "x"):
        assert call(logging_service.url, "GET", "/api/orders", refused)[0] == 401
    assert call(logging_service.url, "DELETE", f"/api/customers/{customer['id']}", token)[0] == 204

    time.sleep(0.2)
    logs = logging_service.logs()
    assert log_lines(logging_service, event="customer.updated", customer_id=customer["id"])
    assert len(log_lines(logging_service, logger="orderservice.auth")) >= 4  # the refusals, with their reasons
    assert EMAIL.findall(logs) == []
    for secret in (token, expired, foreign):
        for part in secret.split("."):
            assert part not in logs
    assert "eyJ" not in logs  # the start of any JWT header or payload


@pytest.mark.live
def test_log_sql_logs_every_statement_with_debug_off(jwks_server, tmp_path, logging_service):
    with migrated_database("sqlite", tmp_path) as database_url:
        service = Gunicorn(
            service_environment(database_url, jwks_server.url, LOG_FORMAT="json", LOG_SQL="true"), workers=1
        )
        try:
            assert call(service.url, "GET", "/api/products", jwks_server.token())[0] == 200
            time.sleep(0.2)
            statements = [line["event"] for line in log_lines(service, logger="django.db.backends")]
        finally:
            service.stop()
    assert any("SELECT" in statement and "products_product" in statement for statement in statements)
    assert not log_lines(logging_service, logger="django.db.backends")  # without LOG_SQL, none
