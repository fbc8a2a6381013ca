"""Every error under /api/ is application/problem+json (RFC 9457), whoever raises it."""
import pytest
from django.db import connection
from django.test import override_settings

from customers.models import Customer

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def assert_problem(response, status, title, detail=None):
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    assert (body["type"], body["title"], body["status"], body["instance"]) == (
        "about:blank", title, status, response.wsgi_request.path)
    assert isinstance(body["detail"], str) and body["detail"]
    if detail is not None:
        assert body["detail"] == detail
    return body


@pytest.mark.parametrize("debug", [False, True])
def test_an_unknown_api_route_is_a_404_problem_in_debug_too(api_client, debug):
    with override_settings(DEBUG=debug):
        response = api_client.get("/api/invoices")
    assert_problem(response, 404, "Not Found", "Nothing is found at this URL")


def test_pages_outside_the_api_keep_djangos_404(api_client):
    response = api_client.get("/nowhere")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_wrong_method_is_a_405_problem(api_client):
    response = api_client.delete("/api/customers")
    assert_problem(response, 405, "Method Not Allowed", 'Method "DELETE" not allowed.')
    assert response["Allow"]


def test_malformed_json_is_a_400_problem_and_changes_nothing(api_client):
    response = api_client.post("/api/customers", '{"first_name": "Ann",', content_type="application/json")
    body = assert_problem(response, 400, "Bad Request")
    assert body["detail"].startswith("JSON parse error")
    assert not Customer.objects.exists()


def test_a_wrong_content_type_is_a_415_problem(api_client):
    response = api_client.post("/api/customers", "first_name=Ann", content_type="application/x-www-form-urlencoded")
    assert_problem(response, 415, "Unsupported Media Type",
                   'Unsupported media type "application/x-www-form-urlencoded" in request.')
    assert not Customer.objects.exists()


@override_settings(MAX_REQUEST_BODY_BYTES=1000)
def test_a_body_over_the_limit_is_a_413_problem_and_is_not_read(api_client):
    body = '{"first_name": "' + "A" * 2000 + '", "last_name": "B", "email": "big@example.com"}'
    response = api_client.post("/api/customers", body, content_type="application/json")
    assert_problem(response, 413, "Content Too Large", "The request body is larger than 1000 bytes")
    assert not Customer.objects.exists()


def test_validation_errors_name_each_field_with_dotted_paths(api_client):
    response = api_client.post("/api/orders", {"customer_id": "x", "order_items": [{"product_id": 1}]}, format="json")
    body = assert_problem(response, 400, "Bad Request")
    assert body["errors"] == {"customer_id": ["A valid integer is required."],
                              "order_items.0.quantity": ["This field is required."]}
    assert body["detail"] == ("customer_id: A valid integer is required.; "
                              "order_items.0.quantity: This field is required.")


def test_a_rule_violation_reads_as_its_message(api_client):
    body = assert_problem(api_client.delete("/api/customers/0"), 404, "Not Found", "Customer not found")
    assert "errors" not in body


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
    body = assert_problem(response, 500, "Internal Server Error",
                          "The server could not answer this request; the fault is logged")
    assert "customers_customer" not in response.content.decode()
    assert "Traceback" in caplog.text or any(record.exc_info for record in caplog.records)
    assert body["instance"] == "/api/customers"
