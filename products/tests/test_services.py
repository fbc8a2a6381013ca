"""products/services.py: staff stock corrections are relative, bounded, and change nothing when refused."""
import pytest

from orderservice.domain.rules import RuleViolation
from orderservice.testing.factories import ProductFactory
from orderservice.testing.state import stock_of
from products.models import MAX_STOCK
from products.services import product_adjust_stock

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("change, stock", [(5, 15), (-4, 6), (-10, 0)])
def test_an_adjustment_adds_to_the_stock(change, stock):
    product = ProductFactory(stock_quantity=10)
    assert product_adjust_stock(product_id=product.pk, change=change).stock_quantity == stock
    assert stock_of(product) == stock


def test_an_adjustment_below_zero_is_refused(logged_events, committed):
    product = ProductFactory(name="Desk", stock_quantity=3)
    with committed(), pytest.raises(RuleViolation, match="^Cannot remove 4 from the stock of Desk: only 3 in stock$"):
        product_adjust_stock(product_id=product.pk, change=-4)
    assert stock_of(product) == 3
    assert logged_events() == []


def test_an_adjustment_past_the_largest_stock_is_refused():
    product = ProductFactory(name="Desk", stock_quantity=MAX_STOCK - 1)
    with pytest.raises(RuleViolation, match=f"^Stock of Desk cannot exceed {MAX_STOCK}$"):
        product_adjust_stock(product_id=product.pk, change=2)
    assert stock_of(product) == MAX_STOCK - 1


def test_an_adjustment_is_logged_as_a_stock_change(logged_events, committed):
    product = ProductFactory(stock_quantity=10)
    with committed():
        product_adjust_stock(product_id=product.pk, change=-2)
    assert logged_events() == [{"event": "product.stock_changed", "product_id": product.pk, "change": -2,
                                "reason": "adjustment", "stock_quantity": 8}]
