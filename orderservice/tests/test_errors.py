"""Every error under /api/ is application/problem+json (RFC 9457), whoever raises it. What every resource's
routes refuse alike (401, 404, 405, a body that is no JSON object) is in test_resources.py."""
import pytest
from django.db import connection
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
    assert_problem(response, 400, "customer_id: A valid integer is required.; "
                                  "order_items.0.quantity: This field is required.",
                   {"customer_id": ["A valid integer is required."],
                    "order_items.0.quantity": ["This field is required."]})


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
