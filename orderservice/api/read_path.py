"""The fast read path: the JSON of a serializer, made from `.values()` rows, exactly as DRF would make it.

DRF's serializers read model instances and walk their fields generically on every row, and DRF builds and
deep-copies every serializer's fields on each use. On a list of 50 orders, each with its customer and two
items with their products, that (with Django instantiating ~250 model objects) was most of a request's time.
Here each serializer class is compiled once into a `Plan`: the columns to select and, per field, how its value
is written. Reads then select plain rows; each distinct nested object (an order's customer, an item's product)
is fetched and written once per response, and nested lists (an order's items) are fetched with one query for
the whole page. The converters reproduce DRF's `to_representation` for the field types this service uses and
refuse any other, so a new field type cannot silently render differently. Timestamps are written in UTC: the
service's TIME_ZONE is UTC and nothing activates another. orderservice/tests/test_read_path.py compares both
paths' JSON byte for byte.

The hot reads (an object by id, rows by ids, a list's first page) are compiled once per shape and database alias,
and run on the alias Django's routers choose, by orderservice/database/compiled.py (which lists the private ORM API
it relies on). A searched list's page is one statement of its own (`_SearchedPage`, `_searched_page_sql`), run by the
same module. Private ORM API it relies on (Django 5.2), each pinned by a seam test in
orderservice/tests/test_compiled.py that fails with its name if an upgrade changes it: `Query.has_filters` (a
narrowed queryset, one customer's, is not read as a shape of its own); for the searched page `QuerySet._iterable_class`
and `ValuesIterable` (the rows of a `.values()` queryset); the query's `WhereNode.children`, `WhereNode.connector`
and `WhereNode.negated` (a `.filter(SearchCondition(…))` is one `Exact(condition, True)` among the top-level
conditions), `Query.clone`, `Query.clear_ordering`, `Query.clear_limits`, `Query.low_mark`, `Query.high_mark`,
`Query.order_by`, `Query.selected`, `Query.add_annotation`, `Query.combinator`, `Query.distinct`, `Query.extra`,
`Query.get_meta`; and the compiler's `SQLCompiler.select`.

Writes still answer through the serializers themselves, except an order, which is read back like GET shows it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC
from decimal import Decimal
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import BooleanField, ExpressionWrapper, ForeignKey, Model, QuerySet
from django.db.models.lookups import Exact
from django.db.models.query import ValuesIterable
from django.db.models.sql.where import AND
from rest_framework import fields, serializers
from rest_framework.settings import api_settings

from orderservice.api.filters import SearchCondition
from orderservice.database import compiled
from orderservice.domain.limits import as_id


def _utc_timestamp(value):
    # DRF's DateTimeField: ISO 8601 in the current time zone (UTC here), "+00:00" written as "Z". Both
    # databases hand back UTC, so nothing is converted. Not shared with another function: this runs for every
    # timestamp of a list, and a call more per timestamp shows.
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _decimal_converter(field: fields.DecimalField):
    if (
        not getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
        or field.localize
        or field.decimal_places is None
    ):
        return field.to_representation
    exponent = Decimal(1).scaleb(-field.decimal_places)

    def money(value):
        value = value if isinstance(value, Decimal) else Decimal(str(value).strip())
        return format(value.quantize(exponent, rounding=field.rounding), "f")

    return money


def _converter(field) -> Callable[[Any], Any]:
    """How DRF writes a value of this field, or an error for a field type this path does not know."""
    if type(field) is fields.DateTimeField and getattr(field, "format", fields.empty) is fields.empty:
        return _utc_timestamp
    if type(field) is fields.DecimalField:
        return _decimal_converter(field)
    if type(field) is fields.IntegerField or (
        type(field) is fields.BigIntegerField
        and not getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING)
    ):
        return int
    if type(field) in (fields.CharField, fields.EmailField):
        return str
    if type(field) in (fields.BooleanField, fields.ChoiceField):
        return field.to_representation
    raise ImproperlyConfigured(
        f"the fast read path does not know how DRF writes {type(field).__name__} "
        f"({field.field_name}); add it to orderservice.api.read_path"
    )


@dataclass(frozen=True)
class Value:
    """A plain field: the row's `column`, written by `convert` (None stays None)."""

    name: str
    column: str
    convert: Callable[[Any], Any]


@dataclass(frozen=True)
class NestedObject:
    """A foreign key written as the object it points to (an order's customer)."""

    name: str
    column: str  # the foreign key's column in this plan's rows: customer_id
    plan: "Plan"
    join_prefix: str  # the lookup prefix of its columns when joined into this plan's query: customer__


@dataclass(frozen=True)
class NestedList:
    """A reverse foreign key written as a list (an order's items), in the child's ordering."""

    name: str
    link: ForeignKey  # the child's foreign key to this plan's model: OrderItem.order
    plan: "Plan"


