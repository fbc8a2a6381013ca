"""Stock under concurrency, in one process: many threads, each with its own database connection, on the
database of this run (SQLite file or PostgreSQL). Across processes and instances: test_concurrency_http.py.

The invariants checked everywhere: initial stock + Σ adjustments = current stock + Σ quantities of non-cancelled
orders; and the stock ledger adds up (stock_quantity = Σ movements for every product, `check_stock` agrees).
"""

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.db.models import Sum

from orders import services
from orders.models import Order, OrderItem, OrderStatus
from orderservice.domain.rules import RuleViolation
from orderservice.testing.factories import CustomerFactory, ProductFactory, place_order
from orderservice.testing.ledger import assert_ledger_adds_up
from orderservice.testing.state import stock_of
from products.models import Product, StockMovement
from products.stock import product_adjust_stock

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


def in_threads(function, jobs, threads=THREADS) -> list:
    """Run function(job) for every job on `threads` threads, each with its own connection."""

    def run(job):
        try:
            return function(job)
        finally:
            connection.close()

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(run, jobs))


def ordered_quantity(product) -> int:
    """Σ quantities of the product in orders that still hold their stock (not cancelled)."""
    return (
        OrderItem.objects.filter(product=product)
        .exclude(order__status=OrderStatus.CANCELLED)
        .aggregate(total=Sum("quantity"))["total"]
        or 0
    )


def assert_stock_balances(initial: dict[int, int], adjusted: Counter | None = None) -> None:
    """initial + Σ adjustments = stock + Σ ordered for every product, and the ledger adds up."""
    adjusted = adjusted or Counter()
    for product in Product.objects.filter(pk__in=initial):
        assert product.stock_quantity >= 0
        assert initial[product.pk] + adjusted[product.pk] == product.stock_quantity + ordered_quantity(product), (
            product.name
        )
    assert_ledger_adds_up()


def adjust(product_id: int, change: int) -> int:
    """Adjust the stock; the change applied, or 0 when refused (it would go below zero)."""
    try:
        product_adjust_stock(product_id=product_id, change=change)
        return change
    except RuleViolation as refusal:
        assert refusal.message.startswith("Cannot remove"), refusal.message
        return 0


def place(customer_id, lines) -> str:
    """Place an order; the outcome as a word. Anything but a rule refusal (a 5xx, a deadlock) propagates."""
    try:
        services.order_create(
            customer_id=customer_id, lines=[services.OrderLine(product_id=p, quantity=q) for p, q in lines]
        )
        return "placed"
    except RuleViolation as refusal:
        assert refusal.message.startswith("Insufficient stock for product"), refusal.message
        return "insufficient stock"


def test_concurrent_orders_for_the_same_products_never_oversell(capsys):
    customer = CustomerFactory()
    a, b, c = (ProductFactory(stock_quantity=40) for _ in range(3))
    initial = {a.pk: 40, b.pk: 40, c.pk: 40}
    shapes = [
        [(a.pk, 2), (b.pk, 1)],
        [(b.pk, 1), (a.pk, 2)],  # the same products in the opposite line order: no deadlock
        [(c.pk, 3), (a.pk, 1)],
        [(a.pk, 1), (c.pk, 1), (b.pk, 2)],
        [(b.pk, 1), (b.pk, 1)],  # two lines of one product
    ]
    jobs = [shapes[index % len(shapes)] for index in range(150)]

    outcomes = Counter(in_threads(lambda lines: place(customer.pk, lines), jobs))

    assert outcomes["placed"] == Order.objects.count() > 0
    assert outcomes["insufficient stock"] > 0  # the stock really ran out under contention
    assert_stock_balances(initial)
    with capsys.disabled():
        print(
            f"\n[{connection.vendor}] threads={THREADS} attempts={len(jobs)} outcomes={dict(outcomes)} "
            f"final stock={[p.stock_quantity for p in Product.objects.order_by('pk')]} "
            f"movements={StockMovement.objects.count()} ledger=adds up"
        )


