"""The order rules in orders/services.py, called directly: totals, creation, the status machine, stock."""

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.test import override_settings

from orders import services
from orders.models import Order, OrderItem, OrderStatus
from orders.services import OrderLine, OrderTotals
from orderservice.database import compiled
from orderservice.domain.rules import RuleViolation
from orderservice.models import OutboxEvent
from orderservice.testing.factories import CustomerFactory, ProductFactory, order_in, place_order
from orderservice.testing.lifecycle import ALLOWED, PATH_TO, REFUSED, REFUSED_MESSAGES, VALID_STATUSES
from orderservice.testing.state import database_state, stock_of
from products import stock
from products.models import Product

pytestmark = pytest.mark.django_db

D = Decimal


def create(customer, *lines, **fields) -> Order:
    return services.order_create(
        customer_id=customer.pk, lines=[OrderLine(product_id=p.pk, quantity=q) for p, q in lines], **fields
    )


# --- Totals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line_totals", "expected"),
    [
        # one mouse: 29.99 × 0.08 = 2.3992 → 2.40; below 100.00 so shipping 10.00
        (["29.99"], ("29.99", "2.40", "10.00", "42.39")),
        # one laptop: 1299.99 × 0.08 = 103.9992 → 104.00; free shipping
        (["1299.99"], ("1299.99", "104.00", "0.00", "1403.99")),
        # exactly the free-shipping threshold
        (["100.00"], ("100.00", "8.00", "0.00", "108.00")),
        # one cent below it: 99.99 × 0.08 = 7.9992 → 8.00
        (["99.99"], ("99.99", "8.00", "10.00", "117.99")),
        # several lines: 1299.99 + 59.98 + 199.99 = 1559.96; × 0.08 = 124.7968 → 124.80
        (["1299.99", "59.98", "199.99"], ("1559.96", "124.80", "0.00", "1684.76")),
        # 50.00 + 49.99 = 99.99: the threshold applies to the sum, not to a line
        (["50.00", "49.99"], ("99.99", "8.00", "10.00", "117.99")),
        # 31.19 × 0.08 = 2.4952 → 2.50 (up); 31.06 × 0.08 = 2.4848 → 2.48 (down)
        (["31.19"], ("31.19", "2.50", "10.00", "43.69")),
        (["31.06"], ("31.06", "2.48", "10.00", "43.54")),
        # 0.01 × 0.08 = 0.0008 → 0.00
        (["0.01"], ("0.01", "0.00", "10.00", "10.01")),
    ],
)
def test_order_totals_follow_the_contract(line_totals, expected):
    totals = services.order_totals([D(amount) for amount in line_totals])

    assert totals == OrderTotals(*(D(amount) for amount in expected))
    assert all(
        value.as_tuple().exponent == -2
        for value in (totals.sub_total, totals.tax_amount, totals.shipping_amount, totals.total_amount)
    )


# At the default rate of 0.08 no sub_total in whole cents gives a tax of exactly half a cent
# (8 × cents is never 50 mod 100), so the half-up rule is checked at a rate where it matters.
@override_settings(ORDER_TAX_RATE=D("0.10"))
@pytest.mark.parametrize(
    ("sub_total", "tax"),
    [
        ("0.25", "0.03"),  # 0.025: half-even would give 0.02
        ("10.05", "1.01"),  # 1.005: half-even would give 1.00
        ("0.35", "0.04"),  # 0.035
    ],
)
def test_tax_rounds_half_up_to_the_cent(sub_total, tax):
    totals = services.order_totals([D(sub_total)])

    assert totals.tax_amount == D(tax)
    assert totals.total_amount == D(sub_total) + D(tax) + D("10.00")


@override_settings(ORDER_TAX_RATE=D("0.20"), ORDER_SHIPPING_FEE=D("4.95"), ORDER_FREE_SHIPPING_FROM=D("50.00"))
def test_rates_are_settings():
    assert services.order_totals([D("49.99")]) == OrderTotals(D("49.99"), D("10.00"), D("4.95"), D("64.94"))
    assert services.order_totals([D("50.00")]) == OrderTotals(D("50.00"), D("10.00"), D("0.00"), D("60.00"))


# --- Creating an order -------------------------------------------------------------------------


