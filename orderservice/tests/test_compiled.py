"""The compiled statements (orderservice.database.compiled) and the private ORM API they and the read path's searched
page rely on: one test per name, each failing with the name if a Django upgrade changes it."""

import re
from collections.abc import Callable

import django
import pytest
from django.db import connection, connections, transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q
from django.db.models.lookups import Exact
from django.db.models.query import ValuesIterable
from django.db.models.sql import InsertQuery, UpdateQuery
from django.db.models.sql.compiler import SQLCompiler
from django.db.models.sql.where import AND, WhereNode

from customers.models import Customer
from orders.models import Order, OrderItem
from orderservice.api import read_path
from orderservice.api.filters import SearchCondition
from orderservice.database import compiled
from orderservice.testing.factories import CustomerFactory, ProductFactory, place_order
from products.models import Product

pytestmark = pytest.mark.django_db

SEAMS: dict[str, Callable[[], None]] = {}


def seam(name: str):
    def register(check: Callable[[], None]) -> Callable[[], None]:
        SEAMS[name] = check
        return check

    return register


# --- compiled.py ------------------------------------------------------------------------------------------------


@seam("QuerySet.query")
def _():
    assert Product.objects.filter(pk=1).query.model is Product


@seam("QuerySet._db")
def _():
    assert Product.objects.all()._db is None
    assert Product.objects.using("default")._db == "default"


@seam("QuerySet._for_write")
def _():
    assert Product.objects.all()._for_write is False
    assert Product.objects.select_for_update()._for_write is True


@seam("QuerySet._hints")
def _():
    customer = CustomerFactory()
    assert Product.objects.all()._hints == {}
    assert customer.orders.all()._hints == {"instance": customer}  # what a router is told about a related read


@seam("Query.get_compiler")
def _():
    compiler = Product.objects.values("name").query.get_compiler(using="default")
    assert isinstance(compiler, SQLCompiler) and compiler.connection is connections["default"]
    insert = InsertQuery(Product).get_compiler(connection=connection)
    assert insert.connection is connection


@seam("Query.selected")
def _():
    query = Order.objects.values("id", "customer__email", "total_amount").query
    assert list(query.selected) == ["id", "customer__email", "total_amount"]
    annotated = Product.objects.annotate(lines=Count("order_items")).values_list("pk", "lines").query
    assert list(annotated.selected) == ["pk", "lines"]
    assert Product.objects.all().query.selected is None


@seam("Query.select_for_update")
def _():
    assert Product.objects.select_for_update().query.select_for_update is True
    assert Product.objects.all().query.select_for_update is False


@seam("Query.chain")
def _():
    query = Product.objects.filter(pk=7).query.chain(UpdateQuery)
    assert isinstance(query, UpdateQuery) and query.has_filters()


@seam("UpdateQuery.add_update_values")
def _():
    query = Product.objects.filter(pk=7).query.chain(UpdateQuery)
    query.add_update_values({"stock_quantity": F("stock_quantity") - 1})
    sql, params = query.get_compiler(using="default").as_sql()
    assert sql.startswith("UPDATE") and "stock_quantity" in sql and 7 in params and 1 in params


@seam("UpdateQuery.related_updates")
def _():
    query = Product.objects.all().query.chain(UpdateQuery)
    query.add_update_values({"name": "x"})
    assert query.related_updates == {}


@seam("InsertQuery")
def _():
    assert InsertQuery(Product).model is Product


@seam("InsertQuery.insert_values")
def _():
    fields = [Product._meta.get_field("name"), Product._meta.get_field("price")]
    query = InsertQuery(Product)
    query.insert_values(fields, [Product(name="a", price=1), Product(name="b", price=2)])
    assert query.fields == fields and len(query.objs) == 2


