"""Statements compiled once per (database alias, shape) and run again with each call's values: the read path's hot
reads (orderservice/api/read_path.py) and an order's write statements (orders/services.py, products/stock.py,
orderservice/events/outbox.py).

Django builds and compiles a queryset, a `bulk_create` or an `update()` anew on every call, which costs more than
SQLite (or a local PostgreSQL) takes to run the statement. A shape that is asked for on every request is compiled
here by Django's own compiler the first time, then only run; each kept shape saves at least 10% of a request it
serves (docs/decisions/0001-compiled-sql.md; bench/compiled.py measures them against the plain ORM).

- `statement(shape, using, build)`: `build(slots)` is an ordinary `.values()` or `.values_list()` queryset with a
  stand-in from `slots` wherever a call's value goes; `update_statement(shape, using, build)`: `build(slots)` is a
  queryset and the changes of its `update()`. The SQL, its parameters and the converters of its columns come from the
  compiler built for `using`. A run puts the call's values in place of the stand-ins (the other parameters are
  constants the ORM added, kept), executes, fetches and converts the rows as the ORM converts them
  (`Statement.rows`, `.dicts`, `.changed`).
- `insert(objs)`: "n rows of this model", each row's values prepared by the fields' own `pre_save` and
  `get_db_prep_save`, as `bulk_create` does (no signals, no `save()`); the primary keys set from RETURNING.

Which database: every statement runs on the alias Django's routers choose, and the alias is part of its key, so a
statement compiled for one alias never runs on another. Reads: `read_alias(model)`, the router's read alias, except
while a transaction is open on the model's write alias: then the write alias, so that a write's own reads see what it
wrote (an order read back in its POST's transaction, with Idempotency-Key). Writes, and locked reads
(`select_for_update`): `write_alias(model)`. A queryset the caller was given: `alias_of(queryset)` (its own
`.using()`, else the rule above). A read made after the write's transaction committed follows the router like any
other read: with a replica behind it, the router decides whether that read may lag.

Per thread, because each thread has its own connections; at most MAX_SHAPES per thread, the least recently used
dropped first (a page size or a line count is part of a shape, and every `?limit=` from 1 to 1000 is a client's to
choose). A per-thread OrderedDict rather than `functools.lru_cache`: that is one cache for every thread, while a
compiled statement holds its thread's connection, and it would key on the `build` closure too, a new one per call.

Private ORM API this module relies on (Django 5.2), each pinned by a seam test in orderservice/tests/test_compiled.py
that fails with its name if an upgrade changes it:
- the queryset: `QuerySet.query`, and what decides its alias: `QuerySet._db` (`.using()`), `QuerySet._for_write`
  (`select_for_update`), `QuerySet._hints` (what a router is told);
- the query: `Query.get_compiler` (`using=` an alias, or `connection=`), `Query.selected` (a `.values()` query's
  column names, in the SQL's order), `Query.select_for_update`, `Query.chain` (to an UpdateQuery),
  `UpdateQuery.add_update_values`, `UpdateQuery.related_updates`, `Query.count_active_tables`, `InsertQuery` and
  `InsertQuery.insert_values`, and a column as an expression: `Field.get_col`;
- the compiler: `SQLCompiler.as_sql` (an insert's: a list of (sql, params), PostgreSQL's several rows one array per
  column), `SQLCompiler.select`, `SQLCompiler.get_converters`, `SQLCompiler.apply_converters`,
  `SQLCompiler.connection`, `SQLInsertCompiler.returning_fields`;
- the connection: `BaseDatabaseWrapper.in_atomic_block`, and whether an INSERT returns the ids:
  `BaseDatabaseFeatures.can_return_rows_from_bulk_insert`, `BaseDatabaseFeatures.can_return_columns_from_insert`.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router
from django.db.models import Field, Model, QuerySet
from django.db.models.sql import InsertQuery, UpdateQuery
from django.db.models.sql.compiler import SQLCompiler

M = TypeVar("M", bound=Model)

MAX_SHAPES = 256  # per thread; a shape holds a few kB (its SQL and compiler), up to ~80 kB for an `__in` of 1000 ids


# --- Which database -------------------------------------------------------------------------------------------


def write_alias(model: type[Model]) -> str:
    """Where writes of `model` and its locked reads run: the router's write alias."""
    return router.db_for_write(model)


def read_alias(model: type[Model], **hints: Any) -> str:
    """Where a read of `model` runs: the write alias while a transaction is open there (a write reading what it
    wrote), else the router's read alias."""
    write = router.db_for_write(model, **hints)
    return write if connections[write].in_atomic_block else router.db_for_read(model, **hints)


def alias_of(queryset: QuerySet) -> str:
    """Where `queryset` runs: the alias it was given with `.using()`, the write alias when it locks its rows
    (`select_for_update`), else `read_alias`."""
    if queryset._db is not None or queryset._for_write:  # type: ignore[attr-defined]  # private: seam-tested
        return queryset.db
    return read_alias(queryset.model, **queryset._hints)  # type: ignore[attr-defined]


