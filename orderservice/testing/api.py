"""What an API answer must be: exact problem documents, and the resources as the API shows them, read from
the database."""

from datetime import UTC, datetime, timedelta

from customers.models import Customer
from orders.models import Order, OrderItem
from products.models import Product

# RFC 9110's reason phrases, stated here rather than taken from the Python the tests run on.
TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    412: "Precondition Failed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def assert_problem(response, status: int, detail: str, errors: dict | None = None) -> None:
    """The response is exactly this application/problem+json body, its `instance` the path requested."""
    assert (response.status_code, response["Content-Type"]) == (status, "application/problem+json")
    expected = {
        "type": "about:blank",
        "title": TITLES[status],
        "status": status,
        "detail": detail,
        "instance": response.wsgi_request.path,
    }
    if errors is not None:
        expected["errors"] = errors
    assert response.json() == expected


def assert_invalid(response, field: str, message: str) -> None:
    """A 400 for one invalid field."""
    assert_problem(response, 400, f"{field}: {message}", {field: [message]})


def without_timestamps(body: dict) -> dict:
    """`body` minus created_at/updated_at, once both are checked to be ISO 8601 UTC strings ending in Z."""
    for field in ("created_at", "updated_at"):
        assert body[field].endswith("Z"), body[field]
        assert datetime.fromisoformat(body[field]).utcoffset() == timedelta(0)
    return {name: value for name, value in body.items() if name not in ("created_at", "updated_at")}


def iso(moment: datetime) -> str:
    """A moment as the API writes it: ISO 8601 in UTC, with Z."""
    return moment.isoformat().replace("+00:00", "Z")


def customer_json(customer: Customer) -> dict:
    """The customer as the API shows it now, every field."""
    customer = Customer.objects.get(pk=customer.pk)
    return {
        "id": customer.pk,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "email": customer.email,
        "phone": customer.phone,
        "address": customer.address,
        "user_id": customer.user_id,
        "created_at": iso(customer.created_at),
        "updated_at": iso(customer.updated_at),
    }


def product_json(product: Product) -> dict:
    """The product as the API shows it now, every field; the price a string with two decimals."""
    product = Product.objects.get(pk=product.pk)
    return {
        "id": product.pk,
        "name": product.name,
        "description": product.description,
        "price": f"{product.price:.2f}",
        "sku": product.sku,
        "stock_quantity": product.stock_quantity,
        "category": product.category,
        "is_active": product.is_active,
        "created_at": iso(product.created_at),
        "updated_at": iso(product.updated_at),
    }


def order_json(order: Order) -> dict:
    """The order as the API shows it now, with its customer and its lines, each with its product."""
    order = Order.objects.get(pk=order.pk)
    return {
        "id": order.pk,
        "customer_id": order.customer_id,
        "order_number": order.order_number,
        "order_date": iso(order.order_date),
        "status": order.status,
        "sub_total": str(order.sub_total),
        "tax_amount": str(order.tax_amount),
        "shipping_amount": str(order.shipping_amount),
        "total_amount": str(order.total_amount),
        "notes": order.notes,
        "shipping_address": order.shipping_address,
        "created_at": iso(order.created_at),
        "updated_at": iso(order.updated_at),
        "customer": customer_json(order.customer),
        "order_items": [
            {
                "id": item.pk,
                "order_id": order.pk,
                "product_id": item.product_id,
                "quantity": item.quantity,
                "unit_price": str(item.unit_price),
                "total_price": str(item.total_price),
                "created_at": iso(item.created_at),
                "updated_at": iso(item.updated_at),
                "product": product_json(item.product),
            }
            for item in OrderItem.objects.filter(order=order).order_by("pk")
        ],
    }


def absent_id(model) -> int:
    """An id no row has."""
    return (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000


def make_stale(instance) -> datetime:
    """Move the row's updated_at an hour back, so that a write that touches it shows."""
    stale = datetime.now(UTC) - timedelta(hours=1)
    type(instance).objects.filter(pk=instance.pk).update(updated_at=stale)
    return stale
