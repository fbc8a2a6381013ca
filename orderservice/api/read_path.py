"""The fast read path: the JSON of a serializer, made from `.values()` rows, exactly as DRF would make it.

DRF's serializers read model instances and walk their fields generically on every row, and DRF builds and
deep-copies every serializer's fields on each use. On a list of 50 orders, each with its customer and two
items with their products, that (with Django instantiating and prefetching ~250 model objects) was most of a
request's time. Here each serializer class is compiled once into a plan: the columns to select and, per
field, how its value is written. Reads then select plain rows; each distinct nested object (an order's
customer, an item's product) is fetched and written once per response, and nested lists (an order's items)
are fetched with one query for the whole page. The converters reproduce DRF's `to_representation` for the field
types this service uses and refuse any other, so a new field type cannot silently render differently.
orderservice/tests/test_read_path.py compares both paths' JSON byte for byte.

Writes still answer through the serializers themselves, except an order, which is read back like GET shows it.
"""
import threading
from dataclasses import dataclass, field as dataclass_field
from datetime import timezone as dt_timezone
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured, ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import fields, serializers
from rest_framework.settings import api_settings


def _utc_timestamp(value):
    # DRF's DateTimeField: to the current time zone, ISO 8601, "+00:00" written as "Z". Both databases hand
    # back UTC, and this converter is used only while the current time zone is UTC, so nothing is converted.
    # (Written out here and below rather than shared: this runs for every timestamp of a list.)
    if value.tzinfo is not dt_timezone.utc:
        value = value.astimezone(dt_timezone.utc)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _local_timestamp(value):
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _decimal_converter(field: fields.DecimalField):
    if not getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING) or field.localize \
            or field.decimal_places is None:
        return field.to_representation
    exponent = Decimal(1).scaleb(-field.decimal_places)

    def money(value):
        value = value if isinstance(value, Decimal) else Decimal(str(value).strip())
        return format(value.quantize(exponent, rounding=field.rounding), "f")
    return money


def _converter(field, utc: bool):
    """How DRF writes a value of this field, or an error for a field type this path does not know."""
    if type(field) is fields.DateTimeField and getattr(field, "format", fields.empty) is fields.empty:
        return _utc_timestamp if utc else _local_timestamp
    if type(field) is fields.DecimalField:
        return _decimal_converter(field)
    if type(field) is fields.IntegerField or (type(field) is fields.BigIntegerField and not getattr(
            field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING)):
        return int
    if type(field) in (fields.CharField, fields.EmailField):
        return str
    if type(field) in (fields.BooleanField, fields.ChoiceField):
        return field.to_representation
    raise ImproperlyConfigured(f"the fast read path does not know how DRF writes {type(field).__name__} "
                               f"({field.field_name}); add it to orderservice.api.read_path")


VALUE, NESTED_OBJECT, NESTED_LIST = "value", "object", "list"


@dataclass(eq=False)  # compared and hashed by identity: a plan is part of a compiled query's key
class Plan:
    """One serializer compiled for rows: `columns` for `.values()`, and per output field what to do."""

    model: type
    columns: list[str]  # its own, and the foreign keys of nested objects
    fields: list[tuple] = dataclass_field(default_factory=list)  # (kind, name, column or link, how)
    joined_columns: list[str] = dataclass_field(default_factory=list)  # and the nested objects' own, joined

    @property
    def pk_column(self) -> str:
        return self.model._meta.pk.attname


def _compile(serializer, utc: bool) -> Plan:
    model = serializer.Meta.model
    plan = Plan(model=model, columns=[])
    for name, field in serializer.fields.items():
        if field.write_only:
            continue
        if isinstance(field, serializers.ListSerializer):  # a reverse foreign key (an order's items)
            link = model._meta.get_field(field.source).field  # e.g. OrderItem.order
            child = _compile(field.child, utc)
            if link.attname not in child.columns:
                child.columns.append(link.attname)
            plan.fields.append((NESTED_LIST, name, link, child))
        elif isinstance(field, serializers.Serializer):  # a foreign key (an order's customer)
            column = model._meta.get_field(field.source).attname  # customer_id
            if column not in plan.columns:
                plan.columns.append(column)
            nested = _compile(field, utc)
            if any(kind == NESTED_LIST for kind, *_ in nested.fields):
                raise ImproperlyConfigured(f"{name}: a list inside a nested object is not supported")
            plan.fields.append((NESTED_OBJECT, name, column, (nested, f"{field.source}__")))
        else:
            column = "__".join(field.source_attrs)
            plan.columns.append(column)
            plan.fields.append((VALUE, name, column, _converter(field, utc)))
    if plan.pk_column not in plan.columns:
        plan.columns.append(plan.pk_column)
    plan.joined_columns = list(plan.columns)
    for kind, name, column, how in plan.fields:
        if kind == NESTED_OBJECT:
            nested, prefix = how
            plan.joined_columns += [prefix + nested_column for nested_column in nested.joined_columns]
    return plan


_plans: dict = {}


def plan_for(serializer_class) -> Plan:
    utc = timezone.get_current_timezone_name() == "UTC"
    plan = _plans.get((serializer_class, utc))
    if plan is None:
        plan = _plans[serializer_class, utc] = _compile(serializer_class(), utc)
    return plan


