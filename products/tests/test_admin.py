"""Products in the Django admin: the list, search and filters, bulk activation, stock that staff adjust by a
number of units (never overwrite), and deletes refused exactly where the API refuses them."""

from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry

from orderservice.testing.admin_pages import error_messages, form_fields, queries_to_get, shown_messages
from orderservice.testing.factories import ProductFactory, place_order
from orderservice.testing.ledger import assert_ledger_adds_up
from orderservice.testing.state import stock_of
from products.admin import LOW_STOCK
from products.models import Product, StockMovement
from products.stock import product_adjust_stock

pytestmark = pytest.mark.django_db

LIST = "/admin/products/product/"
ADD = "/admin/products/product/add/"


def change_url(product) -> str:
    return f"/admin/products/product/{product.pk}/change/"


def listed(response) -> list[str]:
    return [product.name for product in response.context["cl"].result_list]


# --- The list ------------------------------------------------------------------------------------


def test_the_list_shows_name_sku_price_stock_active_and_category(admin_client):
    ProductFactory(name="Laptop", sku="LAPTOP-001", price=Decimal("1299.99"), stock_quantity=50, category="Electronics")
    response = admin_client.get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    for shown in (
        "Laptop",
        "LAPTOP-001",
        "1299.99",
        '<td class="field-stock_quantity">50</td>',
        "Electronics",
        'alt="True"',
    ):
        assert shown in page


@pytest.mark.parametrize("query, found", [("lap", ["Laptop"]), ("MOUSE-0", ["Mouse"]), ("00", ["Laptop", "Mouse"])])
def test_the_list_searches_name_and_sku(admin_client, query, found):
    ProductFactory(name="Laptop", sku="LAPTOP-001")
    ProductFactory(name="Mouse", sku="MOUSE-001")
    assert listed(admin_client.get(LIST, {"q": query})) == found


def test_the_list_filters_by_category_and_active(admin_client):
    ProductFactory(name="Laptop", category="Electronics")
    ProductFactory(name="Chair", category="Furniture")
    ProductFactory(name="Old Mouse", category="Electronics", is_active=False)
    assert listed(admin_client.get(LIST, {"category": "Electronics"})) == ["Laptop", "Old Mouse"]
    assert listed(admin_client.get(LIST, {"is_active__exact": "0"})) == ["Old Mouse"]
    assert listed(admin_client.get(LIST, {"category": "Electronics", "is_active__exact": "1"})) == ["Laptop"]


def test_the_list_filters_low_or_out_of_stock(admin_client):
    assert LOW_STOCK == 10
    for name, stock in [("Empty", 0), ("One left", 1), ("Just low", LOW_STOCK), ("Plenty", LOW_STOCK + 1)]:
        ProductFactory(name=name, stock_quantity=stock)
    response = admin_client.get(LIST, {"stock": "low"})
    assert listed(response) == ["Empty", "Just low", "One left"]
    assert "Low or out of stock (≤ 10)" in response.content.decode()
    assert listed(admin_client.get(LIST, {"stock": "out"})) == ["Empty"]


def test_the_list_takes_as_many_queries_for_13_products_as_for_3(admin_client):
    ProductFactory.create_batch(3)
    few = queries_to_get(admin_client, LIST)
    ProductFactory.create_batch(10, category="Other")
    assert queries_to_get(admin_client, LIST) == few


# --- Bulk activation -------------------------------------------------------------------------------


def run_action(client, action, products):
    return client.post(LIST, {"action": action, "_selected_action": [p.pk for p in products]}, follow=True)


def test_deactivate_and_activate_selected_products(admin_client, admin_user, logged_events, committed):
    on, off, untouched = ProductFactory(), ProductFactory(is_active=False), ProductFactory()
    with committed():
        response = run_action(admin_client, "deactivate", [on, off])
    assert shown_messages(response) == ["1 product(s) made inactive; 1 already inactive."]
    assert dict(Product.objects.values_list("pk", "is_active")) == {on.pk: False, off.pk: False, untouched.pk: True}
    assert logged_events() == [
        {
            "event": "product.updated",
            "product_id": on.pk,
            "fields": ["is_active"],
            "via": "admin",
            "staff_user_id": admin_user.pk,
        }
    ]
    response = run_action(admin_client, "activate", [on, off])
    assert shown_messages(response) == ["2 product(s) made active."]
    assert Product.objects.filter(is_active=True).count() == 3
    assert [entry.change_message for entry in LogEntry.objects.order_by("pk")] == [
        "Made inactive.",
        "Made active.",
        "Made active.",
    ]


# --- Adding and changing: stock is adjusted, never overwritten -------------------------------------


