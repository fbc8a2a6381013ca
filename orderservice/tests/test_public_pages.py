"""Health, the OpenAPI schema and its documentation pages."""
from datetime import datetime, timedelta, timezone

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_health_says_healthy_with_a_utc_timestamp(anonymous_client):
    response = anonymous_client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    timestamp = datetime.fromisoformat(body["timestamp"])
    assert timestamp.utcoffset() == timedelta(0)
    assert abs(datetime.now(timezone.utc) - timestamp) < timedelta(minutes=1)


def test_openapi_json_is_json_and_documents_every_operation_once(anonymous_client):
    response = anonymous_client.get("/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    schema = response.json()
    operations = {(path, method) for path, methods in schema["paths"].items() for method in methods}
    assert operations == {
        ("/api/customers", "get"), ("/api/customers", "post"),
        ("/api/customers/{id}", "get"), ("/api/customers/{id}", "put"), ("/api/customers/{id}", "patch"),
        ("/api/customers/{id}", "delete"),
        ("/api/products", "get"), ("/api/products", "post"),
        ("/api/products/{id}", "get"), ("/api/products/{id}", "put"), ("/api/products/{id}", "patch"),
        ("/api/products/{id}", "delete"),
        ("/api/orders", "get"), ("/api/orders", "post"),
        ("/api/orders/{id}", "get"), ("/api/orders/{id}", "put"), ("/api/orders/{id}", "patch"),
        ("/api/orders/{id}", "delete"), ("/api/orders/{id}/status", "put"),
        ("/api/customers/{customer_id}/orders", "get"),
    }
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


def test_order_creation_is_documented_with_its_input_shape(anonymous_client):
    schema = anonymous_client.get("/openapi.json").json()
    request_ref = schema["paths"]["/api/orders"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    order_create = schema["components"]["schemas"][request_ref["$ref"].rsplit("/", 1)[1]]
    assert set(order_create["properties"]) == {"customer_id", "order_items", "notes", "shipping_address"}
    assert set(order_create["required"]) == {"customer_id", "order_items"}


def test_the_schema_validates_without_warnings():
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_use_our_own_static_files(anonymous_client, path):
    response = anonymous_client.get(path)
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in page
    assert "cdn.jsdelivr" not in page and "unpkg.com" not in page