def rows(serializer_class, queryset: QuerySet) -> QuerySet:
    """The queryset as the plain rows the serializer's JSON is made from (filter, order and slice it freely)."""
    if queryset.query.select_related:  # nested objects and lists are fetched by _represent, for a page at once
        queryset = queryset.select_related(None)
    if queryset._prefetch_related_lookups:
        queryset = queryset.prefetch_related(None)
    return queryset.values(*plan_for(serializer_class).columns)


def represent(serializer_class, page) -> list[dict]:
    """The serializer's JSON (as Python data) for rows from `rows()`, in their order."""
    return _represent(plan_for(serializer_class), list(page))


def represent_one(serializer_class, queryset: QuerySet, pk):
    """One object's JSON by its id, or None when there is none (or the id cannot be one)."""
    plan = plan_for(serializer_class)
    try:
        if queryset.query.has_filters():  # a narrowed queryset: only the ORM can say what it selects
            found, joined = list(rows(serializer_class, queryset.filter(pk=pk))), False
        else:  # its nested objects joined into the same query, and into its items'
            found = _select(plan, "pk", [_checked_id(plan.model._meta.pk.to_python(pk))], joined=True)
            joined = True
    except (TypeError, ValueError, OverflowError, DjangoValidationError):
        return None
    return _represent(plan, found, joined)[0] if found else None


def _checked_id(value):
    if isinstance(value, int) and not -2**63 <= value < 2**63:
        raise OverflowError("no row has an id beyond 64 bits")  # and SQLite cannot even bind it
    return value


# Building and compiling a query costs Django ~0.5 ms here, several times what SQLite takes to run it, and the hot
# reads ask the same few shapes every time: an object by id, a page's items or customers by ids, a list's first
# page. Their SQL, column names and value converters are compiled by the ORM itself once per shape, then run
# with each request's values.


class _CompiledQueries(threading.local):
    """Per thread, because each thread has its own database connection."""

    def __init__(self):
        self.by_shape = {}


_compiled = _CompiledQueries()


def _compile_once(shape, build, params_must_be=None):
    compiled = _compiled.by_shape.get(shape)
    if compiled is None:
        queryset = build()
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        if params_must_be is not None and list(params) != params_must_be:
            raise ImproperlyConfigured(f"{queryset.model.__name__}: unexpected parameters {params!r} in {sql}")
        converters = compiler.get_converters([column for column, _, _ in compiler.select])
        compiled = _compiled.by_shape[shape] = (sql, list(params), list(queryset.query.values_select), compiler,
                                                converters)
    return compiled


def _run(compiled, params) -> list[dict]:
    sql, _, names, compiler, converters = compiled
    with compiler.connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    if converters:
        found = compiler.apply_converters(found, converters)
    return [dict(zip(names, row)) for row in found]


def _select(plan: Plan, lookup: str, values: list, joined=False) -> list[dict]:
    """Rows of the plan's columns (`joined`: and its nested objects') where `lookup` is one of `values`, in the
    model's ordering."""
    if not values:
        return []
    placeholders = list(range(1, len(values) + 1))  # distinct: `__in` drops repeated values
    columns = plan.joined_columns if joined else plan.columns
    compiled = _compile_once((plan, lookup, len(values), joined), lambda: plan.model._default_manager.filter(
        **{f"{lookup}__in": placeholders}).values(*columns), params_must_be=placeholders)
    return _run(compiled, values)


def first_page(serializer_class, queryset: QuerySet, ordering, limit: int, shape) -> list[dict]:
    """The first `limit` rows of an unfiltered list in `ordering`. `shape` names the view the queryset comes
    from: its SQL is compiled on the first request and reused, so it must be the same on every request."""
    if queryset.query.has_filters():
        raise ImproperlyConfigured("first_page() is for the unfiltered list only")
    compiled = _compile_once((shape, plan_for(serializer_class), tuple(ordering), limit),
                             lambda: rows(serializer_class, queryset).order_by(*ordering)[:limit])
    return _run(compiled, compiled[1])


def _represent(plan: Plan, page: list[dict], joined=False) -> list[dict]:
    """The JSON of a page of rows. Not `joined` (a list): each distinct nested object is fetched by id and written
    once, then shared by the rows that refer to it; `joined` (one object): they are in the rows already."""
    out = [_represent_row(plan, row, joined) for row in page]
    for kind, name, column, how in plan.fields:
        if kind == NESTED_OBJECT and not joined:
            nested = how[0]
            found = _select(nested, "pk", sorted({row[column] for row in page} - {None}))
            by_id = {row[nested.pk_column]: written for row, written in zip(found, _represent(nested, found))}
            for row, written in zip(page, out):
                written[name] = by_id.get(row[column])
        elif kind == NESTED_LIST:  # all the page's children in one query
            by_parent = {row[plan.pk_column]: written for row, written in zip(page, out)}
            for written in out:
                written[name] = []
            # In the child's ordering, as DRF's `.all()` reads them.
            children = _select(how, column.name, list(by_parent), joined)
            for row, written in zip(children, _represent(how, children, joined)):
                by_parent[row[column.attname]][name].append(written)
    return out


def _represent_row(plan: Plan, row: dict, joined=False, prefix="") -> dict:
    written = {}
    for kind, name, column, how in plan.fields:
        if kind == VALUE:
            value = row[prefix + column]
            written[name] = None if value is None else how(value)
        elif kind == NESTED_OBJECT and joined:
            nested, nested_prefix = how
            written[name] = None if row[prefix + column] is None else \
                _represent_row(nested, row, True, prefix + nested_prefix)
        else:
            written[name] = None  # filled in by _represent, for the whole page at once
    return written
