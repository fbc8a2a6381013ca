"""Every error under /api/ is application/problem+json (RFC 9457), whoever raises it. What every resource's
routes refuse alike (401, 404, 405, a body that is no JSON object) is in test_resources.py."""

import logging
import sqlite3

import psycopg
import pytest
from django.db import DataError, InterfaceError, OperationalError, connection
from django.test import override_settings

from customers.models import Customer
from orderservice.testing.api import assert_problem

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("debug", [False, True])
def test_an_unknown_api_route_is_a_404_problem_in_debug_too(api_client, debug):
    with override_settings(DEBUG=debug):
        response = api_client.get("/api/invoices")
    assert_problem(response, 404, "Nothing is found at this URL")


def test_pages_outside_the_api_keep_djangos_404(api_client):
    response = api_client.get("/nowhere")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@override_settings(MAX_REQUEST_BODY_BYTES=1000)
def test_a_body_over_the_limit_is_a_413_problem_and_is_not_read(api_client):
    body = '{"first_name": "' + "A" * 2000 + '", "last_name": "B", "email": "big@example.com"}'
    response = api_client.post("/api/customers", body, content_type="application/json")
    assert_problem(response, 413, "The request body is larger than 1000 bytes")
    assert not Customer.objects.exists()


def test_validation_errors_name_each_field_with_dotted_paths(api_client):
    response = api_client.post("/api/orders", {"customer_id": "x", "order_items": [{"product_id": 1}]}, format="json")
    assert_problem(
        response,
        400,
        "customer_id: A valid integer is required.; order_items.0.quantity: This field is required.",
        {"customer_id": ["A valid integer is required."], "order_items.0.quantity": ["This field is required."]},
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("debug", [False, True])
def test_an_unexpected_fault_is_a_500_problem_without_internals_and_is_logged(api_client, caplog, debug):
    with connection.cursor() as cursor:  # a real fault: the table the view reads is gone
        cursor.execute('ALTER TABLE "customers_customer" RENAME TO "customers_customer_away"')
    try:
        api_client.raise_request_exception = False
        with override_settings(DEBUG=debug):
            response = api_client.get("/api/customers")
    finally:
        with connection.cursor() as cursor:
            cursor.execute('ALTER TABLE "customers_customer_away" RENAME TO "customers_customer"')
    assert_problem(response, 500, "The server could not answer this request; the fault is logged")
    assert "customers_customer" not in response.content.decode()
    assert "Traceback" in caplog.text or any(record.exc_info for record in caplog.records)


def failing_list(monkeypatch, error: Exception, cause: Exception) -> None:
    """GET /api/customers raises `error`, as Django raises a driver's `cause`."""
    from customers.views import CustomerViewSet

    def list_(*args, **kwargs):
        raise error from cause

    monkeypatch.setattr(CustomerViewSet, "list", list_)


def sqlite_error(message: str, code: int) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code
    return error


UNREACHABLE = {
    "postgres refused": psycopg.OperationalError(
        'connection failed: connection to server at "127.0.0.1", port 5432 '
        "failed: Connection refused\n\tIs the server running?"
    ),
    "postgres reset": psycopg.OperationalError("consuming input failed: server closed the connection unexpectedly"),
    "postgres timed out": psycopg.errors.ConnectionTimeout("connection timeout expired"),
    "postgres shutting down": psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
    "sqlite locked": sqlite_error("database is locked", sqlite3.SQLITE_BUSY),
}


@pytest.mark.parametrize("cause", UNREACHABLE.values(), ids=UNREACHABLE)
def test_an_unreachable_database_is_a_503_problem_with_retry_after_logged_as_one_warning(
    api_client, monkeypatch, caplog, cause
):
    failing_list(monkeypatch, OperationalError(str(cause)), cause)

    response = api_client.get("/api/customers")

    assert_problem(response, 503, "The database cannot be reached right now; retry later")
    assert response["Retry-After"] == "5"
    records = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert [(record.name, record.levelname) for record in records] == [("orderservice.errors", "WARNING")]
    assert records[0].getMessage().startswith("database unavailable on GET /api/customers: OperationalError: ")
    assert "\n" not in records[0].getMessage() and records[0].exc_info is None


def test_a_lost_connection_reported_as_an_interface_error_is_a_503_too(api_client, monkeypatch):
    cause = psycopg.InterfaceError("cannot execute operations: the connection is in status 2")
    failing_list(monkeypatch, InterfaceError(str(cause)), cause)
    assert_problem(api_client.get("/api/customers"), 503, "The database cannot be reached right now; retry later")


FAULTS = {
    "postgres statement cancelled": (OperationalError, psycopg.errors.QueryCanceled("canceling statement")),
    "sqlite no such table": (OperationalError, sqlite_error("no such table: customers", sqlite3.SQLITE_ERROR)),
    "psycopg misuse": (InterfaceError, psycopg.InterfaceError("the cursor is closed")),
}


@pytest.mark.parametrize(("error_class", "cause"), FAULTS.values(), ids=FAULTS)
def test_other_database_errors_stay_500_faults_logged_with_their_traceback(
    api_client, monkeypatch, caplog, error_class, cause
):
    failing_list(monkeypatch, error_class(str(cause)), cause)

    response = api_client.get("/api/customers")

    assert_problem(response, 500, "The server could not answer this request; the fault is logged")
    assert "Retry-After" not in response
    assert any(record.exc_info for record in caplog.records if record.name == "orderservice.errors")


def test_a_value_the_database_cannot_store_is_a_400_problem_logged_as_one_warning(api_client, monkeypatch, caplog):
    cause = psycopg.errors.NumericValueOutOfRange("numeric field overflow\nDETAIL: A field with precision 10, scale 2")
    failing_list(monkeypatch, DataError(str(cause)), cause)

    response = api_client.get("/api/customers")

    assert_problem(response, 400, "A value is too long or out of the range the database can store")
    records = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert [(record.name, record.levelname) for record in records] == [("orderservice.errors", "WARNING")]
    assert records[0].getMessage() == (
        "value refused by the database on GET /api/customers: numeric field overflow "
        "DETAIL: A field with precision 10, scale 2"
    )
    assert records[0].exc_info is None