@dataclass(eq=False)  # compared and hashed by identity: a plan is part of a compiled query's key
class Plan:
    """One serializer compiled for rows: `columns` for `.values()`, and per output field what to do."""

    model: type[Model]
    columns: list[str]  # its own, and the foreign keys of nested objects
    fields: list[Value | NestedObject | NestedList] = dataclass_field(default_factory=list)
    joined_columns: list[str] = dataclass_field(default_factory=list)  # and the nested objects' own, joined

    @property
    def pk_column(self) -> str:
        return self.model._meta.pk.attname

    def nested(self, kind: type) -> list:
        return [field for field in self.fields if isinstance(field, kind)]


def _compile(serializer) -> Plan:
    model = serializer.Meta.model
    plan = Plan(model=model, columns=[])
    for name, field in serializer.fields.items():
        if field.write_only:
            continue
        if isinstance(field, serializers.ListSerializer):  # a reverse foreign key (an order's items)
            link = model._meta.get_field(field.source).field
            child = _compile(field.child)
            if link.attname not in child.columns:
                child.columns.append(link.attname)
            plan.fields.append(NestedList(name, link, child))
        elif isinstance(field, serializers.Serializer):  # a foreign key (an order's customer)
            column = model._meta.get_field(field.source).attname
            if column not in plan.columns:
                plan.columns.append(column)
            nested = _compile(field)
            if nested.nested(NestedList):
                raise ImproperlyConfigured(f"{name}: a list inside a nested object is not supported")
            plan.fields.append(NestedObject(name, column, nested, f"{field.source}__"))
        else:
            column = "__".join(field.source_attrs)
            plan.columns.append(column)
            plan.fields.append(Value(name, column, _converter(field)))
    if plan.pk_column not in plan.columns:
        plan.columns.append(plan.pk_column)
    plan.joined_columns = list(plan.columns)
    for nested in plan.nested(NestedObject):
        plan.joined_columns += [nested.join_prefix + column for column in nested.plan.joined_columns]
    return plan


_plans: dict[type, Plan] = {}


def plan_for(serializer_class) -> Plan:
    plan = _plans.get(serializer_class)
    if plan is None:
        plan = _plans[serializer_class] = _compile(serializer_class())
    return plan


def rows(serializer_class, queryset: QuerySet) -> QuerySet:
    """The queryset as the plain rows the serializer's JSON is made from (filter, order and slice it freely), on the
    alias `compiled.alias_of` chooses. A searched list's page is read as `_SearchedPage` reads it."""
    found = queryset.using(compiled.alias_of(queryset)).values(*plan_for(serializer_class).columns)
    if _search_condition(found.query) is not None:
        found._iterable_class = _SearchedPage
    return found


def represent(serializer_class, page) -> list[dict]:
    """The serializer's JSON (as Python data) for rows from `rows()`, in their order."""
    return _represent(plan_for(serializer_class), list(page))


def represent_one(serializer_class, queryset: QuerySet, pk):
    """One object's JSON by its id, or None when there is none (or the id cannot be one)."""
    plan = plan_for(serializer_class)
    pk = as_id(pk)
    if pk is None:
        return None
    using = compiled.alias_of(queryset)
    if queryset.query.has_filters():  # narrowed (one customer's): the ORM builds it, nested objects joined
        found = list(queryset.using(using).filter(pk=pk).values(*plan.joined_columns))
    else:  # its nested objects joined into the same query (and into its items'), compiled once
        found = _select(plan, "pk", [pk], joined=True, using=using)
    return _represent(plan, found, joined=True)[0] if found else None


# The hot reads ask the same few shapes every time: an object by id, a page's items or customers by ids, a list's
# first page. Each is compiled by the ORM once per shape and alias (orderservice.database.compiled), then run with
# each request's values.


def _select(plan: Plan, lookup: str, values: list, joined=False, using: str | None = None) -> list[dict]:
    """Rows of the plan's columns (`joined`: and its nested objects') where `lookup` is one of `values`, in the
    model's ordering, read on `using` (by default where the router reads the plan's model)."""
    if not values:
        return []
    columns = plan.joined_columns if joined else plan.columns

    def build(slots: compiled.Slots) -> QuerySet:
        stand_ins = [slots.number(index) for index in range(len(values))]  # distinct: `__in` drops repeated values
        return plan.model._default_manager.filter(**{f"{lookup}__in": stand_ins}).values(*columns)

    using = using or compiled.read_alias(plan.model)
    return compiled.statement((plan, lookup, len(values), joined), using, build).dicts(values)


