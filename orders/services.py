"""The order rules: create, change status, cancel, delete.

The API and the admin both call these functions; the stock an order takes and gives back moves through
products.stock, which writes its ledger. Each change writes its business event (orderservice.events) in its transaction.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists
from django.utils import timezone

from customers.models import Customer
from orderservice.database import compiled
from orderservice.domain.money import largest_amount, to_cents
from orderservice.domain.rules import RuleViolation
from orderservice.events.outbox import Event, business_event
from products import stock
from products.models import Product, StockReason

from .models import Order, OrderItem, OrderStatus

# Pending→Processing|Cancelled, Processing→Shipped|Cancelled, Shipped→Delivered; Delivered and Cancelled are final.
ALLOWED_TRANSITIONS = {
    OrderStatus.PENDING: (OrderStatus.PROCESSING, OrderStatus.CANCELLED),
    OrderStatus.PROCESSING: (OrderStatus.SHIPPED, OrderStatus.CANCELLED),
    OrderStatus.SHIPPED: (OrderStatus.DELIVERED,),
    OrderStatus.DELIVERED: (),
    OrderStatus.CANCELLED: (),
}


@dataclass(frozen=True)
class OrderLine:
    product_id: int
    quantity: int


@dataclass(frozen=True)
class OrderTotals:
    sub_total: Decimal
    tax_amount: Decimal
    shipping_amount: Decimal
    total_amount: Decimal


ORDER_NUMBER_DRAWS = 4  # order numbers drawn for one order before its IntegrityError is let through

# Digits enough that no product or sum of amounts is ever rounded: a line is at most ~10^16 × 2^31 (28 digits with
# the cents), a sum of lines and its tax more. Python's default context has 28: beyond, it rounds silently, and
# quantize raises InvalidOperation.
ARITHMETIC_DIGITS = 80


def check_line_count(count: int) -> None:
    """At most ORDER_MAX_LINES lines in one order."""
    if count > settings.ORDER_MAX_LINES:
        raise RuleViolation(
            f"An order may have at most {settings.ORDER_MAX_LINES} lines, not {count}", field="order_items"
        )


def line_total(unit_price: Decimal, quantity: int) -> Decimal:
    with localcontext(prec=ARITHMETIC_DIGITS):
        return to_cents(unit_price * quantity)


def order_totals(line_totals: list[Decimal]) -> OrderTotals:
    """sub_total = Σ lines; tax = sub_total × rate; shipping is a flat fee below the free-shipping threshold."""
    with localcontext(prec=ARITHMETIC_DIGITS):
        sub_total = to_cents(sum(line_totals, Decimal("0")))
        tax_amount = to_cents(sub_total * settings.ORDER_TAX_RATE)
        shipping_amount = to_cents(
            settings.ORDER_SHIPPING_FEE if sub_total < settings.ORDER_FREE_SHIPPING_FROM else Decimal("0")
        )
        return OrderTotals(sub_total, tax_amount, shipping_amount, sub_total + tax_amount + shipping_amount)


def new_order_number() -> str:
    """ORD-YYYYMMDD-XXXXXXXX: the UTC date and 8 random upper-case hex characters."""
    return f"ORD-{timezone.now():%Y%m%d}-{secrets.token_hex(4).upper()}"


def _quantities(lines) -> dict[int, int]:
    """{product id: units} over order lines (OrderLine or OrderItem), a product on several lines added up."""
    quantities: dict[int, int] = {}
    for line in lines:
        quantities[line.product_id] = quantities.get(line.product_id, 0) + line.quantity
    return quantities


def order_create(
    *, customer_id: int, lines: list[OrderLine], notes: str | None = None, shipping_address: str | None = None
) -> Order:
    """Place an order, all or nothing: customer and products must exist, be active and have the stock.

    Quantities of the same product on several lines are added up before the stock check. Everything that can be
    checked or built without the database is, before the write transaction begins: it holds SQLite's one write
    lock (PostgreSQL's row locks on the products), so inside it run only the statements (see `_write_order`).
    """
    check_line_count(len(lines))
    quantities = _quantities(lines)

    @transaction.atomic
    def write(number: str) -> Order:
        return _write_order(
            customer_id=customer_id,
            lines=lines,
            quantities=quantities,
            number=number,
            notes=notes,
            shipping_address=shipping_address,
        )

    for attempt in range(1, ORDER_NUMBER_DRAWS + 1):
        number = new_order_number()
        try:
            return write(number)
        except IntegrityError:
            # A number already taken (1 in 4 billion per pair of orders on one day: at a million orders a day, about
            # a hundred times a day) undoes the whole transaction: it is drawn again and the order written again,
            # cheaper than a savepoint around every order's INSERT.
            if attempt < ORDER_NUMBER_DRAWS and Order.objects.filter(order_number=number).exists():
                continue
            # The customer deleted after the locked read saw it: the order's foreign key (checked at its INSERT, see
            # orders/migrations/0005) refuses it, as the read would have had it come first.
            if not Customer.objects.filter(pk=customer_id).exists():
                raise RuleViolation("Customer not found", field="customer_id") from None
            raise  # any other integrity error is not ours to retry
    raise AssertionError("unreachable: the last draw returns or raises")


def _write_order(
    *,
    customer_id: int,
    lines: list[OrderLine],
    quantities: dict[int, int],
    number: str,
    notes: str | None,
    shipping_address: str | None,
) -> Order:
    """The statements of an order, each covering every line at once: one locked read (the products, and whether
    the customer exists), the order, its lines, the stock taken (one conditional UPDATE), the ledger rows and the
    events (one INSERT each). The pricing between them is arithmetic on what that read returned."""
    customer_exists, products = _lock_products(customer_id, sorted(quantities))
    if not customer_exists:
        raise RuleViolation("Customer not found", field="customer_id")
    for product_id in quantities:
        product = products.get(product_id)
        if product is None:
            raise RuleViolation(f"Product with ID {product_id} not found")
        if not product.is_active:
            raise RuleViolation(f"Product {product.name} is not active")

    items = [
        OrderItem(
            product_id=line.product_id,
            quantity=line.quantity,
            unit_price=products[line.product_id].price,
            total_price=line_total(products[line.product_id].price, line.quantity),
        )
        for line in lines
    ]
    totals = order_totals([item.total_price for item in items])
    # The total is the largest amount of an order (tax and shipping are not negative): within it, every amount fits.
    if totals.total_amount > largest_amount() or any(item.total_price > largest_amount() for item in items):
        raise RuleViolation(f"Order total exceeds the largest amount the service can store ({largest_amount()})")
    # Before any write: a refusal writes nothing.
    stock.check_stock_for(products=products, quantities=quantities)

    [order] = compiled.insert(
        [
            Order(
                order_number=number,
                customer_id=customer_id,
                notes=notes,
                shipping_address=shipping_address,
                sub_total=totals.sub_total,
                tax_amount=totals.tax_amount,
                shipping_amount=totals.shipping_amount,
                total_amount=totals.total_amount,
            )
        ]
    )
    for item in items:
        item.order = order
    compiled.insert(items)
    created = Event(
        "order.created",
        {
            "order_id": order.pk,
            "order_number": order.order_number,
            "customer_id": customer_id,
            "total_amount": str(order.total_amount),
            "lines": len(items),
        },
        details=_order_details(order, items),
    )
    stock.order_take_stock(order_id=order.pk, products=products, quantities=quantities, order_event=created)
    return order


class LockedProduct(NamedTuple):
    """What an order needs of a product, read under lock."""

    id: int
    name: str
    price: Decimal
    is_active: bool
    stock_quantity: int


def _lock_products(customer_id: int, product_ids: list[int]) -> tuple[bool, dict[int, LockedProduct]]:
    """Whether the customer exists, and the products among `product_ids` that exist, in one statement: row locks on
    PostgreSQL, in id order (SQLite's IMMEDIATE transaction already holds the write lock)."""

    def build(slots: compiled.Slots):
        customer = Customer.objects.filter(pk=slots.number("customer"))
        return (
            Product.objects.select_for_update(of=("self",))
            .filter(pk__in=[slots.number(("product", index)) for index in range(len(product_ids))])
            .order_by("pk")
            .annotate(customer_exists=Exists(customer))
            .values_list("pk", "name", "price", "is_active", "stock_quantity", "customer_exists")
        )

    values = {("product", index): product_id for index, product_id in enumerate(product_ids)}
    rows = (
        compiled.statement(("order-lock-products", len(product_ids)), compiled.write_alias(Product), build).rows(
            {"customer": customer_id, **values}
        )
        if product_ids
        else []
    )
    if not rows:  # no line, or none of the products exists: the customer is not known yet
        return Customer.objects.filter(pk=customer_id).exists(), {}
    return rows[0][-1], {row[0]: LockedProduct(*row[:-1]) for row in rows}


def _order_details(order: Order, items: list[OrderItem]) -> dict:
    """The new order as its `order.created` event carries it (addresses and notes stay out of the log)."""
    return {
        "status": order.status,
        "sub_total": order.sub_total,
        "tax_amount": order.tax_amount,
        "shipping_amount": order.shipping_amount,
        "shipping_address": order.shipping_address,
        "notes": order.notes,
        "order_date": order.order_date,
        "order_items": [
            {
                "product_id": item.product_id,
                "quantity": item.quantity,
                "unit_price": item.unit_price,
                "total_price": item.total_price,
            }
            for item in items
        ],
    }


def invalid_status_message(status) -> str:
    return f"Invalid status '{status}'. Valid values: {', '.join(OrderStatus.values)}"


def status_change_error(current: str, wanted: str) -> str:
    allowed = ALLOWED_TRANSITIONS[OrderStatus(current)]
    if not allowed:
        return f"Cannot change status of a {current} order: {current} is final"
    return f"Cannot change status from {current} to {wanted}; allowed: {', '.join(allowed)}"


# What `orders:write` may still change once an order has left Pending (a customer may change nothing but cancel it
# then): its notes at any time, its shipping address until it ships. After that the parcel is on its way or done.
ADDRESS_FIXED_IN = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CANCELLED})

