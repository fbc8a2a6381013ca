"""Products in the admin: stock is adjusted by a number of units, never overwritten with a figure."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages

from orderservice.admin import EditedFieldsForm, ReadOnlyInline, RulesAdmin
from orderservice.domain.money import largest_amount

from . import services
from .models import DELETE_REFUSED_MESSAGE, MAX_STOCK, Product, StockMovement
from .stock import product_adjust_stock, stock_reconcile

# At or below this many units a product needs restocking: what the "low or out of stock" filter shows.
LOW_STOCK = 10


class StockLevelFilter(admin.SimpleListFilter):
    title = "stock"
    parameter_name = "stock"

    def lookups(self, request, model_admin):
        return [("low", f"Low or out of stock (≤ {LOW_STOCK})"), ("out", "Out of stock")]

    def queryset(self, request, queryset):
        if self.value() == "low":
            return queryset.filter(stock_quantity__lte=LOW_STOCK)
        if self.value() == "out":
            return queryset.filter(stock_quantity=0)
        return queryset


class ProductForm(EditedFieldsForm):
    # The database refuses these too; here staff get a message instead of an error page.
    price = forms.DecimalField(min_value=Decimal("0.01"), max_digits=18, decimal_places=2)
    stock_quantity = forms.IntegerField(min_value=0, max_value=MAX_STOCK, initial=0)
    stock_adjustment = forms.IntegerField(
        label="Adjust stock by",
        required=False,
        min_value=-MAX_STOCK,
        max_value=MAX_STOCK,
        help_text="Units to add (e.g. 20 for a delivery) or remove (e.g. -2 for breakage), applied to the stock "
        "as it is when you save, so orders placed meanwhile are kept.",
    )

    class Meta:
        model = Product
        fields = "__all__"
        labels = {"sku": "SKU"}

    def clean_price(self):
        if self.cleaned_data["price"] > largest_amount():
            raise forms.ValidationError(f"Ensure this value is less than or equal to {largest_amount()}.")
        return self.cleaned_data["price"]


class StockMovementInline(ReadOnlyInline):
    """The product's stock ledger, newest first: one query, whatever the number of movements."""

    model = StockMovement
    fields = ["created_at", "change", "stock_after", "reason", "order_id", "actor", "request_id", "note"]
    ordering = ["-id"]
    verbose_name_plural = "stock movements (newest first)"


@admin.register(Product)
class ProductAdmin(RulesAdmin):
    """Stock of an existing product is shown, never edited as a figure: the form would write back what it read
    when it was opened and undo the orders placed since. Staff adjust it by a number of units instead."""

    form = ProductForm
    list_display = ["name", "sku_code", "price", "stock_quantity", "is_active", "category"]
    search_fields = ["name", "sku"]
    list_filter = ["category", "is_active", StockLevelFilter]
    actions = ["activate", "deactivate", "reconcile_stock"]
    delete_refused_message = DELETE_REFUSED_MESSAGE
    inlines = [StockMovementInline]

    @admin.display(description="SKU", ordering="sku")
    def sku_code(self, product):
        return product.sku

    def get_fields(self, request, obj=None):
        fields = ["name", "description", "sku", "price", "category", "is_active", "stock_quantity"]
        return fields if obj is None else [*fields, "stock_adjustment"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["stock_quantity"]

    def create_through_service(self, values):
        return services.product_create(**values)

    def update_through_service(self, product, changes):
        return services.product_update(product=product, changes=changes)

    def delete_through_service(self, product):
        services.product_delete(product=product)

    def save_model(self, request, obj, form, change):
        # "Adjust stock by" adds to the stock as it is now (products.stock), as POST …/stock-adjustments does.
        if change and form.cleaned_data.get("stock_adjustment"):
            product_adjust_stock(product_id=obj.pk, change=form.cleaned_data["stock_adjustment"])
        super().save_model(request, obj, form, change)

    @admin.action(description="Activate selected products", permissions=["change"])
    def activate(self, request, queryset):
        self._set_active(request, queryset, True)

    @admin.action(description="Deactivate selected products", permissions=["change"])
    def deactivate(self, request, queryset):
        self._set_active(request, queryset, False)

    @admin.action(description="Reconcile the stock ledger of selected products", permissions=["change"])
    def reconcile_stock(self, request, queryset):
        """What `manage.py check_stock --repair` does, for the selected products: a drift between the stock and
        its ledger is recorded as one `reconciliation` movement each (the stock itself is not changed)."""
        movements = stock_reconcile(product_ids=list(queryset.values_list("pk", flat=True)))
        names = dict(Product.objects.filter(pk__in=[m.product_id for m in movements]).values_list("pk", "name"))
        for movement in movements:
            self.log_change(request, movement.product, f"Stock ledger reconciled ({movement.change:+d}).")
        recorded = ", ".join(f"{names[m.product_id]} ({m.change:+d})" for m in movements)
        already = queryset.count() - len(movements)
        self.message_user(
            request,
            (f"Ledger reconciled for {len(movements)} product(s): {recorded}" if movements else "No ledger drifted")
            + (f"; {already} already added up." if already else "."),
            messages.SUCCESS,
        )

    def _set_active(self, request, queryset, active: bool) -> None:
        state = "active" if active else "inactive"
        changed = 0
        for product in queryset.exclude(is_active=active):
            try:
                services.product_update(product=product, changes={"is_active": active})
            except Product.DoesNotExist:
                continue  # deleted meanwhile
            changed += 1
            self.log_change(request, product, f"Made {state}.")
        already = queryset.count() - changed
        self.message_user(
            request,
            f"{changed} product(s) made {state}" + (f"; {already} already {state}" if already else "") + ".",
            messages.SUCCESS,
        )
