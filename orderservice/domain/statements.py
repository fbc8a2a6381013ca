"""Statements compiled once per shape, for the write path of an order.

Django spends 0.1-0.25 ms building and compiling each `bulk_create`, `filter()` or `update()`, several times what
SQLite takes to run the statement, and placing an order runs six of them while it holds SQLite's single write lock
(PostgreSQL's row locks). These ask Django's own compiler for the SQL the first time they see a shape (per thread:
each has its own connection), and from then on only run it with new values:

- `insert`: "n rows of this model"; each row's values prepared with the fields' own `pre_save` and
  `get_db_prep_save`, exactly as `bulk_create` does.
- `select` and `update`: a queryset built once with stand-in values (`Slots`) where each run's values go; the
  compiled parameters that are stand-ins are replaced by that run's values, the others (constants the ORM adds)
  kept. The write-side twin of the read path's compiled queries (orderservice/api/read_path.py).
"""

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.sql import InsertQuery, UpdateQuery


class _CompiledStatements(threading.local):
    """Per thread, because each thread has its own database connection."""

    def __init__(self):
        self.inserts: dict = {}
        self.statements: dict = {}  # select and update


_compiled = _CompiledStatements()


def insert(objs: list[Model]) -> list[Model]:
    """Insert new instances of one model in one statement and set their primary keys, as `bulk_create(objs)` does
    (no signals, no `save()`); returns `objs`."""
    if not objs:
        return objs
    model = type(objs[0])
    connection = connections[router.db_for_write(model)]
    fields = [field for field in model._meta.concrete_fields if field is not model._meta.auto_field]
    shape = (model, len(objs), connection.alias)
    compiled = _compiled.inserts.get(shape)
    if compiled is None:
        compiled = _compiled.inserts[shape] = _compile(model, fields, objs, connection)
    sql, returns_pk, by_column = compiled
    rows = [[field.get_db_prep_save(field.pre_save(obj, add=True), connection) for field in fields] for obj in objs]
    # PostgreSQL inserts several rows as UNNEST of one array per column; elsewhere, one placeholder per value.
    values = [list(column) for column in zip(*rows)] if by_column else [value for row in rows for value in row]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        if returns_pk:
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = pk
        else:  # a backend that cannot return the ids of several rows: one row at a time has its last id
            objs[0].pk = connection.ops.last_insert_id(cursor, model._meta.db_table, model._meta.pk.column)
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias
    return objs


def _compile(model, fields, objs, connection) -> tuple[str, bool, bool]:
    query = InsertQuery(model)
    query.insert_values(fields, objs)
    compiler = query.get_compiler(connection=connection)
    returns_pk = connection.features.can_return_rows_from_bulk_insert or (
        len(objs) == 1 and connection.features.can_return_columns_from_insert
    )
    if returns_pk:
        compiler.returning_fields = [model._meta.pk]
    elif len(objs) > 1:
        raise ImproperlyConfigured(f"{connection.vendor} cannot return the ids of several inserted rows")
    statements = compiler.as_sql()
    if len(statements) != 1:
        raise ImproperlyConfigured(f"{model.__name__}: {len(objs)} rows do not compile to one INSERT")
    [(sql, params)] = statements
    # PostgreSQL's compiler sends several rows as one array per column (INSERT … SELECT * FROM UNNEST(…)).
    by_column = (
        len(objs) > 1
        and len(params) == len(fields)
        and all(isinstance(column, list) and len(column) == len(objs) for column in params)
    )
    if by_column:
        return sql, returns_pk, True
    if len(params) != len(objs) * len(fields):
        raise ImproperlyConfigured(f"{model.__name__}: an INSERT of {len(params)} values for {len(objs)} rows")
    return sql, returns_pk, False


class Slots:
    """Distinct stand-ins for the values a statement is compiled with, each named after the value it stands for."""

    def __init__(self):
        self.names: dict = {}  # stand-in, as the database receives it -> the name of the value that replaces it
        self._next = -1_000_000_007  # no id, quantity or constant the ORM adds is this

    def number(self, name) -> int:
        """A distinct integer standing in for the value `name` (an id, a quantity)."""
        self._next -= 1
        return self._register(name, self._next)

    def moment(self, name, model: type[Model], field_name: str) -> datetime:
        """A distinct date-time standing in for the value `name` of the field `model.field_name`."""
        self._next -= 1
        moment = datetime(1901, 1, 1, tzinfo=UTC) + timedelta(microseconds=-self._next)
        self._register(name, db_value(model, field_name, moment))
        return moment

    def _register(self, name, value):
        if value in self.names:
            raise ImproperlyConfigured(f"stand-in {value!r} given twice")
        self.names[value] = name
        return value


def db_value(model: type[Model], field_name: str, value):
    """`value` as the database receives it in `model.field_name` (what a compiled statement's parameter holds)."""
    return model._meta.get_field(field_name).get_db_prep_save(value, connections[router.db_for_write(model)])


class _Compiled:
    def __init__(self, compiler, sql: str, params, slots: Slots, converters=None):
        self.compiler, self.sql, self.converters = compiler, sql, converters
        # Each parameter: (name, None) where a run's value goes, (None, constant) where the ORM's constant stays.
        self.template = [
            (slots.names[param], None) if _is_stand_in(param, slots) else (None, param) for param in params
        ]
        if {name for name, _ in self.template if name is not None} != set(slots.names.values()):
            raise ImproperlyConfigured(f"not every stand-in is a parameter of {sql}")

    def run(self, values: dict):
        cursor = self.compiler.connection.cursor()
        cursor.execute(self.sql, [values[name] if name is not None else constant for name, constant in self.template])
        return cursor


def _is_stand_in(param, slots: Slots) -> bool:
    try:
        return param in slots.names
    except TypeError:  # unhashable: a list or a JSON value, a constant
        return False


def _once(shape, compile_: Callable[[], _Compiled]) -> _Compiled:
    compiled = _compiled.statements.get(shape)
    if compiled is None:
        compiled = _compiled.statements[shape] = compile_()
    return compiled


def select(shape, build: Callable[[Slots], QuerySet], values: dict) -> list[tuple]:
    """The rows of `build(slots).values_list(…)` with `values` (by slot name) in place of the stand-ins,
    converted as the ORM converts them; its SQL compiled the first time `shape` is seen."""

    def compile_():
        slots = Slots()
        queryset = build(slots)
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        return _Compiled(
            compiler, sql, params, slots, compiler.get_converters([column for column, _, _ in compiler.select])
        )

    compiled = _once(shape, compile_)
    with compiled.run(values) as cursor:
        rows = cursor.fetchall()
    return list(compiled.compiler.apply_converters(rows, compiled.converters)) if compiled.converters else rows


def update(shape, build: Callable[[Slots], tuple[QuerySet, dict]], values: dict) -> int:
    """`queryset.update(**changes)` for `(queryset, changes) = build(slots)`, with `values` in place of the
    stand-ins; the number of rows changed."""

    def compile_():
        slots = Slots()
        queryset, changes = build(slots)
        query = queryset.query.chain(UpdateQuery)
        query.add_update_values(changes)
        compiler = query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        if query.related_updates or compiler.query.count_active_tables() != 1:
            raise ImproperlyConfigured(f"{queryset.model.__name__}: not a single-table UPDATE")
        return _Compiled(compiler, sql, params, slots)

    with _once(shape, compile_).run(values) as cursor:
        return cursor.rowcount