def test_order_create_snapshots_prices_computes_totals_and_takes_stock():
    customer = CustomerFactory()
    mouse = ProductFactory(name="Wireless Mouse", price=D("29.99"), stock_quantity=200)
    chair = ProductFactory(name="Office Chair", price=D("199.99"), stock_quantity=75)

    order = create(customer, (mouse, 2), (chair, 1), notes="Leave at the door", shipping_address="1 Main St")

    order.refresh_from_db()
    assert order.customer_id == customer.pk
    assert order.status == OrderStatus.PENDING
    assert order.notes == "Leave at the door"
    assert order.shipping_address == "1 Main St"
    # 2 × 29.99 = 59.98; + 199.99 = 259.97; × 0.08 = 20.7976 → 20.80; free shipping
    assert (order.sub_total, order.tax_amount, order.shipping_amount, order.total_amount) == (
        D("259.97"),
        D("20.80"),
        D("0.00"),
        D("280.77"),
    )
    assert list(order.order_items.values_list("product_id", "quantity", "unit_price", "total_price")) == [
        (mouse.pk, 2, D("29.99"), D("59.98")),
        (chair.pk, 1, D("199.99"), D("199.99")),
    ]
    assert stock_of(mouse) == 198
    assert stock_of(chair) == 74


def test_order_create_keeps_the_price_of_the_moment():
    product = ProductFactory(price=D("29.99"))
    order = place_order(items=[(product, 3)])

    Product.objects.filter(pk=product.pk).update(price=D("35.00"))

    item = OrderItem.objects.get(order=order)
    assert (item.unit_price, item.total_price) == (D("29.99"), D("89.97"))
    order.refresh_from_db()
    assert order.sub_total == D("89.97")


def test_order_create_keeps_lines_of_the_same_product_apart_but_takes_their_sum():
    product = ProductFactory(price=D("10.00"), stock_quantity=10)

    order = create(CustomerFactory(), (product, 4), (product, 6))

    assert list(order.order_items.values_list("product_id", "quantity", "total_price")) == [
        (product.pk, 4, D("40.00")),
        (product.pk, 6, D("60.00")),
    ]
    order.refresh_from_db()
    assert order.sub_total == D("100.00")
    assert order.shipping_amount == D("0.00")
    assert stock_of(product) == 0


def test_order_create_may_take_the_last_unit():
    product = ProductFactory(stock_quantity=1)

    create(CustomerFactory(), (product, 1))

    assert stock_of(product) == 0


def test_order_number_is_the_utc_date_and_eight_upper_case_hex_characters():
    before = datetime.now(UTC).strftime("%Y%m%d")
    number = services.new_order_number()
    after = datetime.now(UTC).strftime("%Y%m%d")

    match = re.fullmatch(r"ORD-(\d{8})-[0-9A-F]{8}", number)
    assert match is not None, number
    assert match.group(1) in {before, after}


def test_order_numbers_differ():
    numbers = {place_order().order_number for _ in range(20)}

    assert len(numbers) == 20


def test_an_order_number_already_taken_is_drawn_again(monkeypatch):
    taken = place_order().order_number
    product = ProductFactory(stock_quantity=10)
    draws = iter([taken, taken, "ORD-20240101-0000ABCD"])
    monkeypatch.setattr(services, "new_order_number", lambda: next(draws))

    order = place_order(items=[(product, 3)])

    assert order.order_number == "ORD-20240101-0000ABCD"
    assert Order.objects.count() == 2
    # The attempts under a taken number left nothing behind: the stock, its ledger and the events were written once.
    assert stock_of(product) == 7
    assert list(product.stock_movements.values_list("change", flat=True).order_by("pk")) == [10, -3]
    assert OutboxEvent.objects.filter(type="order.created").count() == 2


def fail_inserts_of(model, error: Exception, monkeypatch) -> None:
    """From now on, inserting rows of `model` through orderservice.database.compiled raises `error`."""
    insert = compiled.insert

    def insert_or_fail(objs):
        if isinstance(objs[0], model):
            raise error
        return insert(objs)

    monkeypatch.setattr(compiled, "insert", insert_or_fail)


def test_an_integrity_error_other_than_a_taken_number_is_not_retried(monkeypatch):
    draws = []
    monkeypatch.setattr(services, "new_order_number", lambda: draws.append(1) or f"ORD-20240101-{len(draws):08X}")
    customer, product = CustomerFactory(), ProductFactory(stock_quantity=10)
    before = database_state()
    fail_inserts_of(OrderItem, IntegrityError("FOREIGN KEY constraint failed"), monkeypatch)

    with pytest.raises(IntegrityError):
        place_order(customer, items=[(product, 1)])
    assert len(draws) == 1
    assert database_state() == before


def assert_refused(message, field, call):
    before = database_state()
    with pytest.raises(RuleViolation) as refusal:
        call()
    assert (refusal.value.message, refusal.value.field) == (message, field)
    assert database_state() == before


def test_order_create_refuses_an_unknown_customer():
    product = ProductFactory(stock_quantity=5)

    assert_refused(
        "Customer not found",
        "customer_id",
        lambda: services.order_create(customer_id=987654, lines=[OrderLine(product_id=product.pk, quantity=1)]),
    )


