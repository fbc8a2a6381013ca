"""The product rules: create, update, delete. Their stock moves through products.stock, which writes its ledger.

The API and the admin both call these functions; each change writes its business event (orderservice.events) in
its transaction. Update and delete take the product's row lock first and decide from what they read under it: a
product deleted by then raises Product.DoesNotExist (the API answers 404).
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import ProtectedError

from orderservice.domain.actors import admin_log_fields
from orderservice.domain.rules import RuleViolation
from orderservice.domain.unique import Unique, atomic_refusing_taken_values
from orderservice.events.outbox import Event, business_event, changed_values

from . import stock
from .models import DELETE_REFUSED_MESSAGE, DUPLICATE_SKU_MESSAGE, Product
from .serializers import ProductSerializer

# What the database keeps unique (the serializer and the admin's form check it first; a racing request can still
# take a value between that check and the write).
UNIQUE_VALUES = {"sku": Unique("exact", DUPLICATE_SKU_MESSAGE)}


def shown(product: Product) -> dict:
    """The product as the API shows it."""
    return ProductSerializer(product).data


def product_create(
    *,
    name: str,
    price: Decimal,
    description: str | None = None,
    sku: str | None = None,
    stock_quantity: int = 0,
    category: str | None = None,
    is_active: bool = True,
) -> Product:
    """A new product, and the `initial` movement of its stock (its product.created event first)."""
    values = {
        "name": name,
        "price": price,
        "description": description,
        "sku": sku,
        "stock_quantity": stock_quantity,
        "category": category,
        "is_active": is_active,
    }
    with atomic_refusing_taken_values(Product, UNIQUE_VALUES, values):
        product = Product.objects.create(**values)
        created = Event(
            "product.created",
            {"product_id": product.pk},
            details={"product": shown(product)},
            log_only=admin_log_fields(),
        )
        stock.product_record_initial_stock(product=product, with_events=(created,))
    return product


def product_update(*, product: Product, changes: dict) -> Product:
    """Write `changes` ({field: new value}) and only them, so a rename never writes back a stock figure read before
    orders took their share; returns the product as stored now. A `stock_quantity` among them is set through the
    ledger, as the difference from the stock read under the lock (a `set` movement; none when equal). Values it
    already holds are no change: when nothing changes, nothing is written (no `updated_at`, no event)."""
    with atomic_refusing_taken_values(Product, UNIQUE_VALUES, changes, pk=product.pk):
        product = Product.objects.select_for_update().get(pk=product.pk)
        changes = {field: value for field, value in changes.items() if getattr(product, field) != value}
        if not changes:
            return product
        if "stock_quantity" in changes:
            stock.product_set_stock(product=product, stock_quantity=changes["stock_quantity"])
        fields = [field for field in changes if field != "stock_quantity"]
        for field in fields:
            setattr(product, field, changes[field])
        product.save(update_fields=[*fields, "updated_at"])  # last, so the product returned has the updated_at stored
        business_event(
            "product.updated",
            product_id=product.pk,
            fields=sorted(changes),
            details={"changed": changed_values(shown(product), changes)},
            log_only=admin_log_fields(),
        )
    return product


@transaction.atomic
def product_delete(*, product: Product) -> None:
    """Delete a product never ordered, with its stock ledger; one that order items refer to is refused."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    product_id = product.pk
    try:
        product.delete()
    except ProtectedError:  # order items refer to it (on_delete=PROTECT)
        raise RuleViolation(DELETE_REFUSED_MESSAGE) from None
    business_event("product.deleted", product_id=product_id, log_only=admin_log_fields())
