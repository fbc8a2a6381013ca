"""The order lifecycle as the tests state it, independently of orders/services.py."""

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
    ("Pending", "Processing"),
    ("Pending", "Cancelled"),
    ("Processing", "Shipped"),
    ("Processing", "Cancelled"),
    ("Shipped", "Delivered"),
}
REFUSED = sorted(
    (current, wanted)
    for current in PATH_TO
    for wanted in PATH_TO
    if current != wanted and (current, wanted) not in ALLOWED
)
REFUSED_MESSAGES = {
    "Pending": "Cannot change status from Pending to {wanted}; allowed: Processing, Cancelled",
    "Processing": "Cannot change status from Processing to {wanted}; allowed: Shipped, Cancelled",
    "Shipped": "Cannot change status from Shipped to {wanted}; allowed: Delivered",
    "Delivered": "Cannot change status of a Delivered order: Delivered is final",
    "Cancelled": "Cannot change status of a Cancelled order: Cancelled is final",
}
