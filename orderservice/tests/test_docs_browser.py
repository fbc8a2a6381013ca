"""The API docs, opened in headless Chromium from the service under gunicorn: they render every operation
and make no request to any other host (no CDN, no web fonts)."""
from pathlib import Path

import pytest

from orderservice.testing.live_service import Gunicorn, service_environment

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def service(jwks_server, tmp_path_factory):
    database = tmp_path_factory.mktemp("docs") / "unused.db"  # the docs never touch the database
    instance = Gunicorn(service_environment(f"sqlite:///{database}", jwks_server.url), workers=1)
    yield instance.url
    instance.stop()


def open_page(browser, url):
    """The page once its network is idle, and what it asked for: [(url, None if fetched else why not)]."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    requested = []
    page.on("requestfinished", lambda request: requested.append((request.url, None)))
    page.on("requestfailed", lambda request: requested.append((request.url, request.failure)))
    page.goto(url, wait_until="networkidle")
    return page, requested


def assert_only_own_requests(requested, service):
    """Nothing left the browser for another host: the only foreign URL any page names (Redocly's logo, in
    ReDoc's bundle) is stopped by the page's Content-Security-Policy before it is fetched."""
    foreign = [(url, outcome) for url, outcome in requested if not url.startswith((service, "data:", "blob:"))]
    assert all(outcome == "csp" for _url, outcome in foreign), foreign
    assert (f"{service}/openapi.json", None) in requested


def test_swagger_ui_shows_every_operation_from_our_own_files(browser, service):
    page, requested = open_page(browser, f"{service}/docs")
    page.wait_for_selector(".opblock", timeout=15000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "docs-swagger.png", full_page=True)

    operations = page.locator(".opblock-summary-path").all_inner_texts()
    assert {"/api/orders", "/api/orders/{id}/status", "/api/customers/{customer_id}/orders",
            "/api/products/{id}"} <= {text.strip().replace("\u200b", "") for text in operations}
    assert len(operations) == 21
    assert_only_own_requests(requested, service)
    page.close()


def test_redoc_shows_the_operations_from_our_own_files_without_web_fonts(browser, service):
    page, requested = open_page(browser, f"{service}/redoc")
    page.get_by_text("/api/orders/{id}/status").first.wait_for(timeout=15000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "docs-redoc.png")

    text = page.inner_text("body")
    assert "Order Service" in text and "/api/customers/{customer_id}/orders" in text
    assert_only_own_requests(requested, service)
    page.close()
