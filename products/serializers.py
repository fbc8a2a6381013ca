from rest_framework import serializers

from orderservice.api.serializers import InputSerializer, UniqueFieldsSaveMixin
from orderservice.domain.money import largest_amount
from orderservice.domain.text import multi_line_text

from . import stock
from .models import DUPLICATE_SKU_MESSAGE, MAX_STOCK, Product, StockMovement


class ProductSerializer(UniqueFieldsSaveMixin, serializers.ModelSerializer):
    unique_fields = {"sku": ("exact", DUPLICATE_SKU_MESSAGE)}
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

    def update(self, product, validated_data):
        """Write only what the request sent: a rename must not write back a stock figure read before
        concurrent orders took their share. A stock figure sent is set through the ledger (a `set` movement)."""
        if "stock_quantity" in validated_data:
            stock.product_set_stock(product_id=product.pk, stock_quantity=validated_data["stock_quantity"])
        fields = {field: value for field, value in validated_data.items() if field != "stock_quantity"}
        for field, value in validated_data.items():
            setattr(product, field, value)
        product.save(update_fields=[*fields, "updated_at"])  # last, so the answer shows the updated_at stored
        return product


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
