"""The order lifecycle as the tests state it, independently of orders/services.py, and a way to put an
order in any status through the real service."""
from orders import services
from orders.models import Order

from .factories import place_order

VALID_STATUSES = "Pending, Processing, Shipped, Delivered, Cancelled"

# The moves that take a new order to each status.
PATH_TO = {
    "Pending": [],
    "Processing": ["Processing"],
    "Shipped": ["Processing", "Shipped"],
    "Delivered": ["Processing", "Shipped", "Delivered"],
    "Cancelled": ["Cancelled"],
}
ALLOWED = {
    ("Pending", "Processing"), ("Pending", "Cancelled"),
    ("Processing", "Shipped"), ("Processing", "Cancelled"),
    ("Shipped", "Delivered"),
}
REFUSED_MESSAGES = {
    "Pending": "Cannot change status from Pending to {wanted}; allowed: Processing, Cancelled",
    "Processing": "Cannot change status from Processing to {wanted}; allowed: Shipped, Cancelled",
    "Shipped": "Cannot change status from Shipped to {wanted}; allowed: Delivered",
    "Delivered": "Cannot change status of a Delivered order: Delivered is final",
    "Cancelled": "Cannot change status of a Cancelled order: Cancelled is final",
}


def order_in(status: str, **place_order_kwargs) -> Order:
    """A new order (place_order's arguments) moved along PATH_TO[status] by the service."""
    order = place_order(**place_order_kwargs)
    for step in PATH_TO[status]:
        services.order_change_status(order_id=order.pk, status=step)
    order.refresh_from_db()
    assert order.status == status
    return order
