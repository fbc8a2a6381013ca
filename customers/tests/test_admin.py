"""Customers in the Django admin: the list with order counts, search, the customer's orders, and deletes
refused exactly where the API refuses them."""

import pytest
from django.contrib.admin.models import LogEntry

from customers.models import Customer
from orderservice.testing.admin_pages import error_messages, form_fields, queries_to_get, shown_messages
from orderservice.testing.factories import CustomerFactory, place_order

pytestmark = pytest.mark.django_db

LIST = "/admin/customers/customer/"
ADD = "/admin/customers/customer/add/"


def change_url(customer) -> str:
    return f"/admin/customers/customer/{customer.pk}/change/"


def delete_url(customer) -> str:
    return f"/admin/customers/customer/{customer.pk}/delete/"


def listed(response) -> list[str]:
    return [customer.email for customer in response.context["cl"].result_list]


# --- The list ------------------------------------------------------------------------------------


def test_the_list_shows_name_email_phone_and_number_of_orders(admin_client):
    ann = CustomerFactory(first_name="Ann", last_name="Lee", email="ann@shop.example", phone="+15551234")
    bob = CustomerFactory(first_name="Bob", last_name="Ray", email="bob@shop.example")
    place_order(customer=ann), place_order(customer=ann)
    response = admin_client.get(LIST)
    assert response.status_code == 200
    assert {c.email: c.order_count for c in response.context["cl"].result_list} == {
        "ann@shop.example": 2,
        "bob@shop.example": 0,
    }
    page = response.content.decode()
    for shown in ("Ann Lee", "ann@shop.example", "+15551234", '<td class="field-order_count">2</td>', "Bob Ray"):
        assert shown in page
    assert listed(response) == [ann.email, bob.email]  # by last name


def test_the_list_sorts_by_number_of_orders(admin_client):
    few, many = CustomerFactory(), CustomerFactory()
    place_order(customer=many), place_order(customer=many), place_order(customer=few)
    column = 4  # name, email, phone, orders
    assert listed(admin_client.get(LIST, {"o": f"-{column}"})) == [many.email, few.email]


@pytest.mark.parametrize(
    "query, found",
    [
        ("Ann", ["ann@shop.example"]),
        ("ray", ["bob@shop.example"]),
        ("bob@shop", ["bob@shop.example"]),
        ("shop.example", None),
    ],
)
def test_the_list_searches_name_and_email(admin_client, query, found):
    CustomerFactory(first_name="Ann", last_name="Lee", email="ann@shop.example")
    CustomerFactory(first_name="Bob", last_name="Ray", email="bob@shop.example")
    assert listed(admin_client.get(LIST, {"q": query})) == (found or ["ann@shop.example", "bob@shop.example"])


def test_the_list_takes_as_many_queries_for_13_customers_as_for_3(admin_client):
    def customers_with_orders(count):
        for _ in range(count):
            place_order(customer=CustomerFactory())

    customers_with_orders(3)
    few = queries_to_get(admin_client, LIST)
    customers_with_orders(10)
    assert queries_to_get(admin_client, LIST) == few


# --- The customer's page ---------------------------------------------------------------------------


def test_the_customer_page_shows_their_orders_read_only_with_links(admin_client):
    customer = CustomerFactory()
    first, second = place_order(customer=customer), place_order(customer=customer)
    other = place_order()
    response = admin_client.get(change_url(customer))
    page = response.content.decode()
    for order in (first, second):
        assert order.order_number in page
        assert f'href="/admin/orders/order/{order.pk}/change/"' in page
    assert other.order_number not in page
    assert not any(
        name.startswith("orders-") and name.endswith(("status", "total_amount")) for name in form_fields(response)
    )


def test_the_customer_page_takes_as_many_queries_for_12_orders_as_for_2(admin_client):
    few, many = CustomerFactory(), CustomerFactory()
    for _ in range(2):
        place_order(customer=few)
    for _ in range(12):
        place_order(customer=many)
    assert queries_to_get(admin_client, change_url(many)) == queries_to_get(admin_client, change_url(few))


# --- Adding and changing ---------------------------------------------------------------------------


