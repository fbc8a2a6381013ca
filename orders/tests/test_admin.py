"""Orders in the Django admin: the list, the order page, the status actions, placing and deleting orders,
all under the rules of orders/services.py (a refusal is an error message and changes nothing)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.utils import timezone

from orders import services
from orders.models import Order, OrderItem
from orderservice.testing.admin_pages import error_messages, form_fields, queries_to_get, shown_messages
from orderservice.testing.factories import CustomerFactory, ProductFactory, order_in, place_order
from orderservice.testing.ledger import assert_ledger_adds_up, last_movement_id, movements_since
from orderservice.testing.state import database_state, stock_of

pytestmark = pytest.mark.django_db

LIST = "/admin/orders/order/"
ADD = "/admin/orders/order/add/"


def change_url(order) -> str:
    return f"/admin/orders/order/{order.pk}/change/"


def run_action(client, action: str, orders, **extra):
    return client.post(
        LIST, {"action": action, "_selected_action": [order.pk for order in orders], **extra}, follow=True
    )


def status_of(order) -> str:
    return Order.objects.get(pk=order.pk).status


def assert_moved_by_staff(since: int, *expected: tuple) -> None:
    """The movements written since movement `since` are exactly `expected` [(product, change, reason, order)],
    each by "admin:admin" (admin_client's user), and the ledger adds up."""
    assert movements_since(since) == [
        {"product_id": product.pk, "change": change, "reason": reason, "order_id": order.pk, "actor": "admin:admin"}
        for product, change, reason, order in expected
    ]
    assert_ledger_adds_up()


# --- The list ----------------------------------------------------------------------------------


def test_the_list_shows_number_customer_status_total_and_date(admin_client):
    customer = CustomerFactory(first_name="Ann", last_name="Lee")
    order = place_order(customer=customer, items=[(ProductFactory(price=Decimal("29.99")), 1)])
    response = admin_client.get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    for shown in (order.order_number, "Ann Lee", "Pending", "42.39", f"{order.order_date:%Y}"):
        assert shown in page
    assert [o.pk for o in response.context["cl"].result_list] == [order.pk]


def test_the_list_filters_by_status(admin_client):
    pending, shipped = place_order(), order_in("Shipped")
    response = admin_client.get(LIST, {"status__exact": "Shipped"})
    assert [o.pk for o in response.context["cl"].result_list] == [shipped.pk]
    assert pending.order_number not in response.content.decode()


def test_the_list_filters_by_date(admin_client):
    recent, old = place_order(), place_order()
    Order.objects.filter(pk=old.pk).update(order_date=timezone.now() - timedelta(days=40))
    changelist = admin_client.get(LIST).context["cl"]
    date_filter = next(spec for spec in changelist.filter_specs if spec.title == "order date")
    past_week = next(choice for choice in date_filter.choices(changelist) if choice["display"] == "Past 7 days")
    response = admin_client.get(LIST + past_week["query_string"])
    assert [o.pk for o in response.context["cl"].result_list] == [recent.pk]


def test_the_list_searches_order_number_and_customer_email(admin_client):
    ann = place_order(customer=CustomerFactory(email="ann@shop.example"))
    bob = place_order(customer=CustomerFactory(email="bob@shop.example"))
    by_number = admin_client.get(LIST, {"q": ann.order_number})
    assert [o.pk for o in by_number.context["cl"].result_list] == [ann.pk]
    by_email = admin_client.get(LIST, {"q": "bob@shop"})
    assert [o.pk for o in by_email.context["cl"].result_list] == [bob.pk]


def test_the_list_takes_as_many_queries_for_13_orders_as_for_3(admin_client):
    for _ in range(3):
        place_order()
    few = queries_to_get(admin_client, LIST)
    for _ in range(10):
        place_order()
    assert queries_to_get(admin_client, LIST) == few


# --- The order page ------------------------------------------------------------------------------


def test_the_order_page_shows_its_lines_and_totals_read_only(admin_client):
    laptop = ProductFactory(name="Laptop", price=Decimal("1299.99"))
    mouse = ProductFactory(name="Mouse", price=Decimal("29.99"))
    order = place_order(items=[(laptop, 1), (mouse, 2)])
    response = admin_client.get(change_url(order))
    page = response.content.decode()
    for shown in ("Laptop", "Mouse", "1299.99", "29.99", "59.98", "1359.97", "108.80", "0.00", "1468.77"):
        assert shown in page
    editable = set(form_fields(response))
    assert {"status", "notes", "shipping_address"} <= editable
    assert not {"sub_total", "tax_amount", "shipping_amount", "total_amount", "customer"} & editable
    assert not any(name.startswith("order_items-0-") and name.endswith(("quantity", "product")) for name in editable)


def test_the_order_page_takes_as_many_queries_for_12_lines_as_for_2(admin_client):
    few = place_order(items=[(ProductFactory(), 1) for _ in range(2)])
    many = place_order(items=[(ProductFactory(), 1) for _ in range(12)])
    assert queries_to_get(admin_client, change_url(many)) == queries_to_get(admin_client, change_url(few))


# --- Changing an order on its page ---------------------------------------------------------------


def test_the_order_page_moves_the_status_through_the_service(admin_client):
    product = ProductFactory(stock_quantity=10)
    order = place_order(items=[(product, 3)])
    form = form_fields(admin_client.get(change_url(order)))
    response = admin_client.post(change_url(order), {**form, "status": "Processing", "notes": "gift wrap"}, follow=True)
    assert error_messages(response) == []
    order.refresh_from_db()
    assert (order.status, order.notes) == ("Processing", "gift wrap")
    assert stock_of(product) == 7


def test_cancelling_on_the_order_page_returns_the_stock(admin_client):
    product = ProductFactory(stock_quantity=10)
    order = place_order(items=[(product, 3)])
    form = form_fields(admin_client.get(change_url(order)))
    since = last_movement_id()
    admin_client.post(change_url(order), {**form, "status": "Cancelled"})
    assert (status_of(order), stock_of(product)) == ("Cancelled", 10)
    assert_moved_by_staff(since, (product, 3, "order.cancelled", order))


def test_a_forbidden_move_on_the_order_page_is_refused_with_a_message_and_changes_nothing(admin_client):
    order = place_order(items=[(ProductFactory(stock_quantity=10), 3)])
    form = form_fields(admin_client.get(change_url(order)))
    before = database_state()
    response = admin_client.post(change_url(order), {**form, "status": "Delivered", "notes": "lost"}, follow=True)
    assert error_messages(response) == [
        "Cannot change status from Pending to Delivered; allowed: Processing, Cancelled"
    ]
    assert response.redirect_chain == [(change_url(order), 302)]
    assert database_state() == before
    assert not LogEntry.objects.exists()


def test_a_page_opened_before_the_order_moved_does_not_move_it_back(admin_client):
    """Staff opened the page at Pending; the API moved the order on; they only edit the notes."""
    order = place_order()
    form = form_fields(admin_client.get(change_url(order)))
    services.order_change_status(order_id=order.pk, status="Processing")
    response = admin_client.post(change_url(order), {**form, "notes": "call first"}, follow=True)
    assert error_messages(response) == []
    order.refresh_from_db()
    assert (order.status, order.notes) == ("Processing", "call first")


def test_the_order_page_says_where_the_order_may_go(admin_client):
    page = admin_client.get(change_url(order_in("Processing"))).content.decode()
    assert "From Processing an order can move to Shipped or Cancelled." in page
    assert "Delivered is final." in admin_client.get(change_url(order_in("Delivered"))).content.decode()


# --- Status actions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action, current, wanted",
    [
        ("mark_processing", "Pending", "Processing"),
        ("mark_shipped", "Processing", "Shipped"),
        ("mark_delivered", "Shipped", "Delivered"),
        ("cancel", "Pending", "Cancelled"),
        ("cancel", "Processing", "Cancelled"),
    ],
)
def test_each_status_action_moves_an_order_and_says_so(admin_client, action, current, wanted):
    order = order_in(current)
    response = run_action(admin_client, action, [order])
    assert shown_messages(response) == [
        f"{order.order_number}: moved from {current} to {wanted}"
        + ("; its stock is returned" if wanted == "Cancelled" else "")
    ]
    assert status_of(order) == wanted