def test_concurrent_orders_cancels_deletes_and_adjustments_keep_the_invariant_and_the_ledger(capsys):
    customer = CustomerFactory()
    products = [ProductFactory(stock_quantity=30) for _ in range(3)]
    initial = {product.pk: 30 for product in products}
    existing = [
        services.order_create(
            customer_id=customer.pk,
            lines=[services.OrderLine(product_id=product.pk, quantity=2) for product in products],
        ).pk
        for _ in range(6)
    ]
    shuffle = random.Random(7)

    def act(job):
        kind, payload = job
        if kind == "order":
            return place(customer.pk, payload)
        if kind == "adjust":
            return kind, payload[0], adjust(*payload)
        try:
            if kind == "cancel":
                services.order_change_status(order_id=payload, status=OrderStatus.CANCELLED)
            else:
                services.order_delete(order_id=payload)
            return kind
        except (RuleViolation, Order.DoesNotExist):
            return f"{kind} refused"  # deleted by another thread first, or cancelled already

    jobs = [("order", [(shuffle.choice(products).pk, shuffle.randint(1, 3)) for _ in range(2)]) for _ in range(60)]
    jobs += [("cancel", order_id) for order_id in existing] + [("delete", order_id) for order_id in existing]
    jobs += [("adjust", (shuffle.choice(products).pk, shuffle.choice([-4, -1, 2, 5]))) for _ in range(30)]
    shuffle.shuffle(jobs)

    outcomes = in_threads(act, jobs)

    adjusted = Counter()
    for outcome in outcomes:
        if isinstance(outcome, tuple):
            adjusted[outcome[1]] += outcome[2]
    assert_stock_balances(initial, adjusted)
    with capsys.disabled():
        kinds = Counter(
            outcome if isinstance(outcome, str) else "adjusted" if outcome[2] else "adjust refused"
            for outcome in outcomes
        )
        print(
            f"\n[{connection.vendor}] threads={THREADS} jobs={len(jobs)} outcomes={dict(kinds)} "
            f"movements={dict(Counter(StockMovement.objects.values_list('reason', flat=True)))} ledger=adds up"
        )


# A cancel of an order of 4 (from a stock of 10) and, at the same instant, a second cancel or an adjustment of -6:
# (the two jobs, what each returns, the stock after).
CANCEL_RACES = {
    "two cancels": (["cancel", "cancel"], ["Cancelled", "Cancelled"], 10),
    "a cancel and an adjustment": (["cancel", "adjust"], ["Cancelled", -6], 4),
}


@pytest.mark.parametrize("round_", range(5))
@pytest.mark.parametrize("race", list(CANCEL_RACES))
def test_a_cancel_racing_another_cancel_or_an_adjustment_returns_the_stock_exactly_once(race, round_):
    jobs, outcomes, stock_after = CANCEL_RACES[race]
    product = ProductFactory(stock_quantity=10)
    order = place_order(items=[(product, 4)])
    start = threading.Barrier(2)

    def act(kind):
        start.wait()
        if kind == "cancel":
            return services.order_change_status(order_id=order.pk, status=OrderStatus.CANCELLED).status
        return adjust(product.pk, -6)

    assert in_threads(act, jobs, threads=2) == outcomes
    assert stock_of(product) == stock_after
    assert StockMovement.objects.filter(order_id=order.pk, reason="order.cancelled").count() == 1
    assert_ledger_adds_up()


def test_editing_a_product_while_orders_are_placed_loses_no_stock(api_client):
    """A rename through the API writes only the name: it cannot put back a stock figure read earlier."""
    customer = CustomerFactory()
    product = ProductFactory(stock_quantity=60)

    def act(index):
        if index % 3 == 0:
            return api_client.patch(
                f"/api/products/{product.pk}", {"name": f"Renamed {index}"}, format="json"
            ).status_code
        return place(customer.pk, [(product.pk, 1)])

    outcomes = in_threads(act, range(60))

    assert set(outcomes) <= {200, "placed"}
    assert_stock_balances({product.pk: 60})
    assert Product.objects.get(pk=product.pk).stock_quantity == 60 - outcomes.count("placed")


DELIVERY = 50


