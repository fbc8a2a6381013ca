"""The admin end to end, in headless Chromium, against the service under gunicorn with DEBUG off: a staff
member logs in, adds a product, places two orders for it, ships one, cancels the other, and reads the stock
on the product's page; and repeated failed logins lock the login page. Screenshots are kept in test-artifacts/."""

from pathlib import Path

import pytest

from orderservice.testing.live_service import Gunicorn, call, live_database, manage, service_environment

pytestmark = [pytest.mark.browser, pytest.mark.live]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "a-staff-password-for-tests"


@pytest.fixture(scope="module")
def service(jwks_server, tmp_path_factory):
    """The seeded service with the superusers `admin` (who runs the shop) and `locked` (whose login the lockout
    test locks), made the way the README says, on this run's database; started once for the module."""
    with live_database(tmp_path_factory.mktemp("admin"), seeded=True) as database_url:
        environment = service_environment(database_url, jwks_server.url, DJANGO_SUPERUSER_PASSWORD=PASSWORD)
        for username in ("admin", "locked"):
            manage(
                environment,
                "createsuperuser",
                "--noinput",
                "--username",
                username,
                "--email",
                f"{username}@example.com",
            )
        instance = Gunicorn(environment, workers=2)
        try:
            yield instance.url
        finally:
            instance.stop()


@pytest.fixture
def page(browser, service):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(15000)
    page.static_failures = []
    page.on(
        "response",
        lambda response: (
            page.static_failures.append(response.url) if "/static/" in response.url and response.status != 200 else None
        ),
    )
    yield page
    page.close()


def choose(page, select_id: str, text: str) -> None:
    """Pick `text` in an autocomplete (select2) field: open it, type, click the matching result."""
    page.locator(f"#{select_id} + .select2 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(text)
    page.locator(".select2-results__option", has_text=text).first.click()


def place_order(page, service: str, lines: list[tuple[str, int]], screenshot: str | None = None) -> str:
    """Place an order for John Doe on the admin's add page; returns its order number."""
    page.goto(f"{service}/admin/orders/order/add/")
    choose(page, "id_customer", "John Doe")
    for index, (product, quantity) in enumerate(lines):
        if index:
            page.locator(".add-row a").click()
        choose(page, f"id_order_items-{index}-product", product)
        page.fill(f"#id_order_items-{index}-quantity", str(quantity))
    if screenshot:
        page.screenshot(path=ARTIFACTS / screenshot, full_page=True)
    page.click("input[name=_save]")
    return page.locator(".messagelist .success a").inner_text()


def run_action(page, service: str, order_number: str, action: str) -> str:
    """Select one order on the order list, run an action on it, and return the message it reports."""
    page.goto(f"{service}/admin/orders/order/")
    page.locator("#result_list tr", has_text=order_number).locator("input.action-select").check()
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")
    return page.locator(".messagelist li").inner_text()


def test_staff_run_the_shop_from_the_admin(page, service, jwks_server):
    page.goto(f"{service}/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.get_by_role("link", name="Orders").first.wait_for()

    page.goto(f"{service}/admin/products/product/add/")
    page.fill("#id_name", "Standing Desk")
    page.fill("#id_sku", "DESK-001")
    page.fill("#id_price", "349.00")
    page.fill("#id_category", "Furniture")
    page.fill("#id_stock_quantity", "20")
    page.click("input[name=_save]")
    assert "was added successfully" in page.locator(".messagelist .success").inner_text()

    ARTIFACTS.mkdir(exist_ok=True)
    shipped = place_order(page, service, [("Standing Desk", 3), ("Wireless Mouse", 2)], "admin-order-add.png")
    cancelled = place_order(page, service, [("Standing Desk", 5)])

    assert run_action(page, service, shipped, "mark_processing") == f"{shipped}: moved from Pending to Processing"
    assert run_action(page, service, shipped, "mark_shipped") == f"{shipped}: moved from Processing to Shipped"
    assert run_action(page, service, cancelled, "cancel") == (
        f"{cancelled}: moved from Pending to Cancelled; its stock is returned"
    )
    assert run_action(page, service, shipped, "cancel") == (
        f"{shipped}: refused: Cannot change status from Shipped to Cancelled; allowed: Delivered"
    )
    page.screenshot(path=ARTIFACTS / "admin-orders.png", full_page=True)

    page.get_by_role("link", name=shipped).click()
    assert page.locator("#id_status").input_value() == "Shipped"
    lines = [
        [
            row.locator(f"td.field-{field}").inner_text()
            for field in ("product", "quantity", "unit_price", "total_price")
        ]
        for row in page.locator(".inline-related tbody tr.has_original").all()
    ]
    assert lines == [
        ["Standing Desk (DESK-001)", "3", "349.00", "1047.00"],
        ["Wireless Mouse (MOUSE-001)", "2", "29.99", "59.98"],
    ]
    assert page.locator(".field-total_amount .readonly").inner_text() == "1195.54"  # 1106.98 + 8% tax, no shipping
    page.screenshot(path=ARTIFACTS / "admin-order-page.png", full_page=True)

    page.goto(f"{service}/admin/products/product/?q=DESK-001")
    page.get_by_role("link", name="Standing Desk").click()
    assert page.locator(".field-stock_quantity .readonly").inner_text() == "17"  # 20 - 3 shipped
    page.screenshot(path=ARTIFACTS / "admin-product-stock.png", full_page=True)
    page.goto(f"{service}/admin/products/product/?q=MOUSE-001")
    assert page.locator("#result_list td.field-stock_quantity").inner_text() == "198"  # seeded 200 - 2 shipped

    token = jwks_server.token()
    status, products = call(service, "GET", "/api/products", token)
    assert status == 200, products
    stock = {product["sku"]: product["stock_quantity"] for product in products}
    assert (stock["DESK-001"], stock["MOUSE-001"]) == (17, 198)
    statuses = {order["order_number"]: order["status"] for order in call(service, "GET", "/api/orders", token)[1]}
    assert statuses == {shipped: "Shipped", cancelled: "Cancelled"}
    assert page.static_failures == []  # the admin's CSS and JavaScript came from the service itself


def submit_login(page, service: str, password: str, username: str = "locked") -> int:
    """Fill the admin's login form and submit it; returns the status of the answer."""
    page.goto(f"{service}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.click("input[type=submit]")
    return answer.value.status


def test_repeated_failed_logins_lock_the_login_and_say_when_to_retry(page, service):
    failures = [submit_login(page, service, f"wrong-{attempt}") for attempt in range(4)]
    assert failures == [200] * 4
    assert "Please enter the correct username and password" in page.locator(".errornote").inner_text()

    assert submit_login(page, service, "wrong-again") == 429
    assert submit_login(page, service, PASSWORD) == 429  # the right password no longer opens it
    notice = page.locator(".errornote").inner_text()
    assert "Too many failed logins for this user from your address: logging in is locked for 15 minutes." in notice
    assert "Try again after" in notice and "UTC" in notice
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "admin-login-locked.png", full_page=True)
    page.goto(f"{service}/admin/")
    assert "/admin/login/" in page.url  # not logged in