def test_a_status_action_reports_each_order_moved_already_there_or_refused(admin_client):
    pending, processing, delivered = order_in("Pending"), order_in("Processing"), order_in("Delivered")
    cancelled = order_in("Cancelled")
    before = database_state()
    response = run_action(admin_client, "mark_processing", [pending, processing, delivered, cancelled])
    assert shown_messages(response) == [
        f"{pending.order_number}: moved from Pending to Processing",
        f"{processing.order_number}: already Processing",
        f"{delivered.order_number}: refused: Cannot change status of a Delivered order: Delivered is final",
        f"{cancelled.order_number}: refused: Cannot change status of a Cancelled order: Cancelled is final",
    ]
    assert [status_of(order) for order in (pending, processing, delivered, cancelled)] == [
        "Processing",
        "Processing",
        "Delivered",
        "Cancelled",
    ]
    moved = Order.objects.filter(pk=pending.pk).values()[0]
    assert database_state() == {
        **before,
        "orders.Order": [moved if row["id"] == pending.pk else row for row in before["orders.Order"]],
    }
    assert list(LogEntry.objects.values_list("object_id", "change_message")) == [  # the order's History
        (str(pending.pk), "Status changed from Pending to Processing.")
    ]


def test_orders_refused_for_the_same_reason_are_reported_together(admin_client):
    first, second = order_in("Pending"), order_in("Pending")
    response = run_action(admin_client, "mark_delivered", [first, second])
    assert shown_messages(response) == [
        (
            f"{first.order_number}, {second.order_number}: refused: "
            "Cannot change status from Pending to Delivered; allowed: Processing, Cancelled"
        )
    ]