def test_a_delivery_recorded_as_an_adjustment_while_orders_are_placed_loses_no_units(capsys):
    """Staff read the stock, orders take units meanwhile, then the delivery is added: relative, so nothing lost."""
    customer, product = CustomerFactory(), ProductFactory(stock_quantity=100)
    read, orders_placed = threading.Event(), threading.Event()

    def act(index):
        if index == 0:
            Product.objects.get(pk=product.pk)  # what staff see before they record the delivery
            read.set()
            orders_placed.wait(timeout=30)
            return adjust(product.pk, DELIVERY)
        read.wait(timeout=30)
        outcome = place(customer.pk, [(product.pk, 1)])
        if Order.objects.count() == 20:
            orders_placed.set()
        return outcome

    outcomes = in_threads(act, range(21))

    placed = outcomes.count("placed")
    assert Product.objects.get(pk=product.pk).stock_quantity == 100 + DELIVERY - placed
    assert_stock_balances({product.pk: 100}, Counter({product.pk: DELIVERY}))
    with capsys.disabled():
        print(
            f"\n[{connection.vendor}] adjustment: orders placed meanwhile={placed} "
            f"final stock={100 + DELIVERY - placed} (expected {100 + DELIVERY - placed}) ledger=adds up"
        )


def test_a_delivery_written_as_an_absolute_stock_figure_while_orders_are_placed_loses_them(api_client, capsys):
    """The same delivery as PUT stock_quantity = what was read + 50 (read, add, write back): the orders placed
    between the read and the write are overwritten. The ledger still adds up (the `set` movement records the
    difference it wrote), but the stock no longer matches what was sold: that is why staff adjust instead."""
    customer, product = CustomerFactory(), ProductFactory(name="Desk", price="10.00", stock_quantity=100)
    read, orders_placed = threading.Event(), threading.Event()

    def act(index):
        if index == 0:
            seen = api_client.get(f"/api/products/{product.pk}").json()
            read.set()
            orders_placed.wait(timeout=30)
            body = {"name": seen["name"], "price": seen["price"], "stock_quantity": seen["stock_quantity"] + DELIVERY}
            return api_client.put(f"/api/products/{product.pk}", body, format="json").status_code
        read.wait(timeout=30)
        outcome = place(customer.pk, [(product.pk, 1)])
        if Order.objects.count() == 20:
            orders_placed.set()
        return outcome

    outcomes = in_threads(act, range(21))

    placed = outcomes.count("placed")
    stock = Product.objects.get(pk=product.pk).stock_quantity
    assert (outcomes[0], placed) == (200, 20)
    assert stock == 100 + DELIVERY  # not 100 + DELIVERY - 20: the 20 units sold are back on the shelf
    assert StockMovement.objects.get(reason="set").change == DELIVERY + placed  # what the write really did
    assert_ledger_adds_up()
    with capsys.disabled():
        print(
            f"\n[{connection.vendor}] absolute PUT: orders placed meanwhile={placed} final stock={stock} "
            f"(expected {100 + DELIVERY - placed}: {placed} units lost) ledger=adds up"
        )


def test_concurrent_adjustments_and_orders_add_up(capsys):
    """Deliveries and breakage recorded by many staff at once while orders are placed: every unit accounted for."""
    customer, product = CustomerFactory(), ProductFactory(stock_quantity=20)
    shuffle = random.Random(11)
    jobs = [("order", None)] * 80 + [("adjust", shuffle.choice([-4, -2, 3, 5])) for _ in range(40)]
    shuffle.shuffle(jobs)

    def act(job):
        kind, change = job
        return place(customer.pk, [(product.pk, 1)]) if kind == "order" else adjust(product.pk, change)

    outcomes = in_threads(act, jobs)

    adjusted = sum(outcome for outcome in outcomes if isinstance(outcome, int))
    assert_stock_balances({product.pk: 20}, Counter({product.pk: adjusted}))
    with capsys.disabled():
        applied = sum(1 for outcome in outcomes if isinstance(outcome, int) and outcome)
        print(
            f"\n[{connection.vendor}] orders placed={outcomes.count('placed')} refused="
            f"{outcomes.count('insufficient stock')} adjustments applied={applied} net {adjusted:+d} "
            f"final stock={Product.objects.get(pk=product.pk).stock_quantity} ledger=adds up"
        )
