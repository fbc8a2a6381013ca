import django_filters

from orderservice.api.filters import DateTimeRangeFilter, IdFilter

from .models import Order, OrderStatus


class OrderFilter(django_filters.FilterSet):
    """By customer, status, and order_date range (?order_date_after=…&order_date_before=…, ISO 8601, UTC)."""

    customer_id = IdFilter(field_name="customer_id")
    status = django_filters.ChoiceFilter(choices=OrderStatus.choices)
    order_date = DateTimeRangeFilter()

    class Meta:
        model = Order
        fields = ["customer_id", "status", "order_date"]