@seam("SQLCompiler.as_sql")
def _():
    sql, params = Product.objects.filter(pk=-1_000_000_008).values("name").query.get_compiler("default").as_sql()
    assert sql.startswith("SELECT") and list(params) == [-1_000_000_008]  # a stand-in comes back as a parameter
    fields = [field for field in Product._meta.concrete_fields if field is not Product._meta.auto_field]
    for rows in (1, 3):
        query = InsertQuery(Product)
        query.insert_values(fields, [Product(name=str(n), price=n) for n in range(rows)])
        statements = query.get_compiler(connection=connection).as_sql()
        assert isinstance(statements, list) and len(statements) == 1, "an INSERT of several rows is one statement"
        [(sql, params)] = statements
        by_column = connection.vendor == "postgresql" and rows > 1  # INSERT … SELECT * FROM UNNEST(%s, …)
        assert len(params) == (len(fields) if by_column else rows * len(fields)), (sql, params)
        if by_column:
            assert all(isinstance(column, list) and len(column) == rows for column in params)


@seam("SQLCompiler.select")
def _():
    compiler = Product.objects.values("name", "price").query.get_compiler("default")
    compiler.as_sql()
    [(name, _, _), (price, _, _)] = compiler.select
    assert (name.target.name, price.target.name) == ("name", "price")


@seam("SQLCompiler.get_converters")
def _():
    compiler = Product.objects.values("price", "created_at").query.get_compiler("default")
    compiler.as_sql()
    converters = compiler.get_converters([expression for expression, _, _ in compiler.select])
    assert isinstance(converters, dict)
    for position, (functions, expression) in converters.items():
        assert isinstance(position, int) and all(callable(function) for function in functions), expression


@seam("SQLCompiler.apply_converters")
def _():
    ProductFactory(price="12.50")
    queryset = Product.objects.values_list("price", "created_at", "is_active")
    compiler = queryset.query.get_compiler("default")
    sql, params = compiler.as_sql()
    converters = compiler.get_converters([expression for expression, _, _ in compiler.select])
    with compiler.connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    assert [tuple(row) for row in compiler.apply_converters(rows, converters)] == list(queryset)


@seam("SQLCompiler.connection")
def _():
    assert Product.objects.all().query.get_compiler("default").connection is connections["default"]


@seam("SQLInsertCompiler.returning_fields")
def _():
    query = InsertQuery(Product)
    query.insert_values([Product._meta.get_field("name")], [Product(name="a")])
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [Product._meta.pk]
    [(sql, _)] = compiler.as_sql()
    assert "RETURNING" in sql.upper()


@seam("Query.count_active_tables")
def _():
    query = Product.objects.filter(stock_quantity__gte=1).query.chain(UpdateQuery)
    query.add_update_values({"stock_quantity": 1})
    query.get_compiler(using="default").as_sql()
    assert query.count_active_tables() == 1


@seam("Field.get_col")
def _():
    column = Product._meta.pk.get_col(Product._meta.db_table)
    assert column.target is Product._meta.pk and column.alias == Product._meta.db_table


@seam("BaseDatabaseFeatures.can_return_rows_from_bulk_insert")
def _():
    assert connection.features.can_return_rows_from_bulk_insert is True  # SQLite 3.35+ and PostgreSQL


@seam("BaseDatabaseFeatures.can_return_columns_from_insert")
def _():
    assert connection.features.can_return_columns_from_insert is True


@seam("BaseDatabaseWrapper.in_atomic_block")
def _():
    assert connection.in_atomic_block  # the test's own transaction
    with transaction.atomic():
        assert connection.in_atomic_block


# --- read_path.py: the searched page --------------------------------------------------------------------------


def searched_page():
    """A searched list's page as the pagination leaves it: `.values()` of the plan, a SearchCondition among the
    list's other filters, ordered and sliced."""
    queryset = Product.objects.filter(is_active=True).filter(SearchCondition(Q(name__icontains="LAMP")))
    return read_path.rows(read_path_serializer(), queryset).order_by("name", "id")[1:3]


def read_path_serializer():
    from products.serializers import ProductSerializer

    return ProductSerializer


@seam("Query.has_filters")
def _():
    assert Order.objects.filter(customer_id=1).query.has_filters()
    assert not Order.objects.all().query.has_filters() and not Order.objects.order_by("id")[:5].query.has_filters()


