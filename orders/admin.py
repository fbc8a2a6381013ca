"""Orders in the admin: every change goes through orders.services, exactly like the API's."""

from collections import defaultdict
from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as delete_confirmation_page
from django.contrib.admin.options import BaseModelAdmin
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.forms.models import BaseInlineFormSet

from orderservice.admin import EditedFieldsForm, ReadOnlyInline, RulesAdmin
from orderservice.domain.limits import MAX_INTEGER
from orderservice.domain.rules import RuleViolation

from . import services
from .models import Order, OrderItem, OrderStatus

EDITABLE_ON_CHANGE = ["status", "shipping_address", "notes"]


class PickRelatedOnly(BaseModelAdmin):
    """Customer and product fields offer choosing (and adding); editing or deleting those records from an
    order's page would only distract."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        widget = getattr(formfield, "widget", None)
        if isinstance(widget, RelatedFieldWidgetWrapper):
            widget.can_change_related = widget.can_delete_related = False
            widget.can_view_related = False
        return formfield


class OrderItemInline(ReadOnlyInline):
    """An existing order's lines: what was ordered at what price, never changed afterwards."""

    model = OrderItem
    fields = ["product", "quantity", "unit_price", "total_price"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product")


class OrderLineFormSet(BaseInlineFormSet):
    """The lines of a new order: `services.order_create` writes them together with the order."""

    def lines(self) -> list[services.OrderLine]:
        return [
            services.OrderLine(product_id=form.cleaned_data["product"].pk, quantity=form.cleaned_data["quantity"])
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def clean(self):
        super().clean()
        if not any(self.errors) and not self.lines():
            raise forms.ValidationError("An order needs at least one line.")

    def save(self, commit=True):
        # Already written by order_create; what the admin's history entry lists as added.
        self.new_objects, self.changed_objects, self.deleted_objects = list(self.instance.order_items.all()), [], []
        return self.new_objects


class OrderLineForm(forms.ModelForm):
    quantity = forms.IntegerField(min_value=1, max_value=MAX_INTEGER)

    class Meta:
        model = OrderItem
        fields = ["product", "quantity"]


class OrderLineInline(PickRelatedOnly, admin.TabularInline):
    """A new order's lines: a product and a quantity each; the price is the product's when the order is saved."""

    model = OrderItem
    form = OrderLineForm
    formset = OrderLineFormSet
    autocomplete_fields = ["product"]
    extra = 0
    min_num = 1
    verbose_name = "line"


class OrderForm(EditedFieldsForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "status" in self.fields:  # an existing order's page
            current = self.instance.status
            allowed = services.ALLOWED_TRANSITIONS[OrderStatus(current)]
            self.fields["status"].help_text = (
                f"From {current} an order can move to {' or '.join(allowed)}." if allowed else f"{current} is final."
            )


@admin.register(Order)
class OrderAdmin(PickRelatedOnly, RulesAdmin):
    """Orders are placed, moved along their lifecycle and deleted by orders.services; a refusal is an error
    message and changes nothing. Totals, prices and lines of a placed order are read-only."""

    list_display = ["order_number", "customer", "status", "total_amount", "order_date"]
    list_filter = ["status", "order_date"]
    list_select_related = ["customer"]
    search_fields = ["order_number", "customer__email"]
    autocomplete_fields = ["customer"]
    form = OrderForm
    actions = ["mark_processing", "mark_shipped", "mark_delivered", "cancel", "delete_selected"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["customer", "shipping_address", "notes"]
        return [
            "order_number",
            "customer",
            "order_date",
            *EDITABLE_ON_CHANGE,
            "sub_total",
            "tax_amount",
            "shipping_amount",
            "total_amount",
        ]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else [f for f in self.get_fields(request, obj) if f not in EDITABLE_ON_CHANGE]

    def get_inlines(self, request, obj):
        return [OrderLineInline] if obj is None else [OrderItemInline]

    # --- Saving and deleting through the services -------------------------------------------------

    def save_model(self, request, obj, form, change):
        # A new order is placed in save_related, where its lines are.
        edited = {name: form.cleaned_data[name] for name in form.changed_data}
        if change and edited:
            services.order_update(order_id=obj.pk, **edited)

    def save_related(self, request, form, formsets, change):
        if not change:
            order = services.order_create(
                customer_id=form.cleaned_data["customer"].pk,
                lines=formsets[0].lines(),
                notes=form.cleaned_data["notes"],
                shipping_address=form.cleaned_data["shipping_address"],
            )
            # The admin goes on (history entry, redirect) with the object the form built: make it the order.
            form.instance.pk = order.pk
            form.instance.refresh_from_db()
        super().save_related(request, form, formsets, change)

    def delete_model(self, request, obj):
        services.order_delete(order_id=obj.pk)

    # --- Actions: each reports, per order, what happened ------------------------------------------

    @admin.action(description="Mark selected orders as Processing", permissions=["change"])
    def mark_processing(self, request, queryset):
        self._report(request, queryset, partial(self._move, status=OrderStatus.PROCESSING))

    @admin.action(description="Mark selected orders as Shipped", permissions=["change"])
    def mark_shipped(self, request, queryset):
        self._report(request, queryset, partial(self._move, status=OrderStatus.SHIPPED))

    @admin.action(description="Mark selected orders as Delivered", permissions=["change"])
    def mark_delivered(self, request, queryset):
        self._report(request, queryset, partial(self._move, status=OrderStatus.DELIVERED))

    @admin.action(description="Cancel selected orders (their stock is returned)", permissions=["change"])
    def cancel(self, request, queryset):
        self._report(request, queryset, partial(self._move, status=OrderStatus.CANCELLED))

    @admin.action(description="Delete selected orders (Pending only; their stock is returned)", permissions=["delete"])
    def delete_selected(self, request, queryset):
        if not request.POST.get("post"):
            return delete_confirmation_page(self, request, queryset)
        if self.get_deleted_objects(queryset, request)[2]:  # lacks permission on what goes with the orders
            raise PermissionDenied
        self._report(request, queryset, self._delete)

    def _move(self, request, order: Order, status: str) -> tuple[int, str]:
        with transaction.atomic():
            # Read the status under the lock order_change_status takes, so the report says what this did.
            before = Order.objects.select_for_update().values_list("status", flat=True).get(pk=order.pk)
            services.order_change_status(order_id=order.pk, status=status)
        if before == status:
            return messages.INFO, f"already {status}"
        self.log_change(request, order, f"Status changed from {before} to {status}.")
        returned = "; its stock is returned" if status == OrderStatus.CANCELLED else ""
        return messages.SUCCESS, f"moved from {before} to {status}{returned}"

    def _delete(self, request, order: Order) -> tuple[int, str]:
        with transaction.atomic():  # logged before the deletion, as Django wants, and only if it happens
            self.log_deletions(request, Order.objects.filter(pk=order.pk))
            services.order_delete(order_id=order.pk)
        return messages.SUCCESS, "deleted; its stock is returned"

    def _report(self, request, queryset, operation) -> None:
        """Run `operation` on each order on its own, and say what happened to each, grouped by outcome."""
        outcomes = defaultdict(list)
        for order in queryset.select_related(None).order_by("pk").only("pk", "order_number"):
            try:
                outcome = operation(request, order)
            except RuleViolation as refusal:
                outcome = messages.ERROR, f"refused: {refusal.message}"
            except Order.DoesNotExist:
                outcome = messages.WARNING, "no longer exists"
            outcomes[outcome].append(order.order_number)
        for (level, what), order_numbers in outcomes.items():
            self.message_user(request, f"{', '.join(order_numbers)}: {what}", level)
