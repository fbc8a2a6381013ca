"""/metrics: request and order counters that add up over every gunicorn worker; not public in production
unless configured."""

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.test import override_settings

from orderservice.testing.live_service import Gunicorn, call, get, manage, migrated_database, service_environment


def sample(exposition: str, name: str, **labels) -> float:
    """The value of one sample in Prometheus' text format (labels are written in sorted order)."""
    label_text = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    match = re.search(rf"^{re.escape(name)}\{{{re.escape(label_text)}\}} (\S+)$", exposition, re.MULTILINE)
    assert match, f"no sample {name}{{{label_text}}}"
    return float(match.group(1))


@pytest.mark.django_db
def test_metrics_are_open_in_development(anonymous_client):
    anonymous_client.get("/health")
    response = anonymous_client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert (
        sample(
            response.content.decode(),
            "orderservice_http_request_duration_seconds_count",
            method="GET",
            status="200",
            view="health",
        )
        >= 1
    )


@pytest.mark.django_db
@override_settings(METRICS_TOKEN="", METRICS_ALLOW_PUBLIC=False)
def test_metrics_are_not_found_where_neither_public_nor_given_a_token(anonymous_client):
    response = anonymous_client.get("/metrics")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.django_db
@override_settings(METRICS_TOKEN="scrape-secret-1", METRICS_ALLOW_PUBLIC=True)
@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "scrape-secret-1", "Bearer scrape-secret-12"])
def test_with_a_token_the_metrics_answer_only_that_token(anonymous_client, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = anonymous_client.get("/metrics", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert anonymous_client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret-1").status_code == 200


def test_management_commands_run_before_gunicorn_has_made_the_metrics_directory(tmp_path):
    """A deployment sets PROMETHEUS_MULTIPROC_DIR for every process; gunicorn makes the directory at start, but
    `migrate` and `loaddata seed` run first (loading the seed counts its stock movements)."""
    metrics_dir = tmp_path / "not-made-yet" / "metrics"
    environment = service_environment(
        f"sqlite:///{tmp_path / 'service.db'}",
        "http://127.0.0.1:9/jwks.json",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    manage(environment, "migrate", "--noinput")
    manage(environment, "loaddata", "seed")  # exits non-zero (and raises here) if a counter cannot be written
    assert "Installed" in manage(environment, "loaddata", "seed")


@pytest.mark.live
def test_request_and_order_counters_add_up_over_two_workers(jwks_server, tmp_path):
    with migrated_database("sqlite", tmp_path, seeded=True) as database_url:
        service = Gunicorn(service_environment(database_url, jwks_server.url), workers=2)
        try:
            token = jwks_server.token()
            order = {"customer_id": 1, "order_items": [{"product_id": 2, "quantity": 1}]}
            with ThreadPoolExecutor(8) as pool:
                reads = list(pool.map(lambda _: call(service.url, "GET", "/api/products", token)[0], range(40)))
                orders = list(pool.map(lambda _: call(service.url, "POST", "/api/orders", token, order)[0], range(12)))
            assert set(reads) == {200} and set(orders) == {201}
            assert len(service.requests_per_worker("product-list")) == 2
            assert all(service.requests_per_worker("product-list"))  # both workers answered some

            for _ in range(4):  # whichever worker answers the scrape counts for both
                status, _, exposition = get(service.url, "/metrics")
                assert status == 200
                assert (
                    sample(
                        exposition,
                        "orderservice_http_request_duration_seconds_count",
                        method="GET",
                        status="200",
                        view="product-list",
                    )
                    == 40
                )
                assert (
                    sample(
                        exposition,
                        "orderservice_http_request_duration_seconds_count",
                        method="POST",
                        status="201",
                        view="order-list",
                    )
                    == 12
                )
                assert sample(exposition, "orderservice_business_events_total", event="order.created") == 12
        finally:
            service.stop()


def test_the_counters_import_nothing_of_the_web_layer():
    """The domain counts (stock movements, business events), and DRF's settings import our permission class,
    which counts refusals: were the counters to import DRF or the API package, the import order would matter."""
    imported = subprocess.run(
        [sys.executable, "-c", "import sys, orderservice.observability.metrics; print(*sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout.split()
    assert not [name for name in imported if name.startswith(("rest_framework", "orderservice.api", "django"))]
