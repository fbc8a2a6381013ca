"""Deleting customers: DELETE /api/customers/{id} is refused while the customer has orders."""

import pytest

from orders.models import Order
from orderservice.testing.api import assert_problem
from orderservice.testing.factories import CustomerFactory, place_order
from orderservice.testing.state import database_state

pytestmark = pytest.mark.django_db


def test_delete_is_refused_for_a_customer_with_orders(api_client):
    customer = CustomerFactory()
    place_order(customer=customer)
    before = database_state()

    response = api_client.delete(f"/api/customers/{customer.pk}")

    assert_problem(response, 400, "Cannot delete customer with existing orders")
    assert database_state() == before
    assert list(Order.objects.values_list("customer_id", flat=True)) == [customer.pk]
