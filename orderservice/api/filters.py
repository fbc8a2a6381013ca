"""Filter pieces the lists share."""
from datetime import timezone

import django_filters
from django import forms
from django_filters.fields import RangeField
from django_filters.rest_framework import DjangoFilterBackend


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


class IntegerFilter(django_filters.Filter):
    """A whole number (an id): ?customer_id=1.5 is a 400, not rounded."""

    field_class = forms.IntegerField


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
            return moment.astimezone(timezone.utc)
        except OverflowError:
            raise forms.ValidationError("Enter a date-time between years 1 and 9999 in UTC.", code="invalid")


class UtcDateTimeRangeField(RangeField):
    widget = django_filters.widgets.DateRangeWidget

    def __init__(self, *args, **kwargs):
        super().__init__((UtcDateTimeField(), UtcDateTimeField()), *args, **kwargs)


class DateTimeRangeFilter(django_filters.RangeFilter):
    """?<name>_after=…&<name>_before=… as ISO 8601 dates or date-times (UTC when no offset is given)."""

    field_class = UtcDateTimeRangeField
