from rest_framework import serializers

from orderservice.api.serializers import InputSerializer
from orderservice.domain.money import largest_amount
from orderservice.domain.text import multi_line_text

from .models import MAX_STOCK, Product, StockMovement


class ProductSerializer(serializers.ModelSerializer):
    """A product as the API shows it, and what a POST, PUT or PATCH may send: it validates, products.services
    writes."""

    stock_quantity = serializers.IntegerField(min_value=0, max_value=MAX_STOCK, default=0)

    class Meta:
        model = Product
        fields = [
            "id",
            "name",
            "description",
            "price",
            "sku",
            "stock_quantity",
            "category",
            "is_active",
            "created_at",
            "updated_at",
        ]
        # PUT replaces the product: what it leaves out goes back to its default, as in the old service.
        extra_kwargs = {
            "is_active": {"default": True},
            "description": {"default": None},
            "sku": {"default": None},
            "category": {"default": None},
        }

    def validate_price(self, price):
        if price <= 0:
            raise serializers.ValidationError("Ensure this value is greater than 0.", code="min_value")
        if price > largest_amount():
            raise serializers.ValidationError(
                f"Ensure this value is less than or equal to {largest_amount()}.", code="max_value"
            )
        return price

    def validate_sku(self, sku):
        return sku or None  # "" means no SKU: stored as NULL so it never collides with another product's


class ProductReplaceSerializer(ProductSerializer):
    """PUT: a full replacement must say how much stock there is; only a new product defaults to 0."""

    stock_quantity = serializers.IntegerField(min_value=0, max_value=MAX_STOCK)


class StockMovementSerializer(serializers.ModelSerializer):
    product_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = StockMovement
        fields = [
            "id",
            "product_id",
            "change",
            "stock_after",
            "reason",
            "order_id",
            "actor",
            "request_id",
            "note",
            "created_at",
        ]
        read_only_fields = fields


class StockAdjustmentSerializer(InputSerializer):
    """POST /api/products/{id}/stock-adjustments: units to add (negative: remove), and why."""

    change = serializers.IntegerField(min_value=-MAX_STOCK, max_value=MAX_STOCK)
    note = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", validators=[multi_line_text]
    )

    def validate_change(self, change):
        if change == 0:
            raise serializers.ValidationError("Must not be 0.", code="invalid")
        return change
