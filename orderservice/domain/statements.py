"""INSERTs compiled once per shape, for the write path of an order.

Django spends 0.1-0.25 ms building and compiling each `bulk_create` or `create`, several times what SQLite takes to
run the statement, and placing an order runs four of them while it holds SQLite's single write lock (PostgreSQL's
row locks). `insert` asks Django's own compiler for the SQL of "n rows of this model" the first time it sees that
shape (per thread: each has its own connection), and from then on only prepares each row's values with the fields'
own `pre_save` and `get_db_prep_save`, exactly as `bulk_create` does, and runs it. The write-side twin of the read
path's compiled queries (orderservice/api/read_path.py).
"""
import threading

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router
from django.db.models import Model
from django.db.models.sql import InsertQuery


class _CompiledInserts(threading.local):
    def __init__(self):
        self.by_shape: dict = {}


_compiled = _CompiledInserts()


def insert(objs: list[Model]) -> list[Model]:
    """Insert new instances of one model in one statement and set their primary keys, as `bulk_create(objs)` does
    (no signals, no `save()`); returns `objs`."""
    if not objs:
        return objs
    model = type(objs[0])
    connection = connections[router.db_for_write(model)]
    fields = [field for field in model._meta.concrete_fields if field is not model._meta.auto_field]
    shape = (model, len(objs), connection.alias)
    compiled = _compiled.by_shape.get(shape)
    if compiled is None:
        compiled = _compiled.by_shape[shape] = _compile(model, fields, objs, connection)
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
        len(objs) == 1 and connection.features.can_return_columns_from_insert)
    if returns_pk:
        compiler.returning_fields = [model._meta.pk]
    elif len(objs) > 1:
        raise ImproperlyConfigured(f"{connection.vendor} cannot return the ids of several inserted rows")
    statements = compiler.as_sql()
    if len(statements) != 1:
        raise ImproperlyConfigured(f"{model.__name__}: {len(objs)} rows do not compile to one INSERT")
    [(sql, params)] = statements
    # PostgreSQL's compiler sends several rows as one array per column (INSERT … SELECT * FROM UNNEST(…)).
    by_column = len(objs) > 1 and len(params) == len(fields) and all(
        isinstance(column, list) and len(column) == len(objs) for column in params)
    if by_column:
        return sql, returns_pk, True
    if len(params) != len(objs) * len(fields):
        raise ImproperlyConfigured(f"{model.__name__}: an INSERT of {len(params)} values for {len(objs)} rows")
    return sql, returns_pk, False