@seam("QuerySet._iterable_class")
def _():
    rows = read_path.rows(read_path_serializer(), Product.objects.filter(SearchCondition(Q(name__icontains="x"))))
    assert rows._iterable_class is read_path._SearchedPage
    assert Product.objects.values("name")._iterable_class is ValuesIterable


@seam("ValuesIterable")
def _():
    assert issubclass(read_path._SearchedPage, ValuesIterable)
    assert ValuesIterable(Product.objects.values("name")).queryset.model is Product


@seam("WhereNode.children")
def _():
    where = searched_page().query.where
    assert isinstance(where, WhereNode)
    [search] = [
        child for child in where.children if isinstance(child, Exact) and isinstance(child.lhs, SearchCondition)
    ]
    assert search.rhs is True and len(where.children) == 2  # and is_active=True


@seam("WhereNode.connector")
def _():
    assert searched_page().query.where.connector == AND


@seam("WhereNode.negated")
def _():
    assert searched_page().query.where.negated is False
    assert Product.objects.exclude(SearchCondition(Q(name__icontains="x"))).query.where.negated is False
    assert Product.objects.exclude(SearchCondition(Q(name__icontains="x"))).query.where.children[0].negated is True


@seam("Query.clone")
def _():
    query = searched_page().query
    clone = query.clone()
    clone.where.children = []
    assert query.where.children, "a clone's where must be its own"


@seam("Query.clear_ordering")
def _():
    query = searched_page().query.clone()
    query.clear_ordering(force=True)
    assert query.order_by == () and not query.default_ordering


@seam("Query.clear_limits")
def _():
    query = searched_page().query.clone()
    query.clear_limits()
    assert (query.low_mark, query.high_mark) == (0, None)


@seam("Query.low_mark")
def _():
    assert searched_page().query.low_mark == 1


@seam("Query.high_mark")
def _():
    assert searched_page().query.high_mark == 3


@seam("Query.order_by")
def _():
    assert searched_page().query.order_by == ("name", "id")


@seam("Query.add_annotation")
def _():
    query = searched_page().query.clone()
    query.add_annotation(ExpressionWrapper(Q(name__icontains="lamp"), output_field=BooleanField()), "search_hit")
    assert list(query.selected)[-1] == "search_hit"
    compiler = query.get_compiler("default")
    compiler.as_sql()
    assert len(compiler.select) == len(query.selected)


@seam("Query.combinator")
def _():
    assert searched_page().query.combinator is None
    assert Product.objects.values("name").union(Product.objects.values("name")).query.combinator == "union"


@seam("Query.distinct")
def _():
    assert searched_page().query.distinct is False and Product.objects.distinct().query.distinct is True


@seam("Query.extra")
def _():
    assert searched_page().query.extra == {}


@seam("Query.get_meta")
def _():
    assert searched_page().query.get_meta() is Product._meta


def documented_names(module) -> set[str]:
    """The `Class.name` entries of the module docstring's section on the private ORM API it relies on."""
    section = module.__doc__.split("Private ORM API", 1)[1].split("\n\n", 1)[0]
    return set(re.findall(r"`([A-Z][A-Za-z]+(?:\.[A-Za-z_]+)?)`", section))


def test_every_private_orm_name_the_modules_document_has_a_seam_test_and_no_other():
    assert documented_names(compiled) | documented_names(read_path) == set(SEAMS)


@pytest.mark.parametrize("name", SEAMS)
def test_a_private_orm_name_still_means_what_the_compiled_statements_take_it_to_mean(name):
    try:
        SEAMS[name]()
    except Exception as error:
        pytest.fail(
            f"Django {django.get_version()} changed `{name}`, which orderservice/database/compiled.py or "
            f"read_path.py's searched page relies on: {type(error).__name__}: {error}",
            pytrace=True,
        )


# --- The statements themselves --------------------------------------------------------------------------------