def test_order_create_refuses_an_unknown_product():
    customer = CustomerFactory()
    product = ProductFactory(stock_quantity=5)

    assert_refused(
        "Product with ID 987654 not found",
        None,
        lambda: services.order_create(
            customer_id=customer.pk,
            lines=[OrderLine(product_id=product.pk, quantity=1), OrderLine(product_id=987654, quantity=1)],
        ),
    )


def test_order_create_refuses_an_inactive_product():
    customer = CustomerFactory()
    active = ProductFactory(stock_quantity=5)
    inactive = ProductFactory(name="Old Lamp", is_active=False, stock_quantity=5)

    assert_refused("Product Old Lamp is not active", None, lambda: create(customer, (active, 1), (inactive, 1)))


def test_order_create_refuses_more_than_the_stock():
    customer = CustomerFactory()
    product = ProductFactory(name="Office Chair", stock_quantity=3)

    assert_refused("Insufficient stock for product Office Chair", None, lambda: create(customer, (product, 4)))


def test_order_create_checks_the_stock_against_the_sum_of_lines():
    customer = CustomerFactory()
    product = ProductFactory(name="Office Chair", stock_quantity=5)

    # 3 fits, 3 fits, 6 does not
    assert_refused(
        "Insufficient stock for product Office Chair", None, lambda: create(customer, (product, 3), (product, 3))
    )


def test_order_create_refuses_everything_when_one_of_several_products_is_short():
    customer = CustomerFactory()
    plenty = ProductFactory(stock_quantity=100)
    short = ProductFactory(name="Rare Thing", stock_quantity=1)

    assert_refused("Insufficient stock for product Rare Thing", None, lambda: create(customer, (plenty, 5), (short, 2)))


def test_order_create_gives_back_stock_already_taken_when_a_later_product_runs_out(monkeypatch):
    """Another worker empties the second product after the check: the first product's stock is not lost."""
    customer = CustomerFactory()
    first = ProductFactory(stock_quantity=10)
    second = ProductFactory(name="Contested", stock_quantity=10)
    take_stock = stock.order_take_stock

    def concurrent_sale_then_take_stock(**arguments):
        Product.objects.filter(pk=second.pk).update(stock_quantity=0)
        take_stock(**arguments)

    monkeypatch.setattr(stock, "order_take_stock", concurrent_sale_then_take_stock)

    assert_refused("Insufficient stock for product Contested", None, lambda: create(customer, (first, 2), (second, 2)))
    assert stock_of(first) == 10


def test_order_create_gives_back_stock_when_its_last_write_fails(monkeypatch):
    """The events are the last INSERT, after the stock was taken: failing there leaves everything as it was."""
    customer, product = CustomerFactory(), ProductFactory(stock_quantity=10)
    before = database_state()
    fail_inserts_of(OutboxEvent, RuntimeError("disk full"), monkeypatch)

    with pytest.raises(RuntimeError):
        create(customer, (product, 2))
    assert database_state() == before


# --- The status machine ------------------------------------------------------------------------


@pytest.mark.parametrize(("current", "wanted"), sorted(ALLOWED))
def test_allowed_moves_change_the_status(current, wanted):
    order = order_in(current)
    updated_before = order.updated_at

    changed = services.order_change_status(order_id=order.pk, status=wanted)

    assert changed.status == wanted
    order.refresh_from_db()
    assert order.status == wanted
    assert order.updated_at > updated_before


@pytest.mark.parametrize("status", list(PATH_TO))
def test_setting_the_current_status_again_changes_nothing(status):
    product = ProductFactory(stock_quantity=10)
    order = order_in(status, items=[(product, 3)])
    before = database_state()

    unchanged = services.order_change_status(order_id=order.pk, status=status)

    assert unchanged.status == status
    assert database_state() == before


@pytest.mark.parametrize(("current", "wanted"), REFUSED)
def test_every_other_move_is_refused(current, wanted):
    order = order_in(current)

    assert_refused(
        REFUSED_MESSAGES[current].format(wanted=wanted),
        "status",
        lambda: services.order_change_status(order_id=order.pk, status=wanted),
    )


@pytest.mark.parametrize("status", ["Lost", "pending", "", "CANCELLED"])
def test_an_unknown_status_is_refused_with_the_valid_values(status):
    order = place_order()

    assert_refused(
        f"Invalid status '{status}'. Valid values: {VALID_STATUSES}",
        "status",
        lambda: services.order_change_status(order_id=order.pk, status=status),
    )