def first_page(serializer_class, queryset: QuerySet, ordering, limit: int, shape) -> list[dict]:
    """The first `limit` rows of an unfiltered list in `ordering`. `shape` names the view the queryset comes
    from: its SQL is compiled on the first request and reused, so it must be the same on every request."""
    if queryset.query.has_filters():
        raise ImproperlyConfigured("first_page() is for the unfiltered list only")
    return compiled.statement(
        (shape, plan_for(serializer_class), tuple(ordering), limit),
        compiled.alias_of(queryset),
        lambda slots: rows(serializer_class, queryset).order_by(*ordering)[:limit],
    ).dicts()


def _represent(plan: Plan, page: list[dict], joined=False) -> list[dict]:
    """The JSON of a page of rows. Not `joined` (a list): each distinct nested object is fetched by id and written
    once, then shared by the rows that refer to it; `joined` (one object): they are in the rows already."""
    out = [_represent_row(plan, row, joined) for row in page]
    if not joined:
        for nested in plan.nested(NestedObject):
            found = _select(nested.plan, "pk", sorted({row[nested.column] for row in page} - {None}))
            by_id = {row[nested.plan.pk_column]: written for row, written in zip(found, _represent(nested.plan, found))}
            for row, written in zip(page, out):
                written[nested.name] = by_id.get(row[nested.column])
    for nested in plan.nested(NestedList):  # all the page's children in one query
        by_parent = {row[plan.pk_column]: written for row, written in zip(page, out)}
        for written in out:
            written[nested.name] = []
        children = _select(nested.plan, nested.link.name, list(by_parent), joined)
        for row, written in zip(children, _represent(nested.plan, children, joined)):
            by_parent[row[nested.link.attname]][nested.name].append(written)
    return out


def _represent_row(plan: Plan, row: dict, joined=False, prefix="") -> dict:
    written = {}
    for field in plan.fields:
        if isinstance(field, Value):
            value = row[prefix + field.column]
            written[field.name] = None if value is None else field.convert(value)
        elif isinstance(field, NestedObject) and joined:
            written[field.name] = (
                None
                if row[prefix + field.column] is None
                else _represent_row(field.plan, row, True, prefix + field.join_prefix)
            )
        else:
            written[field.name] = None  # filled in by _represent, for the whole page at once
    return written


# A searched page (?search=, on PostgreSQL). A page of the rows that match, in the list's ordering, costs either
# the rows before them in that ordering (walk the ordering's index until the page is full of matches) or the
# matches themselves (all of them, found by the trigram indexes, then sorted). PostgreSQL's planner picks one by
# assuming the matches are spread evenly along the ordering; when they are not (every "Wireless …" product sorts
# under W), its walk reads the whole table. So the page query tries them in turn, as one statement:
# - it walks _WALK_FIRST rows of the ordering per row it wants (from the cursor, the list's other filters applied):
#   the page of a word in 1 row in 4 or more (a word of every email or order number); ~0.5 ms when it is not there
#   (each row walked is a heap row read and tested, ~1 µs);
# - if they do not hold the page, their share d of matches estimates both plans: a walk needs wanted / d rows, the
#   matches are d x the table's rows. When the walk needs fewer, and at most _WALK_FURTHER rows per wanted row (and
#   _WALK_FURTHER_MOST in all), it walks on that far (a word in 1 product in 20 sorted by price; a month of the
#   million orders sorted by amount); if that still does not hold the page (its matches were fewer further on: ~10 ms
#   for a page of 100 at worst), it goes on to the next;
# - otherwise it takes every match and sorts it (a rare word; matches that cluster elsewhere in the ordering).
# Either way the rows are exactly the plain query's.
_WALK_FIRST = 4
_WALK_FURTHER = 100
_WALK_FURTHER_MOST = 10_000


def _search_condition(query) -> SearchCondition | None:
    """The SearchCondition the query is filtered on (BoundedSearchFilter puts it there on PostgreSQL), or None."""
    found = [
        child.lhs
        for child in query.where.children
        if isinstance(child, Exact) and isinstance(child.lhs, SearchCondition)
    ]
    return found[0] if len(found) == 1 and query.where.connector == AND and not query.where.negated else None


class _SearchedPage(ValuesIterable):
    """A searched list's rows (`.values()` dicts), through `_searched_page_sql` when the query is a page of it."""

    def __iter__(self):
        statement = _searched_page_sql(self.queryset.query, self.queryset.db)
        if statement is None:  # not a page (the pagination always slices it), or not a shape this knows
            yield from super().__iter__()
            return
        yield from statement.dicts()


