from django.contrib import admin

from .models import Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "sku", "price", "stock_quantity", "is_active", "category"]
    search_fields = ["name", "sku"]
    list_filter = ["category", "is_active"]

    def get_readonly_fields(self, request, obj=None):
        # The change form would write back the stock it showed when it was opened, undoing the orders
        # placed since; stock of an existing product changes through orders or the API.
        return ["stock_quantity"] if obj is not None else []
