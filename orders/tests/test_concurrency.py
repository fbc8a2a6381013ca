"""Stock under concurrency, in one process: many threads, each with its own database connection, on the
database of this run (SQLite file or PostgreSQL). Across processes and instances: test_concurrency_http.py.

The invariant checked everywhere: initial stock = current stock + Σ quantities of non-cancelled orders.
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
from orderservice.testing.factories import CustomerFactory, ProductFactory
from products.models import Product

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
    return OrderItem.objects.filter(product=product).exclude(order__status=OrderStatus.CANCELLED).aggregate(
        total=Sum("quantity"))["total"] or 0


def assert_stock_balances(initial: dict[int, int]) -> None:
    for product in Product.objects.filter(pk__in=initial):
        assert product.stock_quantity >= 0
        assert initial[product.pk] == product.stock_quantity + ordered_quantity(product), product.name


def place(customer_id, lines) -> str:
    """Place an order; the outcome as a word. Anything but a rule refusal (a 5xx, a deadlock) propagates."""
    try:
        services.order_create(customer_id=customer_id,
                              lines=[services.OrderLine(product_id=p, quantity=q) for p, q in lines])
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
        print(f"\n[{connection.vendor}] threads={THREADS} attempts={len(jobs)} outcomes={dict(outcomes)} "
              f"final stock={[p.stock_quantity for p in Product.objects.order_by('pk')]}")


def test_concurrent_orders_cancels_and_deletes_keep_the_invariant():
    customer = CustomerFactory()
    products = [ProductFactory(stock_quantity=30) for _ in range(3)]
    initial = {product.pk: 30 for product in products}
    existing = [services.order_create(customer_id=customer.pk, lines=[
        services.OrderLine(product_id=product.pk, quantity=2) for product in products]).pk for _ in range(6)]
    shuffle = random.Random(7)

    def act(job):
        kind, payload = job
        if kind == "order":
            return place(customer.pk, payload)
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
    shuffle.shuffle(jobs)

    in_threads(act, jobs)

    assert_stock_balances(initial)


@pytest.mark.parametrize("round_", range(5))
def test_two_racing_cancels_return_the_stock_exactly_once(round_):
    product = ProductFactory(stock_quantity=10)
    order = services.order_create(customer_id=CustomerFactory().pk,
                                  lines=[services.OrderLine(product_id=product.pk, quantity=4)])
    start = threading.Barrier(2)

    def cancel(_):
        start.wait()
        return services.order_change_status(order_id=order.pk, status=OrderStatus.CANCELLED).status

    assert in_threads(cancel, [1, 2], threads=2) == ["Cancelled", "Cancelled"]
    product.refresh_from_db()
    assert product.stock_quantity == 10


def test_editing_a_product_while_orders_are_placed_loses_no_stock(api_client):
    """A rename through the API writes only the name: it cannot put back a stock figure read earlier."""
    customer = CustomerFactory()
    product = ProductFactory(stock_quantity=60)

    def act(index):
        if index % 3 == 0:
            return api_client.patch(f"/api/products/{product.pk}", {"name": f"Renamed {index}"},
                                    format="json").status_code
        return place(customer.pk, [(product.pk, 1)])

    outcomes = in_threads(act, range(60))

    assert set(outcomes) <= {200, "placed"}
    assert_stock_balances({product.pk: 60})
    assert Product.objects.get(pk=product.pk).stock_quantity == 60 - outcomes.count("placed")
