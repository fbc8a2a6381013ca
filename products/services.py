"""Stock corrections by staff (a delivery arrived, units broke): relative, so they never undo an order."""
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from orderservice.domain.rules import RuleViolation
from orderservice.observability.events import business_event

from .models import MAX_STOCK, Product


@transaction.atomic
def product_adjust_stock(*, product_id: int, change: int) -> Product:
    """Add `change` (negative: remove) to the stock as it is now, never below zero nor above MAX_STOCK."""
    adjusted = Product.objects.filter(
        pk=product_id, stock_quantity__gte=-change, stock_quantity__lte=MAX_STOCK - change,
    ).update(stock_quantity=F("stock_quantity") + change, updated_at=timezone.now())
    product = Product.objects.get(pk=product_id)
    if not adjusted:
        if change < 0:
            raise RuleViolation(f"Cannot remove {-change} from the stock of {product.name}: "
                                f"only {product.stock_quantity} in stock", field="stock_quantity")
        raise RuleViolation(f"Stock of {product.name} cannot exceed {MAX_STOCK}", field="stock_quantity")
    business_event("product.stock_changed", product_id=product_id, change=change, reason="adjustment",
                   stock_quantity=product.stock_quantity)
    return product