# --- Stand-ins for a call's values ----------------------------------------------------------------------------


class Slots:
    """Distinct stand-ins for the values a statement is compiled with, each named after the value that replaces it
    in a run (any hashable name: an index, ("product", 2), "now"), for a statement compiled for `using`."""

    def __init__(self, using: str) -> None:
        self.using = using
        self.names: dict[Any, Hashable] = {}  # stand-in, as the database receives it -> the name of its value
        self._next = -1_000_000_007  # no id, quantity or constant the ORM adds is this

    def number(self, name: Hashable) -> int:
        """A distinct integer standing in for the value `name` (an id, a quantity)."""
        self._next -= 1
        return self._register(name, self._next)

    def moment(self, name: Hashable, model: type[Model], field_name: str) -> datetime:
        """A distinct date-time standing in for the value `name` of `model.field_name` (a run passes it as
        `db_value(model, field_name, value, using)`)."""
        self._next -= 1
        moment = datetime(1901, 1, 1, tzinfo=UTC) + timedelta(microseconds=-self._next)
        self._register(name, db_value(model, field_name, moment, self.using))
        return moment

    def _register(self, name: Hashable, value: Any) -> Any:
        if value in self.names:
            raise ImproperlyConfigured(f"stand-in {value!r} given twice")
        self.names[value] = name
        return value


def db_value(model: type[Model], field_name: str, value: Any, using: str) -> Any:
    """`value` as the database `using` receives it in `model.field_name` (what a compiled parameter holds)."""
    field = model._meta.get_field(field_name)
    if not isinstance(field, Field):
        raise ImproperlyConfigured(f"{model.__name__}.{field_name} is not a column")
    return field.get_db_prep_save(value, connections[using])


# --- A compiled statement, and the one runner -----------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Statement:
    """SQL compiled for one alias (its compiler's connection), with where each run's values go."""

    sql: str
    constants: tuple  # the compiled parameters
    # (position among the parameters, name of the value that goes there); None: a run's values are the parameters
    slots: tuple[tuple[int, Hashable], ...] | None
    names: tuple[str, ...]  # a `.values()` query's column names, in the order of the SQL's columns
    compiler: SQLCompiler  # built for the statement's alias: its connection, and what the converters need
    converters: dict
    returns_rows: bool = True

    def execute(self, values: Mapping | Sequence = ()) -> tuple[list[Sequence[Any]], int]:
        """Run it with `values` (by slot name, or by position for slots named 0…n-1): the rows, converted as the
        ORM converts them, and the number of rows the database says it changed."""
        if self.slots is None:
            params = values
        else:
            by_name = cast(Mapping[Any, Any], values)  # a list's slots are named by their index
            params = list(self.constants)
            for position, name in self.slots:
                params[position] = by_name[name]
        with self.compiler.connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall() if self.returns_rows else []
            count = cursor.rowcount
        if self.converters:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        return rows, count

    def rows(self, values: Mapping | Sequence = ()) -> list[Sequence[Any]]:
        """The rows (tuples, or lists once converted), as `.values_list()` gives their values."""
        return self.execute(values)[0]

    def dicts(self, values: Mapping | Sequence = ()) -> list[dict[str, Any]]:
        """The rows of a `.values()` statement, as `.values()` gives them."""
        names = self.names
        return [dict(zip(names, row)) for row in self.execute(values)[0]]

    def changed(self, values: Mapping | Sequence = ()) -> int:
        """The rows an UPDATE changed."""
        return self.execute(values)[1]


def _compile_select(queryset: QuerySet, using: str, slots: Slots) -> Statement:
    compiler = queryset.query.get_compiler(using=using)
    sql, params = compiler.as_sql()
    converters = compiler.get_converters([expression for expression, _, _ in compiler.select])
    return _statement(sql, params, slots, tuple(queryset.query.selected or ()), compiler, converters)


def _compile_update(queryset: QuerySet, changes: dict, using: str, slots: Slots) -> Statement:
    query = cast(UpdateQuery, queryset.query.chain(UpdateQuery))
    query.add_update_values(changes)
    compiler = query.get_compiler(using=using)
    sql, params = compiler.as_sql()
    if query.related_updates or query.count_active_tables() != 1:  # type: ignore[attr-defined]
        raise ImproperlyConfigured(f"{queryset.model.__name__}: not a single-table UPDATE")
    return _statement(sql, params, slots, (), compiler, {}, returns_rows=False)


def _statement(sql, params, slots: Slots, names, compiler, converters, returns_rows=True) -> Statement:
    stand_ins = slots.names
    positions = tuple(
        (position, stand_ins[param]) for position, param in enumerate(params) if _is_stand_in(param, stand_ins)
    )
    if {name for _, name in positions} != set(stand_ins.values()):
        raise ImproperlyConfigured(f"not every stand-in is a parameter of {sql}")
    if len(positions) == len(params) and all(position == name for position, name in positions):
        # Every parameter is a run's value, in order (an `__in` of n ids): a run's values are the parameters. Nothing
        # to keep for them, which matters for a shape of hundreds of ids.
        return Statement(sql, (), None, names, compiler, converters, returns_rows)
    return Statement(sql, tuple(params), positions, names, compiler, converters, returns_rows)