def test_a_compiled_select_runs_again_with_each_calls_values_and_converts_like_the_orm():
    products = [ProductFactory(price=price) for price in ("1.50", "20.00", "3.25")]

    def build(slots):
        return Product.objects.filter(pk__in=[slots.number(0), slots.number(1)], price__gte=2).values("id", "price")

    statement = compiled.statement(("test-select", 2), "default", build)
    for ids in ([products[0].pk, products[1].pk], [products[1].pk, products[2].pk]):
        assert statement.dicts(ids) == list(Product.objects.filter(pk__in=ids, price__gte=2).values("id", "price"))
    assert compiled.statement(("test-select", 2), "default", build) is statement  # compiled once


def test_inserted_rows_get_their_ids_and_are_saved_like_bulk_create_saves_them():
    order = place_order()
    items = [
        OrderItem(order=order, product_id=ProductFactory().pk, quantity=n, unit_price=1, total_price=n)
        for n in (5, 6, 7)
    ]
    assert compiled.insert(items) == items
    assert [(item.pk, item.quantity) for item in items] == list(
        OrderItem.objects.filter(order=order, quantity__gte=5).order_by("pk").values_list("pk", "quantity")
    )
    assert all(not item._state.adding and item._state.db == "default" for item in items)


def test_a_compiled_update_changes_the_rows_its_values_name():
    kept, changed = ProductFactory(stock_quantity=5), ProductFactory(stock_quantity=5)

    def build(slots):
        quantity = slots.number("quantity")
        return Product.objects.filter(pk=slots.number("id"), stock_quantity__gte=quantity), {
            "stock_quantity": F("stock_quantity") - quantity
        }

    update = compiled.update_statement(("test-update",), "default", build)
    assert update.changed({"id": changed.pk, "quantity": 2}) == 1
    assert update.changed({"id": changed.pk, "quantity": 4}) == 0  # 3 left: the condition refuses it
    assert dict(Product.objects.filter(pk__in=[kept.pk, changed.pk]).values_list("pk", "stock_quantity")) == {
        kept.pk: 5,
        changed.pk: 3,
    }


def test_each_thread_keeps_at_most_max_shapes_the_least_recently_used_dropped_first(monkeypatch):
    monkeypatch.setattr(compiled, "MAX_SHAPES", 3)
    compiled.clear()
    customer = CustomerFactory()
    compiles = []

    def build(slots):
        compiles.append(1)
        return Customer.objects.filter(pk=slots.number(0)).values("email")

    def read(shape):
        return compiled.statement(shape, "default", build).dicts([customer.pk])

    for shape in ("a", "b", "c", "a", "d"):  # "a" used again, so "b" is the least recently used when "d" comes
        assert read(shape) == [{"email": customer.email}]
    assert len(compiles) == 4
    assert [shape for _, shape in compiled._cache.statements] == ["c", "a", "d"]
    read("b")
    assert len(compiles) == 5 and len(compiled._cache.statements) == 3


def test_a_locked_read_compiled_for_the_read_alias_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="locked read runs on the write alias"):
        compiled.statement(("test-locked",), "replica", lambda slots: Product.objects.select_for_update().values("id"))


# --- Routing --------------------------------------------------------------------------------------------------


class ReadsFromTheReplica:
    """A read replica's router: reads of the shop's models from "replica", writes (and everything else) on default."""

    def db_for_read(self, model, **hints):
        return "replica" if model._meta.app_label in {"customers", "products", "orders"} else None

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return True


@pytest.fixture
def replica():
    """A second database, "replica": a clone of the test database as the test committed it, dropped afterwards (a
    copy of the SQLite file, a PostgreSQL database made from it as a template)."""
    default = connections["default"]
    default.close()  # SQLite: what is committed is then in the file, not in its WAL; PostgreSQL: a template is unused
    default.creation.clone_test_db(suffix="replica", verbosity=0)
    connections.settings["replica"] = default.creation.get_test_db_clone_settings("replica")
    # Connected here: Django's test case refuses to open a connection to an alias it was not told of when it began.
    connections["replica"].connect()
    try:
        yield connections["replica"]
    finally:
        connections["replica"].close()
        del connections["replica"]
        del connections.settings["replica"]
        compiled.clear()  # its statements' connections are gone
        default.creation.destroy_test_db(verbosity=0, suffix="replica")


