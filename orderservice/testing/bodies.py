"""Request bodies the API accepts, as the tests send them."""

NEW_CUSTOMER = {
    "first_name": "John",
    "last_name": "Doe",
    "email": "john.doe@example.com",
    "phone": "+1234567890",
    "address": "123 Main St, City, State 12345",
}
LAPTOP = {
    "name": "Laptop Computer",
    "description": "High-performance laptop for business and gaming",
    "price": "1299.99",
    "sku": "LAPTOP-001",
    "stock_quantity": 50,
    "category": "Electronics",
    "is_active": True,
}


def order_request(customer, *lines, **fields) -> dict:
    """The body of POST /api/orders: a customer and (product, quantity) lines, each a row or an id."""
    return {
        "customer_id": getattr(customer, "pk", customer),
        "order_items": [
            {"product_id": getattr(product, "pk", product), "quantity": quantity} for product, quantity in lines
        ],
        **fields,
    }
