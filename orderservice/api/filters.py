"""Filter pieces the lists share."""

import operator
import re
from datetime import UTC
from functools import reduce

import django_filters
from django import forms
from django.db import connections
from django.db.models import BooleanField, ExpressionWrapper, Q, Value
from django.db.models.functions import Length, Upper
from django.db.models.lookups import Exact, GreaterThan
from django_filters.fields import RangeField
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.widgets import DateRangeWidget
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter, SearchFilter

from orderservice.domain.limits import MAX_ID


class StrictBooleanField(forms.NullBooleanField):
    widget = forms.TextInput  # hands the raw text to to_python (NullBooleanSelect turns "maybe" into None)

    def to_python(self, value):
        if value in (None, ""):
            return None
        if str(value).lower() in ("true", "1"):
            return True
        if str(value).lower() in ("false", "0"):
            return False
        raise forms.ValidationError("Must be true or false.", code="invalid")

    def validate(self, value):
        pass


class BooleanFilter(django_filters.BooleanFilter):
    """?flag=true|false (or 1|0); anything else is a 400 rather than silently ignored (django-filter's default)."""

    field_class = StrictBooleanField


class IdField(forms.IntegerField):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=MAX_ID, **kwargs)


class IdFilter(django_filters.Filter):
    """An id, 1 to MAX_ID: ?customer_id=1.5 is a 400, not rounded, and so is an id no row can have."""

    field_class = IdField


class MoneyField(forms.DecimalField):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, max_digits=18, decimal_places=2, **kwargs)  # what a DECIMAL(18,2) column holds


class MoneyFilter(django_filters.NumberFilter):
    """An amount as a money column holds it (at most 16 digits before the point and 2 after); any other is a 400."""

    field_class = MoneyField


class SearchCondition(ExpressionWrapper):
    """DRF's ?search= condition (each term contained, in any case, in one of the search fields), filtered on as
    itself: the same SQL as `queryset.filter(q)`, but the page query can find it among the query's conditions
    (orderservice.api.read_path pages a search by walking its ordering only so far, then by its matches)."""

    def __init__(self, q: Q):
        super().__init__(q, output_field=BooleanField())
        self.q = q  # unresolved, to be evaluated again in another query


def holds_a_trigram(term: str) -> bool:
    """Whether pg_trgm's index can narrow `LIKE '%term%'`: only a run of 3 letters or digits makes a trigram
    that does not depend on what surrounds the term (a shorter term is found by reading rows, not the index)."""
    return re.search(r"[^\W_]{3}", term) is not None


class BoundedSearchFilter(SearchFilter):
    """?search= of at most MAX_SEARCH_LENGTH characters and MAX_SEARCH_TERMS words: each word is one more
    LIKE on each search field, and SQLite refuses a query nested too deep (a 500, before this).

    On PostgreSQL, the meaning is DRF's own (every term contained in one of the fields, in any case, as
    `icontains`), written so that PostgreSQL can use its indexes (docs/performance.md, "At a million orders"):
    - the condition is a `SearchCondition`, which the read path pages adaptively, when a term holds a trigram;
    - on the view's `search_whole_value_fields` (order numbers, all as long as each other), a term is also
      looked up on the B-tree of (LENGTH(UPPER(field)), UPPER(field)): a value contains the term only if it
      equals it or is longer (`icontains AND (equal OR longer)`, the same rows as `icontains` alone), and few or
      no values are longer than a whole order number. Without it, the trigrams that every order number shares
      (ORD, 202 …) cost the trigram index its posting lists of every order.
    SQLite, which has none of these indexes, gets DRF's condition unchanged."""

    MAX_SEARCH_LENGTH = 200
    MAX_SEARCH_TERMS = 10

    def get_search_terms(self, request):
        terms = super().get_search_terms(request)
        if (
            len(request.query_params.get(self.search_param, "")) > self.MAX_SEARCH_LENGTH
            or len(terms) > self.MAX_SEARCH_TERMS
        ):
            raise ValidationError(
                {self.search_param: [f"At most {self.MAX_SEARCH_TERMS} words and {self.MAX_SEARCH_LENGTH} characters."]}
            )
        return terms

    def filter_queryset(self, request, queryset, view):
        if connections[queryset.db].vendor != "postgresql":
            return super().filter_queryset(request, queryset, view)
        search_fields = self.get_search_fields(view, request)
        terms = self.get_search_terms(request)
        if not search_fields or not terms:
            return queryset
        if self.must_call_distinct(queryset, search_fields) or any(
            str(name)[0] in self.lookup_prefixes for name in search_fields
        ):
            return super().filter_queryset(request, queryset, view)  # none of this service's lists
        whole_value = set(getattr(view, "search_whole_value_fields", ()))
        q = reduce(
            operator.and_,
            (
                reduce(
                    operator.or_,
                    (
                        self.contains(str(name), term, queryset, whole=str(name) in whole_value)
                        for name in search_fields
                    ),
                )
                for term in terms
            ),
        )
        if not any(holds_a_trigram(term) for term in terms):
            return queryset.filter(q)  # no index narrows it: the planner's plan, as before
        return queryset.filter(SearchCondition(q))

    def contains(self, name: str, term: str, queryset, whole: bool) -> Q:
        """`name` contains `term` in any case (DRF's lookup); on a whole-value field, also `equal or longer`."""
        contains = Q(**{self.construct_search(name, queryset): term})
        if not whole:
            return contains
        value, wanted = Upper(name), Upper(Value(term))
        return contains & (
            Q(Exact(Length(value), Length(wanted)), Exact(value, wanted))
            | Q(GreaterThan(Length(value), Length(wanted)))
        )


class StrictOrderingFilter(OrderingFilter):
    """?ordering=field[,-field…] over the list's `ordering_fields`: a field it cannot order by is a 400 naming
    the ones it can, rather than DRF's silent fall back to the default order. (`?ordering=` left empty is the
    default order.)"""

    def remove_invalid_fields(self, queryset, fields, view, request):
        allowed = [name for name, _label in self.get_valid_fields(queryset, view, {"request": request})]
        unusable = [term for term in fields if term.removeprefix("-") not in allowed]
        if unusable:
            named = ", ".join(repr(term) for term in unusable)
            message = f"Cannot order by {named}; use one of {', '.join(allowed)} (prefix - for descending)."
            raise ValidationError({self.ordering_param: [message]})
        return fields


class ListFilterBackend(DjangoFilterBackend):
    """django-filter, skipped when the query names no filter: building a FilterSet and its form costs more
    than the rest of a plain list request, and with no filter given it would change nothing."""

    not_filters = {"limit", "cursor", "ordering", "search"}

    def filter_queryset(self, request, queryset, view):
        if not request.query_params.keys() - self.not_filters:
            return queryset
        return super().filter_queryset(request, queryset, view)


class UtcDateTimeField(forms.DateTimeField):
    """A date-time in any offset, handed to the database in UTC: PostgreSQL refuses offsets beyond ±15:59
    (which ISO 8601 allows), and a moment before year 1 in UTC cannot be represented at all."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError("Enter a date-time between years 1 and 9999 in UTC.", code="invalid") from None


class UtcDateTimeRangeField(RangeField):
    widget = DateRangeWidget

    def __init__(self, *args, **kwargs):
        super().__init__((UtcDateTimeField(), UtcDateTimeField()), *args, **kwargs)


class DateTimeRangeFilter(django_filters.RangeFilter):
    """?<name>_after=…&<name>_before=… as ISO 8601 dates or date-times (UTC when no offset is given)."""

    field_class = UtcDateTimeRangeField