def test_a_new_product_gets_its_initial_stock(admin_client, admin_user, logged_events, committed):
    form = {**form_fields(admin_client.get(ADD)), "name": "Desk", "price": "249.00", "stock_quantity": "12", "sku": ""}
    with committed():
        response = admin_client.post(ADD, form, follow=True)
    assert error_messages(response) == []
    product = Product.objects.get()
    assert (product.name, product.price, product.stock_quantity, product.sku, product.is_active) == (
        "Desk",
        Decimal("249.00"),
        12,
        None,
        True,
    )
    movement = StockMovement.objects.get(product=product)
    assert (movement.change, movement.stock_after, movement.reason, movement.actor) == (
        12,
        12,
        "initial",
        f"admin:{admin_user.username}",
    )
    assert logged_events() == [
        {"event": "product.created", "product_id": product.pk, "via": "admin", "staff_user_id": admin_user.pk},
        {
            "event": "product.stock_changed",
            "product_id": product.pk,
            "movement_id": movement.pk,
            "change": 12,
            "reason": "initial",
            "stock_after": 12,
        },
    ]


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("price", "0", "Ensure this value is greater than or equal to 0.01."),
        ("price", "-5", "Ensure this value is greater than or equal to 0.01."),
        ("stock_quantity", "-1", "Ensure this value is greater than or equal to 0."),
        ("sku", "TAKEN-1", "Product with this SKU already exists"),
    ],
)
def test_a_new_product_is_checked_like_the_api_checks_it(admin_client, field, value, message):
    ProductFactory(sku="TAKEN-1")
    form = {
        **form_fields(admin_client.get(ADD)),
        "name": "Desk",
        "price": "249.00",
        "stock_quantity": "1",
        field: value,
    }
    response = admin_client.post(ADD, form)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Product.objects.count() == 1


def test_the_stock_of_an_existing_product_is_shown_but_not_editable(admin_client):
    product = ProductFactory(stock_quantity=37)
    response = admin_client.get(change_url(product))
    fields = form_fields(response)
    assert "stock_quantity" not in fields and "stock_adjustment" in fields
    assert '<div class="readonly">37</div>' in response.content.decode()


def test_an_adjustment_applies_to_the_stock_as_it_is_when_saved(admin_client, admin_user, logged_events, committed):
    """The page showed 10; an order took 3 meanwhile; staff add a delivery of 5: 12, not 15."""
    product = ProductFactory(name="Desk", stock_quantity=10)
    form = form_fields(admin_client.get(change_url(product)))
    place_order(items=[(product, 3)])
    with committed():
        response = admin_client.post(
            change_url(product), {**form, "stock_adjustment": "5", "name": "Desk XL"}, follow=True
        )
    assert error_messages(response) == []
    product.refresh_from_db()
    assert (product.name, product.stock_quantity) == ("Desk XL", 12)
    events = [e for e in logged_events() if e["event"] == "product.stock_changed" and e.get("reason") == "adjustment"]
    movement = StockMovement.objects.filter(product=product).first()  # the newest
    assert (movement.change, movement.stock_after, movement.reason, movement.actor) == (
        5,
        12,
        "adjustment",
        f"admin:{admin_user.username}",
    )
    assert events == [
        {
            "event": "product.stock_changed",
            "product_id": product.pk,
            "movement_id": movement.pk,
            "change": 5,
            "reason": "adjustment",
            "stock_after": 12,
        }
    ]
    assert_ledger_adds_up()


def test_saving_without_an_adjustment_leaves_stock_taken_meanwhile_alone(admin_client):
    product = ProductFactory(stock_quantity=10)
    form = form_fields(admin_client.get(change_url(product)))
    place_order(items=[(product, 3)])
    admin_client.post(change_url(product), {**form, "category": "Desks"})
    assert stock_of(product) == 7


def test_a_product_is_deactivated_on_its_page(admin_client):
    product = ProductFactory(is_active=True)
    form = form_fields(admin_client.get(change_url(product)))
    del form["is_active"]  # unticked
    admin_client.post(change_url(product), form)
    assert Product.objects.get(pk=product.pk).is_active is False


def test_an_adjustment_below_zero_is_refused_and_changes_nothing(admin_client, logged_events, committed):
    product = ProductFactory(name="Desk", stock_quantity=4)
    form = form_fields(admin_client.get(change_url(product)))
    with committed():
        response = admin_client.post(
            change_url(product), {**form, "stock_adjustment": "-5", "name": "Renamed"}, follow=True
        )
    assert error_messages(response) == ["Cannot remove 5 from the stock of Desk: only 4 in stock"]
    product.refresh_from_db()
    assert (product.name, product.stock_quantity) == ("Desk", 4)
    assert StockMovement.objects.filter(product=product).count() == 1  # its initial stock only
    assert logged_events() == []
    assert not LogEntry.objects.exists()


