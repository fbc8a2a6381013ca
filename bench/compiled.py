"""What each compiled statement saves against the plain ORM doing the same thing, and what that is worth in the
request it serves. In-process, on a throwaway database (docs/decisions/0001-compiled-sql.md has the figures):

    .venv/bin/python bench/compiled.py                       # SQLite in a temporary directory
    .venv/bin/python bench/compiled.py --database postgres   # a throwaway database on 127.0.0.1:5432
    .venv/bin/python bench/compiled.py --rounds 2000
    .venv/bin/python bench/compiled.py --only POST            # the write path alone

For each shape: the median time of the compiled statement and of the ORM building, compiling and running the same
query (or `bulk_create`/`update()`); the saving per request (the difference, times the shape's uses in that
request); and the median time of the whole request through Django's test Client (middleware, a verified token, DRF,
the JSON), without gunicorn or the network. Every round runs each request and each shape both ways once, so that a
machine busy with other work slows them alike. A shape is worth keeping when its saving is at least --keep-above
(10%) of its request's time on either database.
"""

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]
from run import fresh_database  # noqa: E402  (bench/run.py: a SQLite file, or a PostgreSQL database dropped after)

# The seed (2 customers, 3 products) and orders of 2 items as bench/run.py places them, more than a page of them so
# that the orders each POST adds leave the list's first page (100) the same size.
ORDERS = 150
LINES = [{"product_id": 2, "quantity": 1}, {"product_id": 3, "quantity": 1}]
ORDER_BODY = {"customer_id": 1, "order_items": LINES}


@dataclass
class Shape:
    name: str
    request: str  # the request it serves, a key of `requests`
    uses: int  # how many times that request runs it
    compiled: Callable[[], int]  # each returns the nanoseconds its statement took
    orm: Callable[[], int]


def timed(run: Callable[[], object]) -> Callable[[], int]:
    def measure() -> int:
        start = time.perf_counter_ns()
        run()
        return time.perf_counter_ns() - start

    return measure


def rolled_back(prepare: Callable[[], object], run: Callable[[object], object]) -> Callable[[], int]:
    """A write timed inside a transaction that is rolled back afterwards (BEGIN and ROLLBACK not timed), with
    what `prepare` makes outside the timing."""
    from django.db import transaction

    def measure() -> int:
        argument = prepare()
        with transaction.atomic():
            start = time.perf_counter_ns()
            run(argument)
            elapsed = time.perf_counter_ns() - start
            transaction.set_rollback(True)
        return elapsed

    return measure


def medians(candidates: dict, rounds: int) -> dict:
    """Microseconds, the median of `rounds` runs of each, taken in turn."""
    samples: dict = {name: [] for name in candidates}
    for run in candidates.values():  # warm up: compiled once, connections open, caches filled
        for _ in range(20):
            run()
    for _ in range(rounds):
        for name, run in candidates.items():
            samples[name].append(run())
    return {name: statistics.median(values) / 1000 for name, values in samples.items()}


def prepare_data() -> int:
    """The seed, stock enough for every POST, 50 orders of 2 items through the service; the first order's id."""
    from django.core.management import call_command

    from orders import services
    from products.models import Product

    call_command("migrate", verbosity=0)
    call_command("loaddata", "seed", verbosity=0)
    Product.objects.update(stock_quantity=1_000_000_000)
    first = None
    for n in range(ORDERS):
        order = services.order_create(customer_id=1 + n % 2, lines=[services.OrderLine(**line) for line in LINES])
        first = first or order.pk
    return first


def requests(client, first_order: int, postgres: bool) -> dict[str, Callable[[], int]]:
    def get(path):
        def run():
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code, response.content[:300])

        return timed(run)

    def post():
        response = client.post("/api/orders", ORDER_BODY, content_type="application/json")
        assert response.status_code == 201, response.content[:300]

    found = {
        "GET /api/products/1": get("/api/products/1"),
        "GET /api/products": get("/api/products"),
        f"GET /api/orders/{first_order}": get(f"/api/orders/{first_order}"),
        "GET /api/orders": get("/api/orders"),
        "POST /api/orders": timed(post),
    }
    if postgres:  # the searched page is PostgreSQL's (SQLite pages DRF's own query)
        found["GET /api/products?search=laptop"] = get("/api/products?search=laptop")
    return found


