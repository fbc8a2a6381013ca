"""Every event type the service publishes and what its `data` holds: the one list docs/events.md is generated from
(`python manage.py event_catalogue`), and which the tests hold every event the service writes to."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class EventType:
    when: str
    data: dict[str, str]  # field → what it holds
    optional: frozenset[str] = field(default_factory=frozenset)  # fields only some events of the type carry


def _created(resource: str) -> EventType:
    return EventType(
        f"a {resource} was created (API or admin)",
        {
            f"{resource}_id": f"the new {resource}'s id",
            resource: f"the {resource} as `GET /api/{resource}s/{{id}}` shows it",
        },
    )


def _updated(resource: str, how: str = "`PUT`/`PATCH` or the admin") -> EventType:
    return EventType(
        f"fields of a {resource} were changed ({how})",
        {
            f"{resource}_id": f"the {resource}'s id",
            "fields": "the names of the fields the request set, sorted",
            "changed": "those fields' new values, as the API shows them",
        },
    )


def _deleted(resource: str) -> EventType:
    return EventType(f"a {resource} was deleted (API or admin)", {f"{resource}_id": f"the deleted {resource}'s id"})


CATALOGUE: dict[str, EventType] = {
    "customer.created": _created("customer"),
    "customer.updated": _updated("customer"),
    "customer.deleted": _deleted("customer"),
    "product.created": _created("product"),
    "product.updated": _updated("product", "`PUT`/`PATCH`, the admin, or its (de)activate actions"),
    "product.deleted": _deleted("product"),
    "product.stock_changed": EventType(
        "a product's stock moved: an order taken, cancelled or deleted, an adjustment, a set, a new product, "
        "or a drift made outside the service recorded (`check_stock --repair`)",
        {
            "product_id": "the product's id",
            "movement_id": "its stock movement (`GET /api/products/{id}/stock-movements`)",
            "change": "units added (positive) or removed (negative)",
            "reason": "initial, order.created, order.cancelled, order.deleted, adjustment, set or reconciliation",
            "stock_after": "the product's stock right after this change",
            "order_id": "the order that took or gave back the units (order reasons only)",
        },
        optional=frozenset({"order_id"}),
    ),
    "order.created": EventType(
        "an order was placed",
        {
            "order_id": "the new order's id",
            "order_number": "ORD-YYYYMMDD-XXXXXXXX",
            "customer_id": "who ordered",
            "status": "Pending",
            "order_date": "when it was placed (ISO 8601, UTC)",
            "sub_total": "Σ line totals (a decimal string, like every amount)",
            "tax_amount": "tax on the sub-total",
            "shipping_amount": "the shipping fee (0.00 from the free-shipping threshold)",
            "total_amount": "what the customer pays",
            "lines": "how many lines",
            "order_items": "the lines: product_id, quantity, unit_price, total_price",
            "shipping_address": "where to ship it (may be null)",
            "notes": "the customer's notes (may be null)",
        },
    ),
    "order.updated": _updated("order", "notes or shipping address, by `PUT`/`PATCH` or the admin"),
    "order.status_changed": EventType(
        "an order moved along its lifecycle (a cancel also gives its stock back: product.stock_changed)",
        {"order_id": "the order's id", "from_status": "its status before", "to_status": "its status now"},
    ),
    "order.deleted": EventType(
        "a Pending order was deleted (its stock given back: product.stock_changed)",
        {"order_id": "the deleted order's id", "order_number": "its number"},
    ),
}


def catalogue_markdown() -> str:
    """The catalogue as docs/events.md shows it between its markers."""
    lines = []
    for event_type, spec in CATALOGUE.items():
        lines += [
            f"### `{event_type}`",
            "",
            f"When {spec.when}. Subject `{event_type.split('.')[0]}s/{{id}}`.",
            "",
            "| data field | holds |",
            "|---|---|",
        ]
        lines += [
            f"| `{name}`{' (optional)' if name in spec.optional else ''} | {holds} |"
            for name, holds in spec.data.items()
        ]
        lines.append("")
    return "\n".join(lines)
