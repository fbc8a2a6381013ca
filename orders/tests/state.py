"""What an error path must leave untouched: every order, every order line, every product's stock."""
from orders.models import Order, OrderItem
from products.models import Product


def database_state() -> dict:
    """A comparable picture of the rows orders touch; take one before a refused request, compare after."""
    return {
        "orders": list(Order.objects.order_by("pk").values_list(
            "pk", "status", "notes", "shipping_address", "total_amount", "updated_at")),
        "order_items": list(OrderItem.objects.order_by("pk").values_list(
            "pk", "order_id", "product_id", "quantity", "unit_price", "total_price")),
        "stock": dict(Product.objects.values_list("pk", "stock_quantity")),
    }
