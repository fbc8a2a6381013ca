"""The admin and the API change customers and products through the same services (customers/services.py,
products/services.py): the same change, made in either, writes the same rows, stock movements and events. Only who
made it differs: the token's subject, or `admin:<username>`."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest

from customers.models import Customer
from orderservice.models import OutboxEvent
from orderservice.testing.admin_pages import error_messages, form_fields
from orderservice.testing.factories import CustomerFactory, ProductFactory
from products.models import Product, StockMovement

pytestmark = pytest.mark.django_db

API_ACTOR = "token:test-user"  # the api_client's token's subject, namespaced (orderservice/domain/actors.py)


def without_times(data):
    """An event's data without the moments in it (a `created` event's representation has two)."""
    if isinstance(data, dict):
        return {key: without_times(value) for key, value in data.items() if key not in ("created_at", "updated_at")}
    return data


def written() -> dict:
    """Every customer, product and stock movement, and the events of the change, without ids and moments that
    differ from one run to the next (the ids the rows refer to stay)."""
    return {
        "customers": list(
            Customer.objects.order_by("pk").values(
                "pk", "first_name", "last_name", "email", "phone", "address", "user_id"
            )
        ),
        "products": list(
            Product.objects.order_by("pk").values(
                "pk", "name", "description", "price", "sku", "stock_quantity", "category", "is_active"
            )
        ),
        "movements": list(
            StockMovement.objects.order_by("pk").values("product_id", "change", "stock_after", "reason", "actor")
        ),
        "events": [
            (event.type, event.subject, without_times(event.data), event.actor)
            for event in OutboxEvent.objects.order_by("position")
        ],
    }


# --- The admin's pages, as staff fill them in --------------------------------------------------------------------


def admin_add(client, model: str, values: dict) -> None:
    page = f"/admin/{model}/add/"
    response = client.post(page, {**form_fields(client.get(page)), **values}, follow=True)
    assert error_messages(response) == [] and response.redirect_chain, response.content.decode()[:2000]


def admin_change(client, model: str, pk: int, values: dict) -> None:
    page = f"/admin/{model}/{pk}/change/"
    response = client.post(page, {**form_fields(client.get(page)), **values}, follow=True)
    assert error_messages(response) == [] and response.redirect_chain, response.content.decode()[:2000]


def admin_delete(client, model: str, pk: int) -> None:
    response = client.post(f"/admin/{model}/{pk}/delete/", {"post": "yes"}, follow=True)
    assert error_messages(response) == [] and response.redirect_chain


def api_call(client, method: str, path: str, body: dict | None = None, status: int = 200) -> dict:
    response = getattr(client, method)(path, body, format="json")
    assert response.status_code == status, response.content
    return response.json() if response.content else {}


# --- The changes ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    arrange: Callable[[], dict]  # the rows there before, by name: {"customer": …}
    api: Callable  # (api_client, rows) -> None
    admin: Callable  # (admin_client, rows) -> None
    expected: Callable[[dict, str], dict]  # (ids, actor) -> what `written()` returns


ANN = {"first_name": "Ann", "last_name": "Lee", "email": "ann@x.example", "phone": "+44 20 7946 0000"}
DESK = {"name": "Desk", "description": "Oak", "sku": "DSK-1", "price": "99.00", "category": "Office"}


def customer_row(ids, **changed) -> dict:
    return {"pk": ids["customer"], **ANN, "address": None, "user_id": None, **changed}


def product_row(ids, **changed) -> dict:
    return {
        "pk": ids["product"],
        **DESK,
        "price": Decimal(DESK["price"]),
        "stock_quantity": 10,
        "is_active": True,
        **changed,
    }


def no_customers() -> dict:
    return {"customers": []}


def no_products() -> dict:
    return {"products": [], "movements": []}


def initial_movement(ids, actor="system", stock=10) -> dict:
    return {"product_id": ids["product"], "change": stock, "stock_after": stock, "reason": "initial", "actor": actor}


CHANGES = {
    "customer created": Change(
        arrange=dict,
        api=lambda client, rows: api_call(client, "post", "/api/customers", ANN, 201),
        admin=lambda client, rows: admin_add(client, "customers/customer", ANN),
        expected=lambda ids, actor: {
            "customers": [customer_row(ids)],
            **no_products(),
            "events": [
                (
                    "customer.created",
                    f"customers/{ids['customer']}",
                    {
                        "customer_id": ids["customer"],
                        "customer": {"id": ids["customer"], **ANN, "address": None, "user_id": None},
                    },
                    actor,
                )
            ],
        },
    ),
    "customer updated": Change(
        arrange=lambda: {"customer": CustomerFactory(**ANN, address=None)},
        api=lambda client, rows: api_call(
            client, "patch", f"/api/customers/{rows['customer'].pk}", {"last_name": "Lee-Ray", "phone": "+1 555"}
        ),
        admin=lambda client, rows: admin_change(
            client, "customers/customer", rows["customer"].pk, {"last_name": "Lee-Ray", "phone": "+1 555"}
        ),
        expected=lambda ids, actor: {
            "customers": [customer_row(ids, last_name="Lee-Ray", phone="+1 555")],
            **no_products(),
            "events": [
                (
                    "customer.updated",
                    f"customers/{ids['customer']}",
                    {
                        "customer_id": ids["customer"],
                        "fields": ["last_name", "phone"],
                        "changed": {"last_name": "Lee-Ray", "phone": "+1 555"},
                    },
                    actor,
                )
            ],
        },
    ),
    "customer deleted": Change(
        arrange=lambda: {"customer": CustomerFactory(**ANN, address=None)},
        api=lambda client, rows: api_call(client, "delete", f"/api/customers/{rows['customer'].pk}", status=204),
        admin=lambda client, rows: admin_delete(client, "customers/customer", rows["customer"].pk),
        expected=lambda ids, actor: {
            **no_customers(),
            **no_products(),
            "events": [
                ("customer.deleted", f"customers/{ids['customer']}", {"customer_id": ids["customer"]}, actor),
            ],
        },
    ),
    "product created": Change(
        arrange=dict,
        api=lambda client, rows: api_call(client, "post", "/api/products", {**DESK, "stock_quantity": 10}, 201),
        admin=lambda client, rows: admin_add(client, "products/product", {**DESK, "stock_quantity": "10"}),
        expected=lambda ids, actor: {
            **no_customers(),
            "products": [product_row(ids)],
            "movements": [initial_movement(ids, actor)],
            "events": [
                (
                    "product.created",
                    f"products/{ids['product']}",
                    {
                        "product_id": ids["product"],
                        "product": {"id": ids["product"], **DESK, "stock_quantity": 10, "is_active": True},
                    },
                    actor,
                ),
                (
                    "product.stock_changed",
                    f"products/{ids['product']}",
                    {
                        "product_id": ids["product"],
                        "movement_id": ids["movements"][0],
                        "change": 10,
                        "reason": "initial",
                        "stock_after": 10,
                    },
                    actor,
                ),
            ],
        },
    ),
    "product updated without its stock": Change(
        arrange=lambda: {"product": ProductFactory(**DESK, stock_quantity=10)},
        api=lambda client, rows: api_call(
            client, "patch", f"/api/products/{rows['product'].pk}", {"name": "Desk XL", "price": "89.00"}
        ),
        admin=lambda client, rows: admin_change(
            client, "products/product", rows["product"].pk, {"name": "Desk XL", "price": "89.00"}
        ),
        expected=lambda ids, actor: {
            **no_customers(),
            "products": [product_row(ids, name="Desk XL", price=Decimal("89.00"))],
            "movements": [initial_movement(ids)],
            "events": [
                (
                    "product.updated",
                    f"products/{ids['product']}",
                    {
                        "product_id": ids["product"],
                        "fields": ["name", "price"],
                        "changed": {"name": "Desk XL", "price": "89.00"},
                    },
                    actor,
                )
            ],
        },
    ),
    # The admin never writes a stock figure over an existing product's (docs/admin.md): its stock change is "Adjust
    # stock by", the API's is POST …/stock-adjustments. Both move the stock as it is, then write the edited fields.
    "product updated with its stock": Change(
        arrange=lambda: {"product": ProductFactory(**DESK, stock_quantity=10)},
        api=lambda client, rows: (
            api_call(client, "post", f"/api/products/{rows['product'].pk}/stock-adjustments", {"change": 5}, 201),
            api_call(client, "patch", f"/api/products/{rows['product'].pk}", {"name": "Desk XL"}),
        ),
        admin=lambda client, rows: admin_change(
            client, "products/product", rows["product"].pk, {"name": "Desk XL", "stock_adjustment": "5"}
        ),
        expected=lambda ids, actor: {
            **no_customers(),
            "products": [product_row(ids, name="Desk XL", stock_quantity=15)],
            "movements": [
                initial_movement(ids),
                {"product_id": ids["product"], "change": 5, "stock_after": 15, "reason": "adjustment", "actor": actor},
            ],
            "events": [
                (
                    "product.stock_changed",
                    f"products/{ids['product']}",
                    {
                        "product_id": ids["product"],
                        "movement_id": ids["movements"][1],
                        "change": 5,
                        "reason": "adjustment",
                        "stock_after": 15,
                    },
                    actor,
                ),
                (
                    "product.updated",
                    f"products/{ids['product']}",
                    {"product_id": ids["product"], "fields": ["name"], "changed": {"name": "Desk XL"}},
                    actor,
                ),
            ],
        },
    ),
    "product deleted": Change(
        arrange=lambda: {"product": ProductFactory(**DESK, stock_quantity=10)},
        api=lambda client, rows: api_call(client, "delete", f"/api/products/{rows['product'].pk}", status=204),
        admin=lambda client, rows: admin_delete(client, "products/product", rows["product"].pk),
        expected=lambda ids, actor: {
            **no_customers(),
            **no_products(),  # its stock movements go with it
            "events": [("product.deleted", f"products/{ids['product']}", {"product_id": ids["product"]}, actor)],
        },
    ),
}


@pytest.mark.parametrize("channel", ["api", "admin"])
@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_the_admin_and_the_api_write_the_same_rows_movements_and_events(
    channel, change, api_client, admin_client, admin_user
):
    rows = change.arrange()
    OutboxEvent.objects.all().delete()  # the rows' own events, if any

    if channel == "api":
        change.api(api_client, rows)
    else:
        change.admin(admin_client, rows)

    ids = {name: row.pk for name, row in rows.items()}
    ids.setdefault("customer", Customer.objects.values_list("pk", flat=True).first())
    ids.setdefault("product", Product.objects.values_list("pk", flat=True).first())
    ids["movements"] = list(StockMovement.objects.order_by("pk").values_list("pk", flat=True))
    actor = API_ACTOR if channel == "api" else f"admin:{admin_user.username}"
    assert written() == change.expected(ids, actor)