def _searched_page_sql(query, using: str) -> compiled.Statement | None:
    """The searched page `query` as one statement for `using` that walks the ordering only so far and, when that
    does not hold the page, sorts every match; None when the query is not a page of a plain ordered `.values()` list
    with one SearchCondition. Built for each request (its search and page are part of the SQL), not cached."""
    connection = connections[using]
    condition = _search_condition(query)
    if (
        condition is None
        or connection.vendor != "postgresql"
        or query.high_mark is None
        or not query.order_by
        or query.combinator
        or query.distinct
        or query.extra
        or not query.selected
    ):
        return None
    names = list(query.selected)
    if not all(isinstance(value, int) for value in query.selected.values()):
        return None  # an annotation or extra among the columns
    quote = connection.ops.quote_name
    ordering, by_position = [], []
    for item in query.order_by:
        if not isinstance(item, str):
            return None
        name = item.lstrip("-")
        name = query.get_meta().pk.attname if name == "pk" else name
        if name not in names:
            return None  # the page's columns must hold what it is ordered by
        direction = "DESC" if item.startswith("-") else "ASC"
        ordering.append(f"{quote(name)} {direction}")
        by_position.append(f"{names.index(name) + 1} {direction}")
    wanted, skip = query.high_mark, query.low_mark
    hit = "search_hit"
    if hit in names:
        return None
    positions = ", ".join(by_position)

    # The page's rows (its filters and cursor, not the search) with the search as a column instead, in no order
    # and unlimited: compiled once, and read by each of the three parts below.
    candidates = query.clone()
    candidates.where.children = [
        child
        for child in candidates.where.children
        if not (isinstance(child, Exact) and isinstance(child.lhs, SearchCondition))
    ]
    candidates.clear_ordering(force=True)
    candidates.clear_limits()
    candidates.add_annotation(ExpressionWrapper(condition.q, output_field=BooleanField()), hit)
    compiler = candidates.get_compiler(using=using)
    candidates_sql, params = compiler.as_sql()
    converters = compiler.get_converters([column for column, _, _ in compiler.select[: len(names)]])

    columns = ", ".join(quote(name) for name in names)
    order = ", ".join(ordering)
    first = _WALK_FIRST * wanted
    further = max(min(_WALK_FURTHER * wanted, _WALK_FURTHER_MOST), first)
    # The planner's estimate of the table's rows, whatever the other filters (unknown, -1, before the table was ever
    # analyzed: then the bound on the further walk alone decides).
    table_rows = (
        f"SELECT CASE WHEN reltuples < 0 THEN 'Infinity' ELSE reltuples END FROM pg_class "
        f"WHERE oid = '{quote(query.get_meta().db_table)}'::regclass"
    )

    def walk(rows: int) -> str:  # the page's matches among its first `rows` candidates, stopping once it has them
        return (
            f'SELECT {columns} FROM ({candidates_sql} ORDER BY {positions} LIMIT {rows}) AS "walk" '
            f"({columns}, {quote(hit)}) WHERE {quote(hit)} ORDER BY {order} LIMIT {wanted}"
        )

    sql = (
        f'WITH "search_walk" AS MATERIALIZED ({walk(first)}), '
        f'"search_walk_further" AS MATERIALIZED ({walk(further)}), '
        # Which part answers: 1 the first walk, when it holds the page; else 2 the further walk, tried only when the
        # first one's matches say that it will hold the page; else 3 every match. CASE and AND evaluate lazily, and
        # a CTE runs only as far as it is read: what is not needed never runs.
        f'"search_answer" AS (SELECT CASE '
        f'WHEN (SELECT count(*) FROM "search_walk") >= {wanted} THEN 1 '
        f'WHEN (SELECT count(*) FROM "search_walk") * {further} >= {wanted * first} '
        f'AND (SELECT count(*) FROM "search_walk") ^ 2 * ({table_rows}) >= {wanted * first * first} '
        f'AND (SELECT count(*) FROM "search_walk_further") >= {wanted} THEN 2 ELSE 3 END AS "part") '
        f"SELECT {columns} FROM ("
        f'SELECT {columns} FROM "search_walk" WHERE (SELECT "part" FROM "search_answer") = 1 '
        f"UNION ALL "
        f'SELECT {columns} FROM "search_walk_further" WHERE (SELECT "part" FROM "search_answer") = 2 '
        f"UNION ALL "
        # Every match, as the planner finds all of them: the search is pushed down into the candidates' WHERE, where
        # the trigram indexes serve it; OFFSET 0 plans it apart from the page's ORDER BY and LIMIT, which would make
        # the planner walk the ordering again.
        f'SELECT {columns} FROM (SELECT {columns} FROM ({candidates_sql}) AS "candidates" ({columns}, {quote(hit)}) '
        f'WHERE {quote(hit)} OFFSET 0) AS "matches" WHERE (SELECT "part" FROM "search_answer") = 3'
        f') AS "page" ORDER BY {order} LIMIT {wanted - skip} OFFSET {skip}'
    )
    return compiled.Statement(sql, (*params, *params, *params), (), tuple(names), compiler, converters)
