"""The fast read path: the JSON of a serializer, made from `.values()` rows, exactly as DRF would make it.

DRF's serializers read model instances and walk their fields generically on every row, and DRF builds and
deep-copies every serializer's fields on each use. On a list of 50 orders, each with its customer and two
items with their products, that (with Django instantiating and prefetching ~250 model objects) was most of a
request's time. Here each serializer class is compiled once into a plan: the columns to select and, per
field, how its value is written. Reads then select plain rows, join each nested object in the same query
(`customer__email`), write each distinct nested object once per response, and fetch nested lists (an order's
items) with one query for the whole page. The converters reproduce DRF's `to_representation` for the field
types this service uses and refuse any other, so a new field type cannot silently render differently.
orderservice/tests/test_representation.py compares both paths' JSON byte for byte.

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
                               f"({field.field_name}); add it to orderservice.representation")


VALUE, JOINED, NESTED_LIST = "value", "joined", "list"


@dataclass(eq=False)  # compared and hashed by identity: a plan is a key of the per-response memo
class Plan:
    """One serializer compiled for rows: `columns` for `.values()`, and per output field what to do."""

    model: type
    columns: list[str]
    fields: list[tuple] = dataclass_field(default_factory=list)  # (kind, name, column or prefix, how)
    pk_column: str = "pk"


def _compile(serializer, utc: bool, prefix: str = "") -> Plan:
    model = serializer.Meta.model
    plan = Plan(model=model, columns=[], pk_column=f"{prefix}{model._meta.pk.attname}")
    for name, field in serializer.fields.items():
        if field.write_only:
            continue
        column = prefix + "__".join(field.source_attrs)
        if isinstance(field, serializers.ListSerializer):  # a reverse foreign key: fetched per page, by parent
            if prefix:
                raise ImproperlyConfigured(f"{name}: a list inside a joined object is not supported")
            link = model._meta.get_field(field.source).field  # e.g. OrderItem.order
            child = _compile(field.child, utc)
            if link.attname not in child.columns:
                child.columns.append(link.attname)
            plan.fields.append((NESTED_LIST, name, link, child))
        elif isinstance(field, serializers.Serializer):  # a foreign key: joined into the same query
            joined = _compile(field, utc, prefix=column + "__")
            plan.columns += joined.columns
            plan.fields.append((JOINED, name, joined.pk_column, joined))
        else:
            plan.columns.append(column)
            plan.fields.append((VALUE, name, column, _converter(field, utc)))
    if plan.pk_column not in plan.columns:
        plan.columns.append(plan.pk_column)
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
    return queryset.select_related(None).prefetch_related(None).values(*plan_for(serializer_class).columns)


def represent(serializer_class, page) -> list[dict]:
    """The serializer's JSON (as Python data) for rows from `rows()`, in their order."""
    return _represent(plan_for(serializer_class), list(page))


def represent_one(serializer_class, queryset: QuerySet, pk):
    """One object's JSON by its id, or None when there is none (or the id cannot be one)."""
    plan = plan_for(serializer_class)
    try:
        if queryset.query.has_filters():  # a narrowed queryset: only the ORM can say what it selects
            found = list(rows(serializer_class, queryset.filter(pk=pk)))
        else:
            found = _select(plan, "pk", [_checked_id(plan.model._meta.pk.to_python(pk))])
    except (TypeError, ValueError, OverflowError, DjangoValidationError):
        return None
    return _represent(plan, found)[0] if found else None


def _checked_id(value):
    if isinstance(value, int) and not -2**63 <= value < 2**63:
        raise OverflowError("no row has an id beyond 64 bits")  # and SQLite cannot even bind it
    return value


class _CompiledSelects(threading.local):
    """SQL that Django compiled once, per thread (each thread has its own connection), by shape."""

    def __init__(self):
        self.by_shape = {}


_compiled = _CompiledSelects()


def _select(plan: Plan, lookup: str, values: list) -> list[dict]:
    """Rows of the plan's columns where `lookup` is one of `values`, in the model's ordering.

    Building and compiling a query costs Django ~0.5 ms here, more than SQLite takes to run it, and a GET by
    id (or an order page's items) asks the same shape every time. So the SQL, its column names and its value
    converters are compiled once per shape, by the ORM itself, and run with each request's values.
    """
    if not values:
        return []
    shape = (plan, lookup, len(values))
    compiled = _compiled.by_shape.get(shape)
    if compiled is None:
        placeholders = list(range(1, len(values) + 1))  # distinct: `__in` drops repeated values
        query = plan.model._default_manager.filter(**{f"{lookup}__in": placeholders}).values(*plan.columns).query
        compiler = query.get_compiler(using=plan.model._default_manager.db)
        sql, params = compiler.as_sql()
        if list(params) != placeholders:
            raise ImproperlyConfigured(f"{plan.model.__name__}: unexpected parameters {params!r} in {sql}")
        converters = compiler.get_converters([column for column, _, _ in compiler.select])
        compiled = _compiled.by_shape[shape] = (sql, list(query.values_select), compiler, converters)
    sql, names, compiler, converters = compiled
    with compiler.connection.cursor() as cursor:
        cursor.execute(sql, values)
        found = cursor.fetchall()
    if converters:
        found = compiler.apply_converters(found, converters)
    return [dict(zip(names, row)) for row in found]


def _represent(plan: Plan, page: list[dict]) -> list[dict]:
    seen = {}  # each distinct joined object (a customer, a product) is written once and shared
    out = [_represent_row(plan, row, seen) for row in page]
    for kind, name, link, child in plan.fields:
        if kind != NESTED_LIST:
            continue
        by_parent = {row[plan.pk_column]: written for row, written in zip(page, out)}
        for written in out:
            written[name] = []
        children = _select(child, link.name, list(by_parent))  # in the child's ordering, as DRF's `.all()`
        for row, written in zip(children, _represent(child, children)):
            by_parent[row[link.attname]][name].append(written)
    return out


def _represent_row(plan: Plan, row: dict, seen: dict) -> dict:
    written = {}
    for kind, name, column, how in plan.fields:
        if kind == VALUE:
            value = row[column]
            written[name] = None if value is None else how(value)
        elif kind == JOINED:
            key = row[column]
            if key is None:
                written[name] = None
            elif (how, key) in seen:
                written[name] = seen[how, key]
            else:
                written[name] = seen[how, key] = _represent_row(how, row, seen)
        else:
            written[name] = None  # a nested list, filled in by _represent
    return written