def test_adding_a_customer_is_logged_without_the_email(admin_client, admin_user, logged_events, committed):
    form = {**form_fields(admin_client.get(ADD)), "first_name": "Ann", "last_name": "Lee", "email": "ann@x.example"}
    with committed():
        response = admin_client.post(ADD, form, follow=True)
    assert error_messages(response) == []
    customer = Customer.objects.get()
    assert (customer.first_name, customer.phone) == ("Ann", None)
    assert logged_events() == [
        {"event": "customer.created", "customer_id": customer.pk, "via": "admin", "staff_user_id": admin_user.pk}
    ]
    assert "ann@x.example" not in str(logged_events())


def test_an_email_taken_in_another_case_is_refused(admin_client):
    CustomerFactory(email="ann@shop.example")
    form = {**form_fields(admin_client.get(ADD)), "first_name": "A", "last_name": "B", "email": "ANN@shop.example"}
    response = admin_client.post(ADD, form)
    assert response.status_code == 200
    assert "Customer with this email already exists" in response.content.decode()
    assert Customer.objects.count() == 1


def test_saving_writes_only_what_staff_edited(admin_client, admin_user, logged_events, committed):
    """The page was opened before an API client changed the phone; staff edit the last name only."""
    customer = CustomerFactory(last_name="Lee", phone="+1000")
    form = form_fields(admin_client.get(change_url(customer)))
    Customer.objects.filter(pk=customer.pk).update(phone="+2000")
    with committed():
        admin_client.post(change_url(customer), {**form, "last_name": "Lee-Ray"})
    customer.refresh_from_db()
    assert (customer.last_name, customer.phone) == ("Lee-Ray", "+2000")
    assert logged_events() == [
        {
            "event": "customer.updated",
            "customer_id": customer.pk,
            "fields": ["last_name"],
            "via": "admin",
            "staff_user_id": admin_user.pk,
        }
    ]


# --- Deleting ------------------------------------------------------------------------------------


def test_a_customer_without_orders_can_be_deleted(admin_client, admin_user, logged_events, committed):
    customer = CustomerFactory()
    with committed():
        response = admin_client.post(delete_url(customer), {"post": "yes"}, follow=True)
    assert error_messages(response) == []
    assert not Customer.objects.exists()
    assert logged_events() == [
        {"event": "customer.deleted", "customer_id": customer.pk, "via": "admin", "staff_user_id": admin_user.pk}
    ]


def test_deleting_a_customer_with_orders_is_refused_with_the_apis_message(admin_client, logged_events, committed):
    customer = CustomerFactory()
    order = place_order(customer=customer)
    confirmation = admin_client.get(delete_url(customer))
    assert error_messages(confirmation) == ["Cannot delete customer with existing orders"]
    assert order.order_number in confirmation.content.decode()  # what stands in the way
    assert 'type="submit"' not in confirmation.content.decode().split('id="content"')[1]  # no "Yes, I'm sure"
    with committed():
        response = admin_client.post(delete_url(customer), {"post": "yes"})
    assert error_messages(response) == ["Cannot delete customer with existing orders"]
    assert Customer.objects.filter(pk=customer.pk).exists()
    assert not LogEntry.objects.exists()
    assert [e for e in logged_events() if e["event"].startswith("customer.")] == []


def test_bulk_delete_refuses_the_lot_when_one_customer_has_orders(admin_client, logged_events, committed):
    idle, buyer = CustomerFactory(), CustomerFactory()
    place_order(customer=buyer)
    with committed():
        response = admin_client.post(
            LIST, {"action": "delete_selected", "post": "yes", "_selected_action": [idle.pk, buyer.pk]}
        )
    assert error_messages(response) == ["Cannot delete customer with existing orders"]
    assert Customer.objects.count() == 2
    assert not LogEntry.objects.exists()
    assert [e for e in logged_events() if e["event"].startswith("customer.")] == []


def test_bulk_delete_deletes_customers_without_orders(admin_client, logged_events, committed):
    first, second = CustomerFactory(), CustomerFactory()
    with committed():
        response = admin_client.post(
            LIST, {"action": "delete_selected", "post": "yes", "_selected_action": [first.pk, second.pk]}, follow=True
        )
    assert shown_messages(response) == ["Successfully deleted 2 customers."]
    assert not Customer.objects.exists()
    deleted = sorted(event["customer_id"] for event in logged_events() if event["event"] == "customer.deleted")
    assert deleted == [first.pk, second.pk]