@pytest.mark.parametrize("status", ["Pending", "Processing"])
def test_cancelling_gives_the_stock_back(status):
    mouse = ProductFactory(stock_quantity=10)
    chair = ProductFactory(stock_quantity=10)
    order = order_in(status, items=[(mouse, 2), (chair, 3), (mouse, 1)])
    assert (stock_of(mouse), stock_of(chair)) == (7, 7)

    services.order_change_status(order_id=order.pk, status="Cancelled")

    assert (stock_of(mouse), stock_of(chair)) == (10, 10)


def test_cancelling_twice_gives_the_stock_back_once():
    product = ProductFactory(stock_quantity=10)
    order = place_order(items=[(product, 4)])

    services.order_change_status(order_id=order.pk, status="Cancelled")
    services.order_change_status(order_id=order.pk, status="Cancelled")

    assert stock_of(product) == 10


@pytest.mark.parametrize("status", ["Processing", "Shipped", "Delivered"])
def test_moving_forward_leaves_the_stock_alone(status):
    product = ProductFactory(stock_quantity=10)

    order_in(status, items=[(product, 4)])

    assert stock_of(product) == 6


# --- Updating ----------------------------------------------------------------------------------


def test_order_update_changes_notes_shipping_address_and_status():
    product = ProductFactory(stock_quantity=10)
    order = place_order(items=[(product, 2)], notes="old", shipping_address="old address")

    updated = services.order_update(order_id=order.pk, status="Cancelled", notes=None, shipping_address="new")

    assert (updated.status, updated.notes, updated.shipping_address) == ("Cancelled", None, "new")
    order.refresh_from_db()
    assert (order.status, order.notes, order.shipping_address) == ("Cancelled", None, "new")
    assert stock_of(product) == 10


def test_order_update_changes_only_what_is_given():
    order = place_order(notes="keep me", shipping_address="keep me too")

    services.order_update(order_id=order.pk, notes="changed")

    order.refresh_from_db()
    assert (order.status, order.notes, order.shipping_address) == ("Pending", "changed", "keep me too")


def test_order_update_with_a_refused_move_changes_nothing():
    order = place_order(notes="old")

    assert_refused(
        "Cannot change status from Pending to Delivered; allowed: Processing, Cancelled",
        "status",
        lambda: services.order_update(order_id=order.pk, status="Delivered", notes="new"),
    )


# --- Deleting ----------------------------------------------------------------------------------


def test_order_delete_removes_a_pending_order_and_gives_the_stock_back():
    product = ProductFactory(stock_quantity=10)
    kept = place_order(items=[(product, 1)])
    order = place_order(items=[(product, 2), (product, 3)])

    services.order_delete(order_id=order.pk)

    assert list(Order.objects.values_list("pk", flat=True)) == [kept.pk]
    assert list(OrderItem.objects.values_list("order_id", flat=True)) == [kept.pk]
    assert stock_of(product) == 9


@pytest.mark.parametrize("status", ["Processing", "Shipped", "Delivered", "Cancelled"])
def test_order_delete_refuses_an_order_that_is_not_pending(status):
    order = order_in(status, items=[(ProductFactory(stock_quantity=10), 2)])

    assert_refused(
        "Cannot delete order that is not in Pending status", None, lambda: services.order_delete(order_id=order.pk)
    )


# --- Stock never drifts ------------------------------------------------------------------------


def test_initial_stock_equals_current_stock_plus_what_live_orders_hold():
    initial = {"mouse": 50, "chair": 20}
    mouse = ProductFactory(stock_quantity=initial["mouse"])
    chair = ProductFactory(stock_quantity=initial["chair"])
    customer = CustomerFactory()

    orders = [place_order(customer, [(mouse, 3), (chair, 1)]) for _ in range(4)]
    place_order(customer, [(mouse, 5), (mouse, 2)])
    services.order_change_status(order_id=orders[0].pk, status="Cancelled")
    services.order_change_status(order_id=orders[0].pk, status="Cancelled")
    services.order_change_status(order_id=orders[1].pk, status="Processing")
    services.order_change_status(order_id=orders[1].pk, status="Cancelled")
    services.order_change_status(order_id=orders[2].pk, status="Processing")
    services.order_change_status(order_id=orders[2].pk, status="Shipped")
    services.order_delete(order_id=orders[3].pk)
    with pytest.raises(RuleViolation):
        place_order(customer, [(chair, 100)])

    for name, product in {"mouse": mouse, "chair": chair}.items():
        held = sum(
            OrderItem.objects.filter(product=product)
            .exclude(order__status="Cancelled")
            .values_list("quantity", flat=True)
        )
        assert initial[name] == stock_of(product) + held
    assert (stock_of(mouse), stock_of(chair)) == (50 - 3 - 7, 20 - 1)
