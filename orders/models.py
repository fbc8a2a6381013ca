from django.db import models
from django.utils import timezone

from customers.models import Customer
from orderservice.domain.text import multi_line_text
from orderservice.models import TimestampedModel
from products.models import Product


class OrderStatus(models.TextChoices):
    PENDING = "Pending"
    PROCESSING = "Processing"
    SHIPPED = "Shipped"
    DELIVERED = "Delivered"
    CANCELLED = "Cancelled"


class Order(TimestampedModel):
    """A customer's order: its lines keep the price paid; its totals are computed once, at creation."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    order_number = models.CharField(max_length=50, unique=True)
    order_date = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING)
    sub_total = models.DecimalField(max_digits=18, decimal_places=2)
    tax_amount = models.DecimalField(max_digits=18, decimal_places=2)
    shipping_amount = models.DecimalField(max_digits=18, decimal_places=2)
    total_amount = models.DecimalField(max_digits=18, decimal_places=2)
    notes = models.CharField(max_length=500, null=True, blank=True, validators=[multi_line_text])
    shipping_address = models.CharField(max_length=200, null=True, blank=True, validators=[multi_line_text])

    class Meta:
        ordering = ["-order_date", "-id"]
        # One per ordering the list offers, with its tie-breaker (read backwards for the other direction), and
        # the filters with the default ordering: a keyset page reads only its rows' index entries.
        indexes = [
            models.Index(fields=["-order_date", "-id"], name="order_newest_first"),
            models.Index(fields=["total_amount", "id"], name="order_by_total_amount"),
            models.Index(fields=["created_at", "id"], name="order_by_created_at"),
            models.Index(fields=["status", "-order_date", "-id"], name="order_status_newest_first"),
            models.Index(fields=["customer", "-order_date", "-id"], name="order_customer_newest_first"),
        ]

    def __str__(self):
        return self.order_number


class OrderItem(TimestampedModel):
    """One line of an order: a product, how many, and the unit price at the moment of ordering."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="order_items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_items")
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=18, decimal_places=2)
    total_price = models.DecimalField(max_digits=18, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="order_item_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.product_id} in order {self.order_id}"
