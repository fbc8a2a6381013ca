from django.db import models

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
    sku = models.CharField(max_length=50, null=True, blank=True, unique=True, validators=[one_line_text],
                           error_messages={"unique": DUPLICATE_SKU_MESSAGE})
    stock_quantity = models.IntegerField(default=0)
    category = models.CharField(max_length=100, null=True, blank=True, validators=[one_line_text])
    is_active = models.BooleanField(default=True)

    objects = ProductManager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(stock_quantity__gte=0), name="product_stock_not_negative"),
            models.CheckConstraint(condition=models.Q(price__gt=0), name="product_price_positive"),
        ]

    def __str__(self):
        return f"{self.name} ({self.sku})" if self.sku else self.name

    def natural_key(self):
        return (self.sku,)
