"""Fixtures every test can use: a real JWKS server on loopback, API clients with or without a token, the
business events a test caused, and a headless browser. Also what every test runs under: settings that make it
faster, the check that a test starting a slow tier's service carries that tier's marker
(orderservice/testing/tiers.py), and the live services' template databases (orderservice/testing/live_service.py),
dropped at the end."""

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from orderservice.testing import live_service, tiers
from orderservice.testing.jwks import AUDIENCE, ISSUER, JWKSServer


def pytest_collection_modifyitems(items):
    """The files with slow-tier tests first, each file's tests kept together: on two workers (-n 2), a long file
    picked up last would keep one worker busy while the other has nothing left to do."""
    slow_files = {item.path for item in items if tiers.SLOW & {marker.name for marker in item.iter_markers()}}
    items.sort(key=lambda item: item.path not in slow_files)  # stable: otherwise in the order collected


def pytest_runtest_setup(item):
    tiers.current_markers = {marker.name for marker in item.iter_markers()}


# Settings that only make the tests faster.
FAST_SETTINGS = {
    # PBKDF2's million rounds made each test that creates a staff user cost most of a second. The test of the
    # real hasher asks for `real_password_hashers`; the service in its own processes (`live`) keeps its own.
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    # Each test's client loads the middleware anew, and WhiteNoise's indexed every static file (~170) each time:
    # a static file is looked up when asked for instead, as under `runserver`.
    "WHITENOISE_AUTOREFRESH": True,
}


@pytest.fixture(scope="session", autouse=True)
def _fast_settings():
    """FAST_SETTINGS for the whole session; yields the service's own password hashers, which they replace."""
    service_password_hashers = settings.PASSWORD_HASHERS
    with override_settings(**FAST_SETTINGS):
        yield service_password_hashers


@pytest.fixture
def real_password_hashers(_fast_settings):
    """The service's own password hashers (Django's: PBKDF2 at 1,000,000 rounds first), for the test of them."""
    with override_settings(PASSWORD_HASHERS=_fast_settings):
        yield


@pytest.fixture(scope="session", autouse=True)
def _live_template_databases():
    """The migrated databases the live services' databases are copied from, made on first use: dropped at the
    end of the session."""
    yield
    live_service.drop_template_databases()


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


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, headless, driven by Playwright (scripts/test.sh installs chromium when missing). One per
    module: while Playwright runs, it marks its event loop as running in the test's thread, and Django refuses
    the database to the tests that follow ("You cannot call this from an async context"); stopped, it no
    longer does."""
    from playwright.sync_api import sync_playwright

    tiers.require("browser", "drives Chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
