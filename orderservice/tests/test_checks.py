"""The system checks (orderservice/checks.py): an untested Django release, or a serializer the read path cannot write,
fails `manage.py check` and gunicorn's start rather than a request."""

import subprocess
import sys

import django
import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from rest_framework import serializers

from orders.models import Order
from orderservice.testing.live_service import PROJECT_ROOT, free_port, get, service_environment

UNTESTED_DJANGO = (5, 1, 99, "final", 0)


def check_output() -> str:
    """What `manage.py check` stops with ("" when it passes)."""
    try:
        call_command("check", stdout=None)
    except SystemCheckError as failure:
        return str(failure)
    return ""


def test_the_tested_django_release_and_the_apis_serializers_pass_check():
    assert check_output() == ""


def test_a_django_release_outside_the_tested_series_fails_check_with_one_line_naming_the_setting(monkeypatch):
    monkeypatch.setattr(django, "VERSION", UNTESTED_DJANGO)

    [line] = [line for line in check_output().splitlines() if "orderservice.E001" in line]
    assert "Django 5.1.99 is not the tested release series 5.2.x" in line
    assert "set ALLOW_UNTESTED_DJANGO=true to run it anyway" in line


def test_allow_untested_django_runs_another_release(monkeypatch, settings):
    monkeypatch.setattr(django, "VERSION", UNTESTED_DJANGO)
    settings.ALLOW_UNTESTED_DJANGO = True

    assert check_output() == ""


def test_a_serializer_field_the_read_path_cannot_write_fails_check_naming_the_views(monkeypatch):
    from orders.views import OrderListing

    class WithAUrl(serializers.ModelSerializer):
        link = serializers.URLField(source="order_number")

        class Meta:
            model = Order
            fields = ["id", "link"]

    monkeypatch.setattr(OrderListing, "serializer_class", WithAUrl)

    failures = [line for line in check_output().splitlines() if "orderservice.E002" in line]
    assert len(failures) == 2  # GET /api/orders and GET /api/customers/{id}/orders
    assert "orders.views.OrderViewSet answers with WithAUrl" in failures[1]
    assert "orders.views.CustomerOrderList answers with WithAUrl" in failures[0]
    assert all("does not know how DRF writes URLField (link)" in line for line in failures)


def test_every_serializer_class_the_api_reads_with_is_checked_staffs_and_customers_own():
    from customers.serializers import CustomerSerializer, OwnCustomerSerializer
    from orders.serializers import OrderSerializer, OrderWithCustomerNameSerializer
    from orderservice.checks import api_serializer_classes
    from products.serializers import ProductReplaceSerializer, ProductSerializer

    assert {serializer_class for _, serializer_class in api_serializer_classes()} == {
        CustomerSerializer,
        OwnCustomerSerializer,
        OrderSerializer,
        OrderWithCustomerNameSerializer,  # orders:read without customers:read
        ProductSerializer,
        ProductReplaceSerializer,  # PUT's answer
    }


# gunicorn started as production starts it, with Django's version replaced before it loads anything.
GUNICORN_WITH_UNTESTED_DJANGO = f"""
import sys
import django
django.VERSION = {UNTESTED_DJANGO!r}
from gunicorn.app.wsgiapp import run
sys.argv = ["gunicorn", "-c", "gunicorn.conf.py", "orderservice.wsgi:application"]
run()
"""


@pytest.mark.live
def test_gunicorn_runs_the_checks_before_a_worker_serves(jwks_server, tmp_path):
    port = free_port()
    environment = {
        **service_environment(f"sqlite:///{tmp_path / 'service.db'}", jwks_server.url),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    stopped = subprocess.run(
        [sys.executable, "-c", GUNICORN_WITH_UNTESTED_DJANGO],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert stopped.returncode == 3, stopped.stderr[-2000:]  # gunicorn's "worker failed to boot"
    [line] = [line for line in stopped.stderr.splitlines() if "system check failed" in line]
    assert "orderservice.E001" in line and "ALLOW_UNTESTED_DJANGO=true" in line
    assert "Reason: Worker failed to boot." in stopped.stderr

    allowed = subprocess.Popen(
        [sys.executable, "-c", GUNICORN_WITH_UNTESTED_DJANGO],
        cwd=PROJECT_ROOT,
        env={**environment, "ALLOW_UNTESTED_DJANGO": "true"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert _health_within(f"http://127.0.0.1:{port}", seconds=30) == 200
    finally:
        allowed.terminate()
        allowed.wait(timeout=30)


def _health_within(base_url: str, seconds: float) -> int | None:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            return get(base_url, "/health")[0]
        except OSError:
            time.sleep(0.2)
    return None
