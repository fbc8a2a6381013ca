"""The one place a product's stock changes: orders taking and returning it, staff adjusting it or setting it, a
product created with some. Each change writes its StockMovement in the same transaction (several products at
once: one bulk insert), so `stock_quantity = Σ change` for every product, always; each is logged as a
`product.stock_changed` business event and counted by reason once the transaction commits.

Rows are changed in primary-key order with `F()` updates whose condition (`stock >= quantity`) sits in the
UPDATE itself: two transactions can never both take the last units, whatever the database's locking, and
transactions sharing products cannot deadlock. `stock_after` is read under the row lock the update holds.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from django.db import transaction
from django.db.models import Case, Expression, F, Sum, Value, When
from django.db.models.functions import Coalesce
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from orderservice.database import compiled
from orderservice.domain.actors import SYSTEM, current_actor, current_request_id
from orderservice.domain.rules import RuleViolation
from orderservice.events.outbox import Event, record_events
from orderservice.observability.metrics import STOCK_MOVEMENTS

from .models import MAX_STOCK, Product, StockMovement, StockReason


def _record(movements: list[StockMovement], *, with_events: tuple[Event, ...] = ()) -> list[StockMovement]:
    """Insert the movements, then their `product.stock_changed` events after `with_events` (other events of the same
    change, e.g. its order.created), one INSERT each; count them once the transaction commits."""
    actor, request_id, now = current_actor(), current_request_id(), timezone.now()
    for movement in movements:
        movement.actor = movement.actor or actor
        movement.request_id, movement.created_at = request_id, now
    compiled.insert(movements)
    record_events(
        [
            *with_events,
            *(
                Event(
                    "product.stock_changed",
                    {
                        "product_id": movement.product_id,
                        "movement_id": movement.pk,
                        "change": movement.change,
                        "reason": str(movement.reason),
                        "stock_after": movement.stock_after,
                        **({"order_id": movement.order_id} if movement.order_id else {}),
                    },
                )
                for movement in movements
            ),
        ]
    )
    for movement in movements:
        transaction.on_commit(STOCK_MOVEMENTS.labels(str(movement.reason)).inc)
    return movements


def _stock_now(product_ids) -> dict[int, int]:
    return dict(Product.objects.filter(pk__in=product_ids).values_list("pk", "stock_quantity"))


# --- Orders ---------------------------------------------------------------------------------------------------


class ProductStock(Protocol):
    """What the stock rules read of a product an order locked (a Product, or the order's LockedProduct row)."""

    @property
    def name(self) -> str: ...

    @property
    def stock_quantity(self) -> int: ...


def check_stock_for(*, products: Mapping[int, ProductStock], quantities: dict[int, int]) -> None:
    """Refuse an order whose quantity of some product is more than its stock, read under lock (select_for_update on
    PostgreSQL; SQLite's IMMEDIATE transaction holds the write lock), in product-id order."""
    for product_id in sorted(quantities):
        if quantities[product_id] > products[product_id].stock_quantity:
            raise RuleViolation(f"Insufficient stock for product {products[product_id].name}")


def order_take_stock(
    *, order_id: int, products: Mapping[int, ProductStock], quantities: dict[int, int], order_event: Event
) -> None:
    """Take each quantity, all products in one UPDATE whose condition (`stock >= quantity` for each) refuses the lot
    if any is short, and write their movements and events with the order's own `order_event`.

    `products` were read under lock and passed `check_stock_for`, so what is left after the update is what was read
    minus what was taken; the condition is what keeps two orders from both taking the last units regardless.
    """
    using = compiled.write_alias(Product)
    values: dict[object, object] = {"now": compiled.db_value(Product, "updated_at", timezone.now(), using)}
    for index, product_id in enumerate(sorted(quantities)):
        values["product", index], values["quantity", index] = product_id, quantities[product_id]
    shape = ("order-take-stock", len(quantities))
    taken = compiled.update_statement(shape, using, _take_stock_statement(len(quantities))).changed(values)
    if taken != len(quantities):  # the stock changed since it was read: only if a lock was not held
        left = _stock_now(quantities)
        short = next(product_id for product_id in sorted(quantities) if left[product_id] < quantities[product_id])
        raise RuleViolation(f"Insufficient stock for product {products[short].name}")
    _record(
        [
            StockMovement(
                product_id=product_id,
                change=-quantities[product_id],
                order_id=order_id,
                stock_after=products[product_id].stock_quantity - quantities[product_id],
                reason=StockReason.ORDER_CREATED,
            )
            for product_id in sorted(quantities)
        ],
        with_events=(order_event,),
    )


def _take_stock_statement(count: int):
    """UPDATE the stock of `count` products, each taking its quantity only where `stock >= quantity` (compiled once
    per count and alias by orderservice.database.compiled)."""

    def build(slots: compiled.Slots):
        ids = [slots.number(("product", index)) for index in range(count)]
        quantities = [slots.number(("quantity", index)) for index in range(count)]
        if count == 1:  # most orders: a plain value runs in a fraction of a CASE's time
            taking: Expression = Value(quantities[0])
        else:
            taking = Case(*(When(pk=product_id, then=Value(quantity)) for product_id, quantity in zip(ids, quantities)))
        now = slots.moment("now", Product, "updated_at")
        return (
            Product.objects.filter(pk__in=ids, stock_quantity__gte=taking),
            {"stock_quantity": F("stock_quantity") - taking, "updated_at": now},
        )

    return build


@transaction.atomic
def order_return_stock(*, order_id: int, quantities: dict[int, int], reason: str) -> None:
    """Give back what an order took (cancelled or deleted), in product-id order."""
    now = timezone.now()
    for product_id in sorted(quantities):
        Product.objects.filter(pk=product_id).update(
            stock_quantity=F("stock_quantity") + quantities[product_id], updated_at=now
        )
    stock = _stock_now(quantities)  # our updates hold the rows' locks: nobody else has changed them since
    _record(
        [
            StockMovement(
                product_id=product_id,
                change=quantities[product_id],
                stock_after=stock[product_id],
                order_id=order_id,
                reason=reason,
            )
            for product_id in sorted(quantities)
        ]
    )


# --- Staff ----------------------------------------------------------------------------------------------------


@transaction.atomic
def product_adjust_stock(*, product_id: int, change: int, note: str = "") -> StockMovement:
    """Add `change` (negative: remove) to the stock as it is now, never below zero nor above MAX_STOCK: a delivery
    or breakage recorded this way never undoes an order placed meanwhile."""
    adjusted = Product.objects.filter(
        pk=product_id,
        stock_quantity__gte=-change,
        stock_quantity__lte=MAX_STOCK - change,
    ).update(stock_quantity=F("stock_quantity") + change, updated_at=timezone.now())
    product = Product.objects.get(pk=product_id)
    if not adjusted:
        if change < 0:
            raise RuleViolation(
                f"Cannot remove {-change} from the stock of {product.name}: only {product.stock_quantity} in stock",
                field="change",
            )
        raise RuleViolation(f"Stock of {product.name} cannot exceed {MAX_STOCK}", field="change")
    [movement] = _record(
        [
            StockMovement(
                product_id=product_id,
                change=change,
                stock_after=product.stock_quantity,
                reason=StockReason.ADJUSTMENT,
                note=note,
            )
        ]
    )
    return movement


def product_set_stock(*, product: Product, stock_quantity: int) -> None:
    """Overwrite the stock with a figure (PUT/PATCH of stock_quantity), recorded as the difference from the stock
    `product` holds, which the caller read under the row's lock in its transaction (products.services.product_update);
    nothing when unchanged. Units taken between the client's read and this write are overwritten: adjust instead."""
    before = product.stock_quantity
    if stock_quantity == before:
        return
    Product.objects.filter(pk=product.pk).update(stock_quantity=stock_quantity, updated_at=timezone.now())
    product.stock_quantity = stock_quantity
    _record(
        [
            StockMovement(
                product_id=product.pk,
                change=stock_quantity - before,
                stock_after=stock_quantity,
                reason=StockReason.SET,
            )
        ]
    )


# --- New products ---------------------------------------------------------------------------------------------


def product_record_initial_stock(*, product: Product, actor: str = "", with_events: tuple[Event, ...] = ()) -> None:
    """The `initial` movement of a product just created with its stock (products.services, a fixture), its event
    after `with_events` (the product's own product.created)."""
    _record(
        [
            StockMovement(
                product_id=product.pk,
                change=product.stock_quantity,
                stock_after=product.stock_quantity,
                reason=StockReason.INITIAL,
                actor=actor,
            )
        ],
        with_events=with_events,
    )


# `loaddata` saves a fixture's rows raw, past every service, and Django offers no hook into it but this signal:
# the one receiver of the project. It records what the fixture wrote (an `initial` movement for a new product, the
# difference as `set` when a fixture reloads an existing one), so Σ holds after `loaddata seed` too.
@receiver(post_save, sender=Product, dispatch_uid="products.stock.fixture_stock")
def record_fixture_stock(sender, instance: Product, raw: bool, **kwargs) -> None:
    if not raw:
        return
    recorded = StockMovement.objects.filter(product_id=instance.pk).aggregate(total=Sum("change"))["total"]
    if recorded is None:
        product_record_initial_stock(product=instance, actor=SYSTEM)
    elif recorded != instance.stock_quantity:
        _record(
            [
                StockMovement(
                    product_id=instance.pk,
                    change=instance.stock_quantity - recorded,
                    stock_after=instance.stock_quantity,
                    reason=StockReason.SET,
                    actor=SYSTEM,
                )
            ]
        )


# --- Verification ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerCheck:
    checked: int
    drifted: list[tuple[int, str, int, int]]  # (id, name, stock_quantity, Σ change)


def check_ledger(product_ids: Iterable[int] | None = None) -> LedgerCheck:
    """Compare each product's stock_quantity (of `product_ids`, or every one) with the sum of its movements' changes,
    in one grouped query."""
    products = Product.objects.order_by("pk")
    if product_ids is not None:
        products = products.filter(pk__in=product_ids)
    rows = products.annotate(ledger=Coalesce(Sum("stock_movements__change"), 0)).values_list(
        "pk", "name", "stock_quantity", "ledger"
    )
    checked, drifted = 0, []
    for row in rows.iterator():
        checked += 1
        if row[2] != row[3]:
            drifted.append(row)
    return LedgerCheck(checked, drifted)


@transaction.atomic
def stock_reconcile(*, product_ids: Iterable[int] | None = None, actor: str = "") -> list[StockMovement]:
    """Make the ledger add up again for each product (of `product_ids`, or every one) whose stock_quantity is not
    the sum of its movements: one `reconciliation` movement each, the stock as it is as `stock_after`, the drift as
    its `change`, with a note saying so, by `actor` (default: whoever is acting). The stock itself is taken as the
    truth and not changed (count it first if it may be wrong, then adjust). Returns the movements written.

    The drifting products are found with one grouped query, then locked in id order and summed again under the lock,
    so a change committing meanwhile is counted, not recorded twice."""
    drifting = [product_id for product_id, *_ in check_ledger(product_ids).drifted]
    if not drifting:
        return []
    stock = dict(
        Product.objects.select_for_update().filter(pk__in=drifting).order_by("pk").values_list("pk", "stock_quantity")
    )
    ledger = dict(
        StockMovement.objects.filter(product_id__in=drifting)
        .order_by()
        .values("product_id")
        .annotate(total=Sum("change"))
        .values_list("product_id", "total")
    )
    return _record(
        [
            StockMovement(
                product_id=product_id,
                change=stock_quantity - ledger.get(product_id, 0),
                stock_after=stock_quantity,
                reason=StockReason.RECONCILIATION,
                note=(
                    f"stock_quantity {stock_quantity} but the movements added up to {ledger.get(product_id, 0)}: "
                    "the difference, made outside the service, recorded"
                ),
                actor=actor,
            )
            for product_id, stock_quantity in stock.items()
            if stock_quantity != ledger.get(product_id, 0)
        ]
    )