def test_an_adjustment_may_take_the_stock_to_zero(admin_client):
    product = ProductFactory(stock_quantity=4)
    form = form_fields(admin_client.get(change_url(product)))
    admin_client.post(change_url(product), {**form, "stock_adjustment": "-4"})
    assert stock_of(product) == 0


# --- The stock ledger ----------------------------------------------------------------------------


def test_the_page_lists_the_products_movements_newest_first_read_only(admin_client):
    product = ProductFactory(stock_quantity=10)
    place_order(items=[(product, 3)])
    product_adjust_stock(product_id=product.pk, change=-2, note="breakage")
    response = admin_client.get(change_url(product))
    rows = response.context["inline_admin_formsets"][0].formset.queryset
    assert [(m.change, m.stock_after, m.reason, m.note) for m in rows] == [
        (-2, 5, "adjustment", "breakage"),
        (-3, 7, "order.created", ""),
        (10, 10, "initial", ""),
    ]
    assert "stock_movements-0-change" not in form_fields(response)  # shown, not editable
    assert "breakage" in response.content.decode()


def test_the_page_takes_as_many_queries_for_30_movements_as_for_1(admin_client):
    few, many = ProductFactory(stock_quantity=50), ProductFactory(stock_quantity=50)
    for _ in range(29):
        product_adjust_stock(product_id=many.pk, change=-1)
    assert queries_to_get(admin_client, change_url(many)) == queries_to_get(admin_client, change_url(few))


# --- Deleting ------------------------------------------------------------------------------------


def test_a_product_never_ordered_can_be_deleted(admin_client):
    product = ProductFactory()
    admin_client.post(f"/admin/products/product/{product.pk}/delete/", {"post": "yes"})
    assert not Product.objects.exists()


def test_deleting_a_product_with_order_items_is_refused_with_the_apis_message(admin_client):
    product = ProductFactory()
    place_order(items=[(product, 1)])
    response = admin_client.post(f"/admin/products/product/{product.pk}/delete/", {"post": "yes"})
    assert error_messages(response) == ["Cannot delete product with existing order items"]
    assert Product.objects.filter(pk=product.pk).exists()
    assert not LogEntry.objects.exists()


def test_bulk_delete_refuses_the_lot_when_one_product_was_ordered(admin_client):
    spare, ordered = ProductFactory(), ProductFactory()
    place_order(items=[(ordered, 1)])
    response = admin_client.post(
        LIST, {"action": "delete_selected", "post": "yes", "_selected_action": [spare.pk, ordered.pk]}
    )
    assert error_messages(response) == ["Cannot delete product with existing order items"]
    assert Product.objects.count() == 2


# --- Repairing a drift between the stock and its ledger -------------------------------------------------------


def test_reconciling_selected_products_records_each_drift_so_the_ledger_adds_up(admin_client, admin_user):
    drifted, fine, other_drift = ProductFactory(name="Lamp"), ProductFactory(name="Desk"), ProductFactory()
    # Drifts as a hand-made SQL fix would leave them: the stock changed, the ledger not.
    Product.objects.filter(pk=drifted.pk).update(stock_quantity=drifted.stock_quantity + 3)
    Product.objects.filter(pk=other_drift.pk).update(stock_quantity=other_drift.stock_quantity + 1)

    response = run_action(admin_client, "reconcile_stock", [drifted, fine])

    assert shown_messages(response) == ["Ledger reconciled for 1 product(s): Lamp (+3); 1 already added up."]
    movement = StockMovement.objects.filter(product=drifted).order_by("-pk").first()
    assert (movement.reason, movement.change, movement.actor) == ("reconciliation", 3, f"admin:{admin_user.username}")
    assert movement.stock_after == drifted.stock_quantity + 3
    assert not StockMovement.objects.filter(product=other_drift, reason="reconciliation").exists()  # not selected
    Product.objects.filter(pk=other_drift.pk).update(stock_quantity=other_drift.stock_quantity)
    assert_ledger_adds_up()


def test_reconciling_products_whose_ledger_adds_up_records_nothing(admin_client):
    products = [ProductFactory(), ProductFactory()]
    before = StockMovement.objects.count()
    response = run_action(admin_client, "reconcile_stock", products)
    assert shown_messages(response) == ["No ledger drifted; 2 already added up."]
    assert StockMovement.objects.count() == before