# Decides, on the order read under its lock, whether the caller may make a change (e.g. a customer's rules); raises.
Authorize = Callable[[Order], None]


def check_order_may_change(order: Order, changes: dict) -> None:
    """The rule above, for `changes` that differ from what the order holds."""
    if "shipping_address" in changes and order.status in ADDRESS_FIXED_IN:
        raise RuleViolation(f"Cannot change the shipping address of a {order.status} order", field="shipping_address")


def _locked_order(order_id: int, authorize: Authorize | None) -> Order:
    """The order with its row locked, for a change decided from what is read under the lock (a racing write waits,
    then reads the result). Order.DoesNotExist when it is gone (the API answers 404)."""
    order = Order.objects.select_for_update().get(pk=order_id)
    if authorize is not None:
        authorize(order)
    return order


@transaction.atomic
def order_change_status(*, order_id: int, status: str, authorize: Authorize | None = None) -> Order:
    """Move an order along its lifecycle; cancelling gives its stock back, exactly once.

    Setting the status it already has changes nothing.
    """
    if status not in OrderStatus.values:
        raise RuleViolation(invalid_status_message(status), field="status")
    # The row lock (PostgreSQL) or the write lock (SQLite) makes a racing second cancel wait, then see Cancelled.
    return _change_status(_locked_order(order_id, authorize), status)