def test_the_cancel_action_returns_the_stock_exactly_once(admin_client):
    product = ProductFactory(stock_quantity=10)
    order = place_order(items=[(product, 4)])
    since = last_movement_id()
    run_action(admin_client, "cancel", [order])
    response = run_action(admin_client, "cancel", [order])
    assert shown_messages(response) == [f"{order.order_number}: already Cancelled"]
    assert stock_of(product) == 10
    assert_moved_by_staff(since, (product, 4, "order.cancelled", order))


def test_cancelling_a_shipped_order_is_refused_and_keeps_the_stock_out(admin_client):
    product = ProductFactory(stock_quantity=10)
    order = order_in("Shipped", items=[(product, 4)])
    before = database_state()
    response = run_action(admin_client, "cancel", [order])
    assert error_messages(response) == [
        f"{order.order_number}: refused: Cannot change status from Shipped to Cancelled; allowed: Delivered"
    ]
    assert database_state() == before


def test_staff_who_may_only_view_orders_get_no_status_actions(client, django_user_model):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(viewer)
    order = place_order()
    response = client.get(LIST)
    assert response.status_code == 200
    assert "mark_shipped" not in response.content.decode()
    before = database_state()
    run_action(client, "mark_processing", [order])
    assert database_state() == before


# --- Placing an order ------------------------------------------------------------------------------


def add_form(client, customer, lines, **fields) -> dict:
    """The add page's form filled in: a customer and [(product, quantity), …] lines."""
    form = form_fields(client.get(ADD))
    form.update({"customer": str(customer.pk), "order_items-TOTAL_FORMS": str(len(lines)), **fields})
    for index, (product, quantity) in enumerate(lines):
        form.update({f"order_items-{index}-product": str(product.pk), f"order_items-{index}-quantity": str(quantity)})
    return form


def test_placing_an_order_takes_stock_and_prices_it_like_the_api(admin_client):
    customer = CustomerFactory()
    laptop = ProductFactory(price=Decimal("1299.99"), stock_quantity=5)
    mouse = ProductFactory(price=Decimal("29.99"), stock_quantity=200)
    form = add_form(admin_client, customer, [(laptop, 1), (mouse, 2), (mouse, 1)], notes="by phone")
    since = last_movement_id()
    response = admin_client.post(ADD, form, follow=True)
    assert error_messages(response) == []
    order = Order.objects.get()
    assert response.redirect_chain == [(LIST, 302)]
    assert shown_messages(response) == [
        f'The order “<a href="{change_url(order)}">{order.order_number}</a>” was added successfully.'
    ]
    assert (order.customer_id, order.status, order.notes, order.shipping_address) == (
        customer.pk,
        "Pending",
        "by phone",
        None,
    )
    assert list(order.order_items.values_list("product_id", "quantity", "unit_price", "total_price")) == [
        (laptop.pk, 1, Decimal("1299.99"), Decimal("1299.99")),
        (mouse.pk, 2, Decimal("29.99"), Decimal("59.98")),
        (mouse.pk, 1, Decimal("29.99"), Decimal("29.99")),
    ]
    assert (order.sub_total, order.tax_amount, order.shipping_amount, order.total_amount) == (
        Decimal("1389.96"),
        Decimal("111.20"),
        Decimal("0.00"),
        Decimal("1501.16"),
    )
    assert (stock_of(laptop), stock_of(mouse)) == (4, 197)
    assert LogEntry.objects.get().object_id == str(order.pk)
    assert_moved_by_staff(since, (laptop, -1, "order.created", order), (mouse, -3, "order.created", order))


def test_placing_an_order_checks_the_stock_against_the_sum_of_its_lines(admin_client):
    customer, product = CustomerFactory(), ProductFactory(name="Chair", stock_quantity=5)
    before = database_state()
    response = admin_client.post(ADD, add_form(admin_client, customer, [(product, 3), (product, 3)]), follow=True)
    assert error_messages(response) == ["Insufficient stock for product Chair"]
    assert response.redirect_chain == [(ADD, 302)]
    assert database_state() == before
    assert not LogEntry.objects.exists()


