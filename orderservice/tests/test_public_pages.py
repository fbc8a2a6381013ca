"""Health, the OpenAPI schema and its documentation pages."""

from datetime import UTC, datetime, timedelta

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
    assert abs(datetime.now(UTC) - timestamp) < timedelta(minutes=1)


def test_openapi_json_is_json_and_documents_every_operation_once(anonymous_client):
    response = anonymous_client.get("/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    schema = response.json()
    operations = {(path, method) for path, methods in schema["paths"].items() for method in methods}
    assert operations == {
        ("/api/customers", "get"),
        ("/api/customers", "post"),
        ("/api/customers/{id}", "get"),
        ("/api/customers/{id}", "put"),
        ("/api/customers/{id}", "patch"),
        ("/api/customers/{id}", "delete"),
        ("/api/products", "get"),
        ("/api/products", "post"),
        ("/api/products/{id}", "get"),
        ("/api/products/{id}", "put"),
        ("/api/products/{id}", "patch"),
        ("/api/products/{id}", "delete"),
        ("/api/products/{id}/stock-adjustments", "post"),
        ("/api/products/{id}/stock-movements", "get"),
        ("/api/orders", "get"),
        ("/api/orders", "post"),
        ("/api/orders/{id}", "get"),
        ("/api/orders/{id}", "put"),
        ("/api/orders/{id}", "patch"),
        ("/api/orders/{id}", "delete"),
        ("/api/orders/{id}/status", "put"),
        ("/api/customers/{customer_id}/orders", "get"),
        ("/api/customers/me", "get"),
    }
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }


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


@pytest.fixture
def schema(anonymous_client):
    return anonymous_client.get("/openapi.json").json()


def parameter_names(operation) -> set[str]:
    return {parameter["name"] for parameter in operation.get("parameters", [])}


def test_every_filter_and_ordering_is_documented(schema):
    paging = {"cursor", "limit", "ordering", "search"}
    assert parameter_names(schema["paths"]["/api/customers"]["get"]) == paging | {"email"}
    assert parameter_names(schema["paths"]["/api/products"]["get"]) == paging | {
        "category",
        "is_active",
        "sku",
        "min_price",
        "max_price",
        "in_stock",
    }
    assert parameter_names(schema["paths"]["/api/orders"]["get"]) == paging | {
        "customer_id",
        "status",
        "order_date_after",
        "order_date_before",
    }


def test_errors_are_documented_as_problem_documents(schema):
    post = schema["paths"]["/api/orders"]["post"]["responses"]
    assert set(post) == {"201", "400", "401", "403", "413", "415", "422", "429", "503"}
    assert list(post["400"]["content"]) == ["application/problem+json"]
    assert set(schema["paths"]["/api/products/{id}"]["get"]["responses"]) == {
        "200",
        "304",
        "401",
        "404",
        "429",
        "503",
    }  # 304: If-None-Match (orderservice.api.conditional)
    assert "400" in schema["paths"]["/api/customers/{id}"]["delete"]["responses"]
    assert schema["components"]["schemas"]["Problem"]["required"] == ["type", "title", "status", "detail", "instance"]


def test_pagination_and_creation_headers_are_documented(schema):
    assert "Link" in schema["paths"]["/api/orders"]["get"]["responses"]["200"]["headers"]
    assert {"Location", "Idempotent-Replayed"} <= set(
        schema["paths"]["/api/orders"]["post"]["responses"]["201"]["headers"]
    )
    assert "Idempotency-Key" in parameter_names(schema["paths"]["/api/orders"]["post"])
    examples = schema["paths"]["/api/orders"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    assert len(examples) == 2
