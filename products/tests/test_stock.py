"""products/stock.py: every change of stock writes its movement in the same transaction; staff corrections are
relative and bounded; a refusal changes nothing and writes no movement."""

import pytest
import structlog
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from orders import services
from orderservice.domain.rules import RuleViolation
from orderservice.testing.factories import ProductFactory, order_in, place_order
from orderservice.testing.ledger import assert_ledger_adds_up, last_movement_id, movements_since
from orderservice.testing.state import database_state, stock_of
from products.models import MAX_STOCK, Product, StockMovement
from products.services import product_create, product_update
from products.stock import check_ledger, product_adjust_stock, stock_reconcile

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("change, stock", [(5, 15), (-4, 6), (-10, 0)])
def test_an_adjustment_adds_to_the_stock(change, stock):
    product = ProductFactory(stock_quantity=10)
    movement = product_adjust_stock(product_id=product.pk, change=change, note="count")
    assert (movement.change, movement.stock_after, movement.reason, movement.note) == (
        change,
        stock,
        "adjustment",
        "count",
    )
    assert stock_of(product) == stock
    assert_ledger_adds_up()


def test_an_adjustment_below_zero_is_refused(logged_events, committed):
    product = ProductFactory(name="Desk", stock_quantity=3)
    before = database_state()
    with committed(), pytest.raises(RuleViolation, match="^Cannot remove 4 from the stock of Desk: only 3 in stock$"):
        product_adjust_stock(product_id=product.pk, change=-4)
    assert database_state() == before
    assert logged_events() == []


def test_an_adjustment_past_the_largest_stock_is_refused():
    product = ProductFactory(name="Desk", stock_quantity=MAX_STOCK - 1)
    before = database_state()
    with pytest.raises(RuleViolation, match=f"^Stock of Desk cannot exceed {MAX_STOCK}$"):
        product_adjust_stock(product_id=product.pk, change=2)
    assert database_state() == before


def test_an_adjustment_is_logged_as_a_stock_change(logged_events, committed):
    product = ProductFactory(stock_quantity=10)
    with committed():
        movement = product_adjust_stock(product_id=product.pk, change=-2)
    assert logged_events() == [
        {
            "event": "product.stock_changed",
            "product_id": product.pk,
            "movement_id": movement.pk,
            "change": -2,
            "reason": "adjustment",
            "stock_after": 8,
        }
    ]


def test_a_movement_names_the_actor_and_the_request_it_came_from():
    product = ProductFactory(stock_quantity=10)
    with structlog.contextvars.bound_contextvars(request_id="req-1", subject="alice"):
        movement = product_adjust_stock(product_id=product.pk, change=1)
    assert (movement.actor, movement.request_id) == ("token:alice", "req-1")
    assert product_adjust_stock(product_id=product.pk, change=1).actor == "system"


def test_a_new_product_starts_its_ledger_with_its_stock():
    product = product_create(name="Lamp", price="12.50", stock_quantity=7)
    assert list(StockMovement.objects.filter(product=product).values_list("change", "stock_after", "reason")) == [
        (7, 7, "initial")
    ]


def test_setting_the_stock_records_the_difference_and_nothing_when_unchanged():
    product = ProductFactory(stock_quantity=10)
    last = last_movement_id()
    product_update(product=product, changes={"stock_quantity": 4})
    product_update(product=product, changes={"stock_quantity": 4})
    assert movements_since(last) == [
        {"product_id": product.pk, "change": -6, "reason": "set", "order_id": None, "actor": "system"}
    ]
    assert StockMovement.objects.get(reason="set").stock_after == 4
    assert_ledger_adds_up()


def test_an_order_writes_one_movement_per_product_and_returns_them_on_cancel_and_delete():
    desk, lamp = ProductFactory(stock_quantity=10), ProductFactory(stock_quantity=10)
    last = last_movement_id()
    cancelled = place_order(items=[(lamp, 1), (desk, 2), (lamp, 3)])  # lamp twice: one movement of 4
    deleted = place_order(items=[(desk, 1)])
    services.order_change_status(order_id=cancelled.pk, status="Cancelled")
    services.order_change_status(order_id=cancelled.pk, status="Cancelled")  # already: nothing more
    services.order_delete(order_id=deleted.pk)
    assert movements_since(last) == [
        {"product_id": desk.pk, "change": -2, "reason": "order.created", "order_id": cancelled.pk, "actor": "system"},
        {"product_id": lamp.pk, "change": -4, "reason": "order.created", "order_id": cancelled.pk, "actor": "system"},
        {"product_id": desk.pk, "change": -1, "reason": "order.created", "order_id": deleted.pk, "actor": "system"},
        {"product_id": desk.pk, "change": 2, "reason": "order.cancelled", "order_id": cancelled.pk, "actor": "system"},
        {"product_id": lamp.pk, "change": 4, "reason": "order.cancelled", "order_id": cancelled.pk, "actor": "system"},
        {"product_id": desk.pk, "change": 1, "reason": "order.deleted", "order_id": deleted.pk, "actor": "system"},
    ]
    assert list(StockMovement.objects.filter(product=lamp).values_list("stock_after", flat=True)) == [10, 6, 10]
    assert_ledger_adds_up()


