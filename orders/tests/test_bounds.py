"""An order's bounds: its totals never overflow a column or the decimal context, whatever the quantities (up to
MAX_INTEGER) and prices (up to the largest amount); at most ORDER_MAX_LINES lines. Each refusal is a 400 that
changes nothing."""

from decimal import Decimal as D
from decimal import localcontext

import pytest
from django.test import override_settings

from orders import services
from orderservice.domain.limits import MAX_INTEGER
from orderservice.domain.money import largest_amount
from orderservice.domain.rules import RuleViolation
from orderservice.testing.api import assert_problem
from orderservice.testing.bodies import order_request
from orderservice.testing.factories import CustomerFactory, ProductFactory
from orderservice.testing.state import database_state

pytestmark = pytest.mark.django_db


def too_large() -> str:
    return f"Order total exceeds the largest amount the service can store ({largest_amount()})"


def test_line_and_order_totals_of_the_largest_amounts_are_exact():
    # 28 digits is Python's default precision: these need 29 and more, and quantize would raise InvalidOperation.
    line = services.line_total(D("9999999999999999.99"), MAX_INTEGER)
    totals = services.order_totals([line] * 1000)
    with localcontext(prec=100):  # the expected values, exactly
        assert line == D("9999999999999999.99") * MAX_INTEGER
        assert totals.sub_total == line * 1000
        assert totals.tax_amount == (totals.sub_total * D("0.08")).quantize(D("0.01"))
        assert totals.total_amount == totals.sub_total + totals.tax_amount


@pytest.mark.parametrize("lines", [1, 30])
def test_an_order_whose_totals_exceed_what_a_column_holds_is_a_400_that_changes_nothing(api_client, lines):
    customer = CustomerFactory()
    products = [ProductFactory(price=largest_amount(), stock_quantity=MAX_INTEGER) for _ in range(lines)]
    body = order_request(customer, *[(product, MAX_INTEGER) for product in products])
    before = database_state()

    response = api_client.post("/api/orders", body, format="json")

    assert_problem(response, 400, too_large())
    assert database_state() == before


def test_one_line_beyond_the_largest_amount_is_refused_even_when_its_total_alone_would_fit(api_client):
    customer = CustomerFactory()
    product = ProductFactory(price=largest_amount(), stock_quantity=10)
    before = database_state()

    response = api_client.post("/api/orders", order_request(customer, (product, 2)), format="json")

    assert_problem(response, 400, too_large())
    assert database_state() == before


def test_quantities_of_one_product_adding_up_beyond_any_stock_are_insufficient_stock(api_client):
    customer, product = CustomerFactory(), ProductFactory(price="0.01", stock_quantity=MAX_INTEGER)
    before = database_state()

    response = api_client.post(
        "/api/orders", order_request(customer, (product, MAX_INTEGER), (product, MAX_INTEGER)), format="json"
    )

    assert_problem(response, 400, f"Insufficient stock for product {product.name}")
    assert database_state() == before


def test_an_order_of_100_lines_is_placed(api_client):
    customer, product = CustomerFactory(), ProductFactory(stock_quantity=1000)
    response = api_client.post("/api/orders", order_request(customer, *[(product, 1)] * 100), format="json")
    assert response.status_code == 201
    assert len(response.json()["order_items"]) == 100


@pytest.mark.parametrize("lines", [101, 5000])
def test_more_than_order_max_lines_is_a_400_naming_the_limit(api_client, lines, django_assert_max_num_queries):
    customer, product = CustomerFactory(), ProductFactory(stock_quantity=10_000)
    before = database_state()

    with django_assert_max_num_queries(0):  # refused before any line is checked
        response = api_client.post("/api/orders", order_request(customer, *[(product, 1)] * lines), format="json")

    detail = f"An order may have at most 100 lines, not {lines}"
    assert_problem(response, 400, detail, {"order_items": [detail]})
    assert database_state() == before


@override_settings(ORDER_MAX_LINES=2)
def test_order_max_lines_is_a_setting_the_service_also_enforces(api_client):
    customer, product = CustomerFactory(), ProductFactory(stock_quantity=10)
    before = database_state()

    response = api_client.post("/api/orders", order_request(customer, *[(product, 1)] * 3), format="json")
    with pytest.raises(RuleViolation, match="at most 2 lines, not 3"):  # the admin places orders here
        services.order_create(customer_id=customer.pk, lines=[services.OrderLine(product.pk, 1)] * 3)

    assert_problem(
        response,
        400,
        "An order may have at most 2 lines, not 3",
        {"order_items": ["An order may have at most 2 lines, not 3"]},
    )
    assert database_state() == before
    assert (
        api_client.post("/api/orders", order_request(customer, *[(product, 1)] * 2), format="json").status_code == 201
    )
