"""What a refused request must leave as it was: every row the service writes."""

from customers.models import Customer
from orders.models import Order, OrderItem
from products.models import Product, StockMovement


def database_state() -> dict[str, list[dict]]:
    """Every customer, product, stock movement, order and order line with every column; take one before a refused
    request, compare after: equal means nothing changed."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in (Customer, Product, StockMovement, Order, OrderItem)
    }


def stock_of(product) -> int:
    return Product.objects.get(pk=product.pk).stock_quantity
