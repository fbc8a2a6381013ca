"""The customer rules: create, update, delete.

The API and the admin both call these functions; each change writes its business event (orderservice.events) in
its transaction. Update and delete take the customer's row lock first and decide from what they read under it: a
customer deleted by then raises Customer.DoesNotExist (the API answers 404).
"""

from django.db import transaction
from django.db.models import ProtectedError

from orderservice.domain.actors import admin_log_fields
from orderservice.domain.rules import RuleViolation
from orderservice.domain.unique import Unique, atomic_refusing_taken_values
from orderservice.events.outbox import business_event, changed_values

from .models import DELETE_REFUSED_MESSAGE, DUPLICATE_EMAIL_MESSAGE, DUPLICATE_USER_MESSAGE, Customer
from .serializers import CustomerSerializer

# What the database keeps unique (the serializer and the admin's form check it first; a racing request can still
# take a value between that check and the write).
UNIQUE_VALUES = {
    "email": Unique("iexact", DUPLICATE_EMAIL_MESSAGE),
    "user_id": Unique("exact", DUPLICATE_USER_MESSAGE),
}


def shown(customer: Customer) -> dict:
    """The customer as the API shows it."""
    return CustomerSerializer(customer).data


def customer_create(
    *,
    first_name: str,
    last_name: str,
    email: str,
    phone: str | None = None,
    address: str | None = None,
    user_id: str | None = None,
) -> Customer:
    values = {
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "phone": phone,
        "address": address,
        "user_id": user_id,
    }
    with atomic_refusing_taken_values(Customer, UNIQUE_VALUES, values):
        customer = Customer.objects.create(**values)
        business_event(
            "customer.created",
            customer_id=customer.pk,
            details={"customer": shown(customer)},
            log_only=admin_log_fields(),
        )
    return customer


def customer_update(*, customer: Customer, changes: dict) -> Customer:
    """Write `changes` ({field: new value}) and only them, so what others changed meanwhile in the fields not named
    stays; returns the customer as stored now. Values it already holds are no change: when nothing changes,
    nothing is written (no `updated_at`, no event)."""
    with atomic_refusing_taken_values(Customer, UNIQUE_VALUES, changes, pk=customer.pk):
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        changes = {field: value for field, value in changes.items() if getattr(customer, field) != value}
        if not changes:
            return customer
        for field, value in changes.items():
            setattr(customer, field, value)
        customer.save(update_fields=[*changes, "updated_at"])
        business_event(
            "customer.updated",
            customer_id=customer.pk,
            fields=sorted(changes),
            details={"changed": changed_values(shown(customer), changes)},
            log_only=admin_log_fields(),
        )
    return customer


@transaction.atomic
def customer_delete(*, customer: Customer) -> None:
    """Delete a customer without orders; one with orders is refused."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    customer_id = customer.pk
    try:
        customer.delete()
    except ProtectedError:  # its orders refer to it (on_delete=PROTECT)
        raise RuleViolation(DELETE_REFUSED_MESSAGE) from None
    business_event("customer.deleted", customer_id=customer_id, log_only=admin_log_fields())