def test_shipped_and_delivered_orders_move_no_stock():
    order = order_in("Delivered", items=[(ProductFactory(stock_quantity=5), 1)])
    assert StockMovement.objects.filter(order_id=order.pk).count() == 1
    assert_ledger_adds_up()


def test_check_stock_names_each_drifted_product_and_fails(capsys):
    ProductFactory(stock_quantity=5)
    drifted = ProductFactory(name="Desk", stock_quantity=5)
    Product.objects.filter(pk=drifted.pk).update(stock_quantity=8)  # behind the ledger's back
    with pytest.raises(CommandError, match="^1 of 2 products drifted from their stock ledger$"):
        call_command("check_stock")
    assert capsys.readouterr().out == (
        f"product {drifted.pk} 'Desk': stock_quantity 8, movements add up to 5 (drift +3)\n"
    )


def test_check_stock_counts_the_products_it_checked(capsys):
    ProductFactory(stock_quantity=5)
    ProductFactory(stock_quantity=0)
    call_command("check_stock")
    assert capsys.readouterr().out == "2 products checked: stock_quantity = Σ movements for every one.\n"


def drift_by_sql(product: Product, stock_quantity: int) -> None:
    """Write a product's stock as a manual fix in the database would: behind the service and its ledger."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE products_product SET stock_quantity = %s WHERE id = %s", [stock_quantity, product.pk])


def test_check_stock_repair_records_each_drift_as_a_reconciliation_and_then_check_stock_passes(capsys):
    ProductFactory(stock_quantity=5)
    desk, lamp = ProductFactory(name="Desk", stock_quantity=5), ProductFactory(name="Lamp", stock_quantity=2)
    drift_by_sql(desk, 8)
    drift_by_sql(lamp, 0)

    call_command("check_stock", "--repair")

    desk_movement, lamp_movement = StockMovement.objects.filter(reason="reconciliation").order_by("product_id")
    assert capsys.readouterr().out == (
        f"product {desk.pk} 'Desk': stock_quantity 8, movements add up to 5 (drift +3)\n"
        f"product {lamp.pk} 'Lamp': stock_quantity 0, movements add up to 2 (drift -2)\n"
        f"product {desk.pk}: recorded movement {desk_movement.pk}, reconciliation +3, stock 8\n"
        f"product {lamp.pk}: recorded movement {lamp_movement.pk}, reconciliation -2, stock 0\n"
        "3 products checked: stock_quantity = Σ movements for every one.\n"
    )
    assert (desk_movement.change, desk_movement.stock_after, desk_movement.actor, desk_movement.note) == (
        3,
        8,
        "system",
        "stock_quantity 8 but the movements added up to 5: the difference, made outside the service, recorded",
    )
    assert (lamp_movement.change, lamp_movement.stock_after) == (-2, 0)
    assert (stock_of(desk), stock_of(lamp)) == (8, 0)  # the stock is taken as it is
    call_command("check_stock")  # exits 0
    assert capsys.readouterr().out == "3 products checked: stock_quantity = Σ movements for every one.\n"
    assert_ledger_adds_up()


def test_stock_reconcile_touches_only_the_products_named_and_writes_nothing_where_nothing_drifted():
    desk, lamp = ProductFactory(name="Desk", stock_quantity=5), ProductFactory(name="Lamp", stock_quantity=2)
    drift_by_sql(desk, 9)
    drift_by_sql(lamp, 1)

    [movement] = stock_reconcile(product_ids=[desk.pk], actor="admin:alice")

    assert (movement.product_id, movement.change, movement.reason, movement.actor) == (
        desk.pk,
        4,
        "reconciliation",
        "admin:alice",
    )
    assert stock_reconcile(product_ids=[desk.pk]) == []
    assert [(product_id, stock - ledger) for product_id, _, stock, ledger in check_ledger().drifted] == [(lamp.pk, -1)]


def test_loading_the_seed_records_its_stock_and_reloading_it_records_the_difference():
    call_command("loaddata", "seed", verbosity=0)
    assert sorted(StockMovement.objects.values_list("change", "reason", "actor")) == [
        (50, "initial", "system"),
        (75, "initial", "system"),
        (200, "initial", "system"),
    ]
    laptop = Product.objects.get(sku="LAPTOP-001")
    place_order(items=[(laptop, 3)])
    call_command("loaddata", "seed", verbosity=0)  # puts the laptop's stock back to 50
    assert list(StockMovement.objects.filter(product=laptop).values_list("change", "reason")) == [
        (3, "set"),
        (-3, "order.created"),
        (50, "initial"),
    ]
    assert_ledger_adds_up()


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_every_product_of_an_old_database_its_stock_as_initial():
    executor = MigrationExecutor(connection)
    before_ledger = [("products", "0003_stock_movement")]
    executor.migrate(before_ledger)
    old = executor.loader.project_state(before_ledger).apps.get_model("products", "Product")
    old.objects.create(name="Old desk", price="10.00", stock_quantity=7)
    old.objects.create(name="Old lamp", price="10.00", stock_quantity=0)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert sorted(StockMovement.objects.values_list("product__name", "change", "stock_after", "reason", "actor")) == [
        ("Old desk", 7, 7, "initial", "migration"),
        ("Old lamp", 0, 0, "initial", "migration"),
    ]
    assert_ledger_adds_up()
