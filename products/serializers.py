from rest_framework import serializers

from orderservice.domain.money import largest_amount
from orderservice.api.serializers import UniqueFieldsSaveMixin

from .models import DUPLICATE_SKU_MESSAGE, MAX_STOCK, Product


class ProductSerializer(UniqueFieldsSaveMixin, serializers.ModelSerializer):
    unique_fields = {"sku": ("exact", DUPLICATE_SKU_MESSAGE)}
    stock_quantity = serializers.IntegerField(min_value=0, max_value=MAX_STOCK, default=0)

    class Meta:
        model = Product
        fields = ["id", "name", "description", "price", "sku", "stock_quantity", "category", "is_active",
                  "created_at", "updated_at"]
        # PUT replaces the product: what it leaves out goes back to its default, as in the old service.
        extra_kwargs = {"is_active": {"default": True}, "description": {"default": None}, "sku": {"default": None},
                        "category": {"default": None}}

    def validate_price(self, price):
        if price <= 0:
            raise serializers.ValidationError("Ensure this value is greater than 0.", code="min_value")
        if price > largest_amount():
            raise serializers.ValidationError(f"Ensure this value is less than or equal to {largest_amount()}.",
                                              code="max_value")
        return price

    def validate_sku(self, sku):
        return sku or None  # "" means no SKU: stored as NULL so it never collides with another product's

    def update(self, product, validated_data):
        """Write only what the request sent: a rename must not write back a stock figure read before
        concurrent orders took their share."""
        for field, value in validated_data.items():
            setattr(product, field, value)
        product.save(update_fields=[*validated_data, "updated_at"])
        return product


class ProductReplaceSerializer(ProductSerializer):
    """PUT: a full replacement must say how much stock there is; only a new product defaults to 0."""

    stock_quantity = serializers.IntegerField(min_value=0, max_value=MAX_STOCK)
