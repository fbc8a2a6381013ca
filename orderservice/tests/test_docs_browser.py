"""The API docs, opened in headless Chromium from the service under gunicorn: they render every operation,
make no request to any other host (no CDN, no web fonts), and Swagger UI calls the API with a pasted token."""

from pathlib import Path

import pytest

from orderservice.testing.live_service import Gunicorn, migrated_database, service_environment

pytestmark = [pytest.mark.browser, pytest.mark.live]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def service(jwks_server, tmp_path_factory):
    # Migrated and seeded for "Try it out"; the docs themselves never touch it.
    with migrated_database("sqlite", tmp_path_factory.mktemp("docs"), seeded=True) as database_url:
        instance = Gunicorn(service_environment(database_url, jwks_server.url), workers=1)
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
    assert {"/api/orders", "/api/orders/{id}/status", "/api/customers/{customer_id}/orders", "/api/products/{id}"} <= {
        text.strip().replace("\u200b", "") for text in operations
    }
    assert len(operations) == 23
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


def test_swagger_ui_authorize_sends_a_pasted_token_with_try_it_out(browser, service, jwks_server):
    page, _requested = open_page(browser, f"{service}/docs")
    page.click("button.authorize")
    page.locator(".modal-ux input").first.fill(jwks_server.token("swagger-user", roles=None, scope="catalog:write"))
    page.locator(".modal-ux button.authorize").click()
    page.locator(".modal-ux button.btn-done").click()
    operation = page.locator("#operations-products-products_list")
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()
    status = operation.locator(".live-responses-table tr.response .response-col_status").first
    status.wait_for(timeout=15000)
    assert status.inner_text().strip() == "200"
    assert "Wireless Mouse" in operation.locator(".live-responses-table").inner_text()
    page.close()