def _change_status(order: Order, status: str) -> Order:
    if order.status == status:
        return order
    if status not in ALLOWED_TRANSITIONS[OrderStatus(order.status)]:
        raise RuleViolation(status_change_error(order.status, status), field="status")
    if status == OrderStatus.CANCELLED:
        stock.order_return_stock(
            order_id=order.pk, quantities=_quantities(order.order_items.all()), reason=StockReason.ORDER_CANCELLED
        )
    business_event("order.status_changed", order_id=order.pk, from_status=order.status, to_status=status)
    order.status = status
    order.save(update_fields=["status", "updated_at"])
    return order


@transaction.atomic
def order_update(*, order_id: int, authorize: Authorize | None = None, **changes) -> Order:
    """Change an order's notes, shipping address and (through the lifecycle rules) its status. What already holds
    the value sent changes nothing: a request that changes nothing writes nothing (no `updated_at`, no event)."""
    order = _locked_order(order_id, authorize)
    status = changes.pop("status", None)
    changes = {field: value for field, value in changes.items() if getattr(order, field) != value}
    check_order_may_change(order, changes)  # on the order as the request found it, before its own status change
    if status is not None:
        if status not in OrderStatus.values:
            raise RuleViolation(invalid_status_message(status), field="status")
        order = _change_status(order, status)
    if changes:
        for field, value in changes.items():
            setattr(order, field, value)
        order.save(update_fields=[*changes, "updated_at"])
        business_event("order.updated", order_id=order.pk, fields=sorted(changes), details={"changed": changes})
    return order


@transaction.atomic
def order_delete(*, order_id: int) -> None:
    """Delete a Pending order and give its stock back; any other status is refused. Order.DoesNotExist when it is
    gone (a racing delete won)."""
    order = _locked_order(order_id, None)
    if order.status != OrderStatus.PENDING:
        raise RuleViolation("Cannot delete order that is not in Pending status")
    stock.order_return_stock(
        order_id=order.pk, quantities=_quantities(order.order_items.all()), reason=StockReason.ORDER_DELETED
    )
    order.delete()
    business_event("order.deleted", order_id=order_id, order_number=order.order_number)