def queries_on(alias: str):
    from django.test.utils import CaptureQueriesContext

    return CaptureQueriesContext(connections[alias])


def selects(captured) -> int:
    return sum(query["sql"].startswith("SELECT") for query in captured)


@pytest.mark.django_db(transaction=True)  # committed, so that the clone holds it; no test transaction around reads
def test_reads_run_where_the_router_sends_them_writes_and_locked_reads_on_default(api_client, settings, request):
    from orders import services
    from orders.serializers import OrderSerializer
    from products.serializers import ProductSerializer

    customer = CustomerFactory()
    lamp = ProductFactory(name="Lamp", stock_quantity=10)
    request.getfixturevalue("replica")  # cloned now, with the customer and the lamp
    Product.objects.filter(pk=lamp.pk).update(name="Lamp (after the clone)")  # default only: tells them apart
    settings.DATABASE_ROUTERS = [ReadsFromTheReplica()]

    # Reads: on the replica, compiled there (an object by id, a first page, rows by ids).
    with queries_on("replica") as on_replica, queries_on("default") as on_default:
        assert api_client.get(f"/api/products/{lamp.pk}").json()["name"] == "Lamp"
        assert [product["name"] for product in api_client.get("/api/products").json()] == ["Lamp"]
        assert api_client.get("/api/orders").json() == []
    assert (len(on_replica), len(on_default)) == (3, 0)

    # An order: its locked read, inserts and update on default, nothing on the replica.
    with queries_on("replica") as on_replica, queries_on("default") as on_default:
        order = services.order_create(customer_id=customer.pk, lines=[services.OrderLine(lamp.pk, 2)])
    assert len(on_replica) == 0
    statements = [query["sql"].split()[0] for query in on_default]
    assert (statements.count("SELECT"), statements.count("INSERT"), statements.count("UPDATE")) == (1, 4, 1)

    # A read inside a transaction open on the write alias reads there (the order exists only on default); the same
    # shape outside it runs on the replica, from a statement compiled for the replica, never default's.
    for _ in range(2):
        with queries_on("replica") as on_replica, queries_on("default") as on_default:
            with transaction.atomic():
                inside = read_path.represent_one(OrderSerializer, Order.objects.all(), order.pk)
                lamp_inside = read_path.represent_one(ProductSerializer, Product.objects.all(), lamp.pk)
            outside = read_path.represent_one(OrderSerializer, Order.objects.all(), order.pk)
            lamp_outside = read_path.represent_one(ProductSerializer, Product.objects.all(), lamp.pk)
        assert inside["id"] == order.pk and inside["order_items"][0]["product"]["name"] == "Lamp (after the clone)"
        assert (lamp_inside["name"], lamp_inside["stock_quantity"]) == ("Lamp (after the clone)", 8)
        assert outside is None and (lamp_outside["name"], lamp_outside["stock_quantity"]) == ("Lamp", 10)
        # default: the order, its items, the product; the replica: the order, the product
        assert (selects(on_default), selects(on_replica)) == (3, 2)
    assert {(using, shape[0].model) for using, shape in compiled._cache.statements if hasattr(shape[0], "model")} >= {
        ("default", Order),
        ("replica", Order),
        ("default", Product),
        ("replica", Product),
    }

    # Through the API: a POST with Idempotency-Key answers with the order it read back in its own transaction.
    with queries_on("replica") as on_replica:
        response = api_client.post(
            "/api/orders",
            {"customer_id": customer.pk, "order_items": [{"product_id": lamp.pk, "quantity": 1}]},
            format="json",
            HTTP_IDEMPOTENCY_KEY="routing-test",
        )
    assert response.status_code == 201 and response.json()["order_items"][0]["quantity"] == 1
    assert len(on_replica) == 0
