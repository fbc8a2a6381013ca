from django.contrib import admin

from .models import Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "sku", "price", "stock_quantity", "is_active", "category"]
    search_fields = ["name", "sku"]
    list_filter = ["category", "is_active"]