def shapes(first_order: int, postgres: bool) -> list[Shape]:
    """Each compiled statement the read path and an order's write path run, beside the ORM doing the same."""
    from django.db.models import Case, Exists, F, Q, Value, When
    from django.db.models.query import ValuesIterable
    from django.utils import timezone

    from customers.models import Customer
    from customers.serializers import CustomerSerializer
    from orders import services
    from orders.models import Order, OrderItem
    from orders.serializers import OrderItemSerializer, OrderSerializer
    from orderservice.api import read_path
    from orderservice.api.filters import SearchCondition
    from orderservice.database import compiled
    from orderservice.events.outbox import Event
    from orderservice.models import OutboxEvent
    from products import stock
    from products.models import Product, StockMovement, StockReason
    from products.serializers import ProductSerializer

    def plan(serializer):
        return read_path.plan_for(serializer)

    def by_ids(serializer, lookup, ids, joined=False):
        columns = plan(serializer).joined_columns if joined else plan(serializer).columns
        model = plan(serializer).model
        return Shape(
            "",
            "",
            1,
            timed(lambda: read_path._select(plan(serializer), lookup, ids, joined)),
            timed(lambda: list(model._default_manager.filter(**{f"{lookup}__in": ids}).values(*columns))),
        )

    def named(shape: Shape, name: str, request: str, uses: int = 1) -> Shape:
        shape.name, shape.request, shape.uses = name, request, uses
        return shape

    order_ids = list(Order.objects.order_by("-order_date", "-id").values_list("pk", flat=True)[:101])
    customer_ids = sorted(set(Order.objects.filter(pk__in=order_ids).values_list("customer_id", flat=True)))
    product_ids = sorted(set(OrderItem.objects.filter(order_id__in=order_ids).values_list("product_id", flat=True)))

    def first_page(serializer, queryset, ordering):
        return Shape(
            "",
            "",
            1,
            timed(lambda: read_path.first_page(serializer, queryset, ordering, 101, shape=("bench", serializer))),
            timed(lambda: list(read_path.rows(serializer, queryset).order_by(*ordering)[:101])),
        )

    found = [
        named(by_ids(ProductSerializer, "pk", [1], joined=True), "object by id: a product", "GET /api/products/1"),
        named(
            by_ids(OrderSerializer, "pk", [first_order], joined=True),
            "object by id: an order with its customer",
            f"GET /api/orders/{first_order}",
        ),
        named(
            by_ids(OrderItemSerializer, "order", [first_order], joined=True),
            "rows by ids: an order's items with their products",
            f"GET /api/orders/{first_order}",
        ),
        named(
            first_page(ProductSerializer, Product.objects.all(), ("name", "id")),
            "first page: products",
            "GET /api/products",
        ),
        named(
            first_page(OrderSerializer, Order.objects.all(), ("-order_date", "-id")),
            "first page: orders",
            "GET /api/orders",
        ),
        named(by_ids(CustomerSerializer, "pk", customer_ids), "rows by ids: a page's customers", "GET /api/orders"),
        named(by_ids(OrderItemSerializer, "order", order_ids), "rows by ids: a page's items", "GET /api/orders"),
        named(by_ids(ProductSerializer, "pk", product_ids), "rows by ids: the items' products", "GET /api/orders"),
    ]

    if postgres:

        def searched(iterable_class):
            def run():
                condition = SearchCondition(
                    Q(name__icontains="laptop") | Q(sku__icontains="laptop") | Q(description__icontains="laptop")
                )
                page = read_path.rows(ProductSerializer, Product.objects.filter(condition)).order_by("name", "id")
                if iterable_class is not None:
                    page._iterable_class = iterable_class
                list(page[:101])

            return timed(run)

        found.append(
            Shape(
                "searched page: products",
                "GET /api/products?search=laptop",
                1,
                searched(None),
                searched(ValuesIterable),  # the ORM's own page query
            )
        )

    # The write path of the POST above: two lines, so two products locked, taken and moved.
    def order():
        return [
            Order(
                order_number=services.new_order_number(),
                customer_id=1,
                sub_total=10,
                tax_amount=1,
                shipping_amount=10,
                total_amount=21,
            )
        ]

    an_order = Order.objects.get(pk=first_order)

    def items():
        return [
            OrderItem(order=an_order, product_id=product_id, quantity=1, unit_price=10, total_price=10)
            for product_id in (2, 3)
        ]

    def movements():
        reason = StockReason.ORDER_CREATED
        return [
            StockMovement(product_id=product_id, change=-1, order_id=first_order, stock_after=1, reason=reason)
            for product_id in (2, 3)
        ]

    def events():
        event = Event("order.created", {"order_id": first_order, "order_number": "ORD-1"}, details={"lines": 1})
        return [
            OutboxEvent(type=event.type, subject=event.subject, data={**event.fields, **event.details}, actor="bench")
            for _ in range(3)  # the order's order.created and its products' product.stock_changed
        ]

    for name, make in (("order", order), ("items", items), ("stock movements", movements), ("outbox events", events)):
        model = type(make()[0])
        found.append(
            Shape(
                f"insert: {name}",
                "POST /api/orders",
                1,
                rolled_back(make, compiled.insert),
                rolled_back(make, lambda objs, model=model: model.objects.bulk_create(objs)),
            )
        )

    def lock_with_the_orm(_):
        customer = Customer.objects.filter(pk=1)
        list(
            Product.objects.select_for_update(of=("self",))
            .filter(pk__in=[2, 3])
            .order_by("pk")
            .annotate(customer_exists=Exists(customer))
            .values_list("pk", "name", "price", "is_active", "stock_quantity", "customer_exists")
        )

    found.append(
        Shape(
            "locked select: the products and whether the customer exists",
            "POST /api/orders",
            1,
            rolled_back(lambda: None, lambda _: services._lock_products(1, [2, 3])),
            rolled_back(lambda: None, lock_with_the_orm),
        )
    )

    def take_compiled(_):
        using = compiled.write_alias(Product)
        values = {"now": compiled.db_value(Product, "updated_at", timezone.now(), using)}
        for index, product_id in enumerate((2, 3)):
            values["product", index], values["quantity", index] = product_id, 1
        take = compiled.update_statement(("order-take-stock", 2), using, stock._take_stock_statement(2))
        assert take.changed(values) == 2

    def take_with_the_orm(_):
        taking = Case(When(pk=2, then=Value(1)), When(pk=3, then=Value(1)))
        taken = Product.objects.filter(pk__in=[2, 3], stock_quantity__gte=taking).update(
            stock_quantity=F("stock_quantity") - taking, updated_at=timezone.now()
        )
        assert taken == 2

    found.append(
        Shape(
            "conditional update: the stock taken",
            "POST /api/orders",
            1,
            rolled_back(lambda: None, take_compiled),
            rolled_back(lambda: None, take_with_the_orm),
        )
    )
    return found


