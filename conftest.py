"""Fixtures every test can use: a real JWKS server on loopback, API clients with or without a token, the
business events a test caused, and a headless browser."""

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from orderservice.testing.jwks import AUDIENCE, ISSUER, JWKSServer


@pytest.fixture(scope="session")
def jwks_server():
    server = JWKSServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session", autouse=True)
def _tokens_verified_by_jwks_server(jwks_server):
    """The service verifies every token against the loopback JWKS server, exactly as in production."""
    jwt_settings = {**settings.SIMPLE_JWT, "JWK_URL": jwks_server.url, "AUDIENCE": AUDIENCE, "ISSUER": ISSUER}
    with override_settings(SIMPLE_JWT=jwt_settings):
        yield


@pytest.fixture
def anonymous_client():
    return APIClient()


@pytest.fixture
def api_client(jwks_server):
    """A client whose token carries the role Admin: staff who may do everything the API offers."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {jwks_server.token(roles=['Admin'])}")
    return client


@pytest.fixture
def logged_events(monkeypatch):
    """A function returning the business events logged so far, as [{"event": name, **fields}], whatever the
    log output looks like. Like the log lines, they count once their transaction commits, which a test's own
    transaction never does: see `committed`."""
    from orderservice.events import outbox as events

    logged = []
    emit = events._emit  # the one function every business event goes through once its transaction commits

    def emit_and_record(event: str, fields: dict) -> None:
        emit(event, fields)
        logged.append({"event": event, **fields})

    monkeypatch.setattr(events, "_emit", emit_and_record)
    return lambda: list(logged)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed(): …` runs, at the end of the block, what its transactions left for their commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


CHROMIUM = "/usr/bin/chromium"
# Without these, Chromium reaches for Google's services at start, which this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium, headless, driven by Playwright (scripts/test.sh installs chromium when missing)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
