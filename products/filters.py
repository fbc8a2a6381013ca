import django_filters

from orderservice.api.filters import BooleanFilter, MoneyFilter

from .models import Product


class ProductFilter(django_filters.FilterSet):
    """Exact category/SKU (any case), active or not, a price range, and in stock or not."""

    category = django_filters.CharFilter(lookup_expr="iexact")
    sku = django_filters.CharFilter(lookup_expr="iexact")
    is_active = BooleanFilter()
    min_price = MoneyFilter(field_name="price", lookup_expr="gte")
    max_price = MoneyFilter(field_name="price", lookup_expr="lte")
    in_stock = BooleanFilter(method="filter_in_stock", label="In stock (stock_quantity > 0)")

    class Meta:
        model = Product
        fields = ["category", "sku", "is_active", "min_price", "max_price", "in_stock"]

    def filter_in_stock(self, queryset, name, value):
        return queryset.filter(stock_quantity__gt=0) if value else queryset.filter(stock_quantity=0)
