"""Customers in the admin, with their number of orders and their orders; every change goes through
customers.services, exactly like the API's."""

from django.contrib import admin
from django.db.models import Count

from orders.models import Order
from orderservice.admin import ReadOnlyInline, RulesAdmin

from . import services
from .models import DELETE_REFUSED_MESSAGE, Customer


class CustomerOrderInline(ReadOnlyInline):
    """The customer's orders, newest first, each linking to its own page (orders change there only)."""

    model = Order
    fields = ["order_number", "status", "total_amount", "order_date"]
    show_change_link = True


@admin.register(Customer)
class CustomerAdmin(RulesAdmin):
    list_display = ["name", "email", "phone", "user_id", "order_count"]
    search_fields = ["first_name", "last_name", "email", "user_id"]
    inlines = [CustomerOrderInline]
    delete_refused_message = DELETE_REFUSED_MESSAGE

    def create_through_service(self, values):
        return services.customer_create(**values)

    def update_through_service(self, customer, changes):
        return services.customer_update(customer=customer, changes=changes)

    def delete_through_service(self, customer):
        services.customer_delete(customer=customer)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(order_count=Count("orders"))

    @admin.display(ordering="last_name")
    def name(self, customer):
        return f"{customer.first_name} {customer.last_name}"

    @admin.display(ordering="order_count", description="Orders")
    def order_count(self, customer):
        return customer.order_count