def measure(options) -> None:
    import django

    from orderservice.testing.jwks import AUDIENCE, ISSUER, JWKSServer

    jwks = JWKSServer().start()  # the service verifies the token against it, as in production
    os.environ.update(JWT_JWKS_URL=jwks.url, JWT_AUDIENCE=AUDIENCE, JWT_ISSUER=ISSUER)
    django.setup()
    from django.db import connection
    from django.test import Client

    postgres = connection.vendor == "postgresql"
    first_order = prepare_data()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {jwks.token(roles=['Admin'])}")

    timed_requests = {
        name: run for name, run in requests(client, first_order, postgres).items() if options.only in name
    }
    found = [shape for shape in shapes(first_order, postgres) if options.only in shape.request]
    candidates = {("request", name): run for name, run in timed_requests.items()}
    for shape in found:
        candidates["compiled", shape.name], candidates["orm", shape.name] = shape.compiled, shape.orm
    times = medians(candidates, options.rounds)
    jwks.stop()
    request_times = {name: times["request", name] for name in timed_requests}

    print(f"\n{connection.vendor}, medians of {options.rounds} rounds (each request and each shape both ways)\n")
    print("| request | ms |\n|---|--:|")
    for request, microseconds in request_times.items():
        print(f"| `{request}` | {microseconds / 1000:.3f} |")
    print(
        "\n| statement | request | compiled µs | ORM µs | saved per request µs | share of the request |\n"
        "|---|---|--:|--:|--:|--:|"
    )
    by_kind: dict[tuple[str, str], float] = {}  # (kind, request): µs saved
    for shape in found:
        compiled, orm = times["compiled", shape.name], times["orm", shape.name]
        saved = (orm - compiled) * shape.uses
        share = saved / request_times[shape.request]
        kind = shape.name.split(":")[0]
        by_kind[kind, shape.request] = by_kind.get((kind, shape.request), 0) + saved
        print(f"| {shape.name} | `{shape.request}` | {compiled:.1f} | {orm:.1f} | {saved:.1f} | {share:.1%} |")
    print("\n| shape | request | saved per request µs | share of the request |\n|---|---|--:|--:|")
    for (kind, request), saved in by_kind.items():
        print(f"| {kind} | `{request}` | {saved:.1f} | {saved / request_times[request]:.1%} |")
    print(f"\nWorth keeping here (at least {options.keep_above:.0%} of a request it serves):")
    for kind in dict.fromkeys(kind for kind, _ in by_kind):
        best = max(saved / request_times[request] for (other, request), saved in by_kind.items() if other == kind)
        print(f"- {kind}: {'yes' if best >= options.keep_above else 'no'} (at most {best:.1%})")


def close_connections() -> None:
    from django.db import connections

    connections.close_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=1000, help="runs of each request and shape (the median)")
    parser.add_argument("--keep-above", type=float, default=0.10, help="the share of its request a shape must save")
    parser.add_argument("--only", default="", metavar="TEXT", help="only the requests (and their shapes) naming TEXT")
    options = parser.parse_args()

    with contextlib.ExitStack() as cleanup:
        workdir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="orderservice-bench-compiled-")))
        os.environ.update(
            DATABASE_URL=fresh_database(options.database, workdir, cleanup),
            DJANGO_SETTINGS_MODULE="orderservice.settings",
            ENVIRONMENT="development",
            DEBUG="false",  # DEBUG keeps every query's SQL: not what production pays
            LOG_LEVEL="WARNING",
            PROMETHEUS_MULTIPROC_DIR=str(workdir / "metrics"),
        )
        cleanup.callback(close_connections)  # before the database is dropped (the stack unwinds last-in first)
        measure(options)


if __name__ == "__main__":
    main()
