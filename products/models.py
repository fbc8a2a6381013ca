from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone

from orderservice.domain.actors import MAX_ACTOR_LENGTH
from orderservice.domain.limits import MAX_INTEGER
from orderservice.domain.text import multi_line_text, one_line_text
from orderservice.models import TimestampedModel

DUPLICATE_SKU_MESSAGE = "Product with this SKU already exists"
DELETE_REFUSED_MESSAGE = "Cannot delete product with existing order items"
MAX_STOCK = MAX_INTEGER  # stock_quantity is an INTEGER column


class ProductManager(models.Manager):
    def get_by_natural_key(self, sku):
        return self.get(sku=sku)


class Product(TimestampedModel):
    """Something we sell; its stock can never go below zero (the database refuses it too)."""

    name = models.CharField(max_length=200, validators=[one_line_text])
    description = models.CharField(max_length=1000, null=True, blank=True, validators=[multi_line_text])
    price = models.DecimalField(max_digits=18, decimal_places=2)
    # NULL when absent, so that many products may have no SKU while given SKUs stay unique.
    sku = models.CharField(
        max_length=50,
        null=True,
        blank=True,
        unique=True,
        validators=[one_line_text],
        error_messages={"unique": DUPLICATE_SKU_MESSAGE},
    )
    stock_quantity = models.IntegerField(default=0)
    category = models.CharField(max_length=100, null=True, blank=True, validators=[one_line_text])
    is_active = models.BooleanField(default=True)

    objects = ProductManager()

    class Meta:
        ordering = ["name", "id"]
        # One per ordering the list offers, with its tie-breaker: a keyset page (WHERE key > cursor ORDER BY key,
        # id LIMIT n) then reads n index entries, in either direction, however many products there are.
        indexes = [
            models.Index(fields=["name", "id"], name="product_by_name"),
            models.Index(fields=["price", "id"], name="product_by_price"),
            models.Index(fields=["stock_quantity", "id"], name="product_by_stock_quantity"),
            models.Index(fields=["created_at", "id"], name="product_by_created_at"),
            # ?category= (any case: UPPER(category) = UPPER(…) on PostgreSQL) in the default order, so that a page
            # of one category does not walk the whole name index past every other category.
            models.Index(Upper("category"), "name", "id", name="product_category_by_name"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(stock_quantity__gte=0), name="product_stock_not_negative"),
            models.CheckConstraint(condition=models.Q(price__gt=0), name="product_price_positive"),
        ]

    def __str__(self):
        return f"{self.name} ({self.sku})" if self.sku else self.name

    def natural_key(self):
        return (self.sku,)


class StockReason(models.TextChoices):
    INITIAL = "initial"
    ORDER_CREATED = "order.created"
    ORDER_CANCELLED = "order.cancelled"
    ORDER_DELETED = "order.deleted"
    ADJUSTMENT = "adjustment"
    SET = "set"
    RECONCILIATION = "reconciliation"  # `check_stock --repair`: a drift made outside the service, recorded


class StockMovement(models.Model):
    """One change of a product's stock, written in the transaction that made it: a product's stock_quantity is
    always the sum of its movements' changes (products.stock writes them; `check_stock` verifies the sum)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="stock_movements", db_index=False)
    change = models.IntegerField()
    stock_after = models.IntegerField()
    reason = models.CharField(max_length=20, choices=StockReason.choices)
    # Not a foreign key: the movement of a deleted order keeps that order's id.
    order_id = models.BigIntegerField(null=True, blank=True)
    actor = models.CharField(max_length=MAX_ACTOR_LENGTH, blank=True)
    request_id = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=500, blank=True, validators=[multi_line_text])
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        # A product's movements, newest first, page by page: product_id then id.
        indexes = [models.Index(fields=["product", "id"], name="stock_movement_product_id")]

    def __str__(self):
        return f"{self.change:+d} {self.reason} → {self.stock_after}"
