import django_filters

from .models import Customer


class CustomerFilter(django_filters.FilterSet):
    """?email= matches the whole address, regardless of case (search= matches parts of names and emails)."""

    email = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Customer
        fields = ["email"]
