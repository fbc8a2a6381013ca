import django_filters
from django.db.models import Value
from django.db.models.functions import Lower

from .models import Customer


class CustomerFilter(django_filters.FilterSet):
    """?email= matches the whole address, regardless of case (search= matches parts of names and emails)."""

    email = django_filters.CharFilter(method="filter_email", label="Email (the whole address, any case)")

    class Meta:
        model = Customer
        fields = ["email"]

    def filter_email(self, queryset, name, value):
        # LOWER(email) = LOWER(value): the expression the unique index customer_email_unique_ci holds, so one
        # index lookup finds it. `email__iexact` is UPPER(email) = UPPER(value) on PostgreSQL, which no index
        # holds: it read every customer.
        return queryset.alias(email_lower=Lower("email")).filter(email_lower=Lower(Value(value)))