def _is_stand_in(param: Any, stand_ins: dict) -> bool:
    try:
        return param in stand_ins
    except TypeError:  # unhashable: a list or a JSON value, a constant
        return False


# --- The cache ------------------------------------------------------------------------------------------------


class _Cache(threading.local):
    def __init__(self) -> None:
        self.statements: OrderedDict[tuple[str, Hashable], Any] = OrderedDict()


_cache = _Cache()


def _cached(using: str, shape: Hashable, compile_: Callable[[], Any]) -> Any:
    statements, key = _cache.statements, (using, shape)
    found = statements.get(key)
    if found is None:
        found = statements[key] = compile_()
        if len(statements) > MAX_SHAPES:
            statements.popitem(last=False)
    else:
        statements.move_to_end(key)
    return found


def clear() -> None:
    """Forget this thread's compiled statements (a test that changes the schema or the databases)."""
    _cache.statements.clear()


def statement(shape: Hashable, using: str, build: Callable[[Slots], QuerySet]) -> Statement:
    """The SELECT of `build(slots)` (a `.values()` or `.values_list()` queryset) compiled for `using`, the first time
    this thread sees `shape` there. A locked read (`select_for_update`) must run on the write alias."""

    def compile_() -> Statement:
        slots = Slots(using)
        queryset = build(slots)
        if queryset.query.select_for_update and using != write_alias(queryset.model):
            raise ImproperlyConfigured(f"{shape!r}: a locked read runs on the write alias, not on {using!r}")
        return _compile_select(queryset, using, slots)

    return _cached(using, shape, compile_)


def update_statement(
    shape: Hashable, using: str, build: Callable[[Slots], tuple[QuerySet, dict[str, Any]]]
) -> Statement:
    """`queryset.update(**changes)` for `(queryset, changes) = build(slots)`, compiled for `using` (the write alias)
    the first time this thread sees `shape` there; `.changed(values)` runs it."""

    def compile_() -> Statement:
        slots = Slots(using)
        queryset, changes = build(slots)
        if using != write_alias(queryset.model):
            raise ImproperlyConfigured(f"{shape!r}: an UPDATE runs on the write alias, not on {using!r}")
        return _compile_update(queryset, changes, using, slots)

    return _cached(using, shape, compile_)


# --- Inserts --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Insert:
    statement: Statement
    fields: list
    by_column: bool  # PostgreSQL's several rows: one array parameter per column (INSERT … SELECT * FROM UNNEST(…))


def insert(objs: Sequence[M]) -> list[M]:
    """Insert new instances of one model in one statement on its write alias and set their primary keys, as
    `bulk_create(objs)` does (no signals, no `save()`); returns them."""
    if not objs:
        return list(objs)
    model = type(objs[0])
    using = write_alias(model)
    if not _returns_ids(connections[using], len(objs)):  # MySQL: the ORM's own way
        return model._default_manager.using(using).bulk_create(objs)
    compiled = _cached(using, ("insert", model, len(objs)), lambda: _compile_insert(model, objs, using))
    connection = compiled.statement.compiler.connection
    rows = [
        [field.get_db_prep_save(field.pre_save(obj, add=True), connection) for field in compiled.fields] for obj in objs
    ]
    values = [list(column) for column in zip(*rows)] if compiled.by_column else [value for row in rows for value in row]
    for obj, (pk,) in zip(objs, compiled.statement.rows(values), strict=True):
        obj.pk = pk
        obj._state.adding, obj._state.db = False, using
    return list(objs)


def _returns_ids(connection, rows: int) -> bool:
    features = connection.features
    return features.can_return_rows_from_bulk_insert or (rows == 1 and features.can_return_columns_from_insert)


def _compile_insert(model: type[Model], objs: Sequence[Model], using: str) -> _Insert:
    connection = connections[using]
    fields = [field for field in model._meta.concrete_fields if field is not model._meta.auto_field]
    query = InsertQuery(model)
    query.insert_values(fields, list(objs))
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [model._meta.pk]
    statements = compiler.as_sql()
    if len(statements) != 1:
        raise ImproperlyConfigured(f"{model.__name__}: {len(objs)} rows do not compile to one INSERT")
    [(sql, params)] = statements
    by_column = (
        len(objs) > 1
        and len(params) == len(fields)
        and all(isinstance(column, list) and len(column) == len(objs) for column in params)
    )
    if not by_column and len(params) != len(objs) * len(fields):
        raise ImproperlyConfigured(f"{model.__name__}: an INSERT of {len(params)} values for {len(objs)} rows")
    converters = compiler.get_converters([model._meta.pk.get_col(model._meta.db_table)])
    # Every parameter is a run's value: nothing of the first call's rows is kept as a constant.
    return _Insert(Statement(sql, (), None, (), compiler, converters), fields, by_column)