def test_placing_an_order_for_an_inactive_product_is_refused(admin_client):
    customer = CustomerFactory()
    active, inactive = ProductFactory(stock_quantity=5), ProductFactory(name="Old Lamp", is_active=False)
    before = database_state()
    response = admin_client.post(ADD, add_form(admin_client, customer, [(active, 1), (inactive, 1)]), follow=True)
    assert error_messages(response) == ["Product Old Lamp is not active"]
    assert database_state() == before


def test_an_order_needs_a_line_with_a_positive_quantity(admin_client):
    customer, product = CustomerFactory(), ProductFactory()
    no_line = admin_client.post(ADD, add_form(admin_client, customer, []))
    zero = admin_client.post(ADD, add_form(admin_client, customer, [(product, 0)]))
    for response in (no_line, zero):
        assert response.status_code == 200  # the form again, with its errors
        assert response.context["errors"]
    assert not Order.objects.exists() and stock_of(product) == 100


# --- Deleting ----------------------------------------------------------------------------------


def delete_url(order) -> str:
    return f"/admin/orders/order/{order.pk}/delete/"


def test_deleting_a_pending_order_returns_its_stock(admin_client):
    product = ProductFactory(stock_quantity=10)
    order = place_order(items=[(product, 4)])
    assert admin_client.get(delete_url(order)).status_code == 200  # the confirmation page
    since = last_movement_id()
    response = admin_client.post(delete_url(order), {"post": "yes"}, follow=True)
    assert error_messages(response) == []
    assert not Order.objects.exists() and not OrderItem.objects.exists()
    assert stock_of(product) == 10
    assert_moved_by_staff(since, (product, 4, "order.deleted", order))


@pytest.mark.parametrize("status", ["Processing", "Shipped", "Delivered", "Cancelled"])
def test_deleting_an_order_that_is_not_pending_is_refused_and_changes_nothing(admin_client, status):
    order = order_in(status, items=[(ProductFactory(stock_quantity=10), 4)])
    before = database_state()
    response = admin_client.post(delete_url(order), {"post": "yes"}, follow=True)
    assert error_messages(response) == ["Cannot delete order that is not in Pending status"]
    assert response.redirect_chain == [(change_url(order), 302)]
    assert database_state() == before
    assert not LogEntry.objects.exists()


def test_bulk_delete_asks_first(admin_client):
    order = place_order()
    response = admin_client.post(LIST, {"action": "delete_selected", "_selected_action": [order.pk]})
    assert response.status_code == 200
    assert "Are you sure" in response.content.decode()
    assert Order.objects.filter(pk=order.pk).exists()


def test_bulk_delete_deletes_pending_orders_and_refuses_the_others(admin_client):
    product = ProductFactory(stock_quantity=20)
    pending = place_order(items=[(product, 4)])
    shipped = order_in("Shipped", items=[(product, 5)])
    since = last_movement_id()
    response = run_action(admin_client, "delete_selected", [pending, shipped], post="yes")
    assert shown_messages(response) == [
        f"{pending.order_number}: deleted; its stock is returned",
        f"{shipped.order_number}: refused: Cannot delete order that is not in Pending status",
    ]
    assert list(Order.objects.values_list("pk", "status")) == [(shipped.pk, "Shipped")]
    assert stock_of(product) == 15
    assert list(LogEntry.objects.values_list("object_id", "action_flag")) == [(str(pending.pk), DELETION)]
    assert_moved_by_staff(since, (product, 4, "order.deleted", pending))  # none for the refused one


# --- Business events -------------------------------------------------------------------------------


def test_orders_changed_in_the_admin_are_logged_by_the_services_and_refusals_not_at_all(
    admin_client, logged_events, committed
):
    product = ProductFactory(stock_quantity=10)
    with committed():
        admin_client.post(ADD, add_form(admin_client, CustomerFactory(), [(product, 4)]))
    order = Order.objects.get()
    assert [(e["event"], e["order_id"]) for e in logged_events()] == [
        ("order.created", order.pk),
        ("product.stock_changed", order.pk),
    ]
    with committed():
        run_action(admin_client, "cancel", [order])
    assert sorted((e["event"], e["order_id"]) for e in logged_events()[2:]) == [
        ("order.status_changed", order.pk),
        ("product.stock_changed", order.pk),
    ]
    with committed():
        run_action(admin_client, "cancel", [order])  # already Cancelled
        run_action(admin_client, "mark_shipped", [order])  # refused
        admin_client.post(delete_url(order), {"post": "yes"})  # refused
    assert len(logged_events()) == 4
