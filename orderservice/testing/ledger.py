"""The stock ledger as the tests state it: every product's stock is the sum of its movements, and
`check_stock` agrees."""

from io import StringIO

from django.core.management import call_command
from django.db.models import Sum

from orderservice.testing.live_service import call, manage
from products.models import Product, StockMovement

CHECKED = "{} products checked: stock_quantity = Σ movements for every one.\n"


def assert_ledger_adds_up() -> int:
    """stock_quantity = Σ change for every product, and `manage.py check_stock` reports no drift; returns how many
    products were checked."""
    sums = dict(StockMovement.objects.order_by().values_list("product_id").annotate(total=Sum("change")))
    stock = dict(Product.objects.values_list("pk", "stock_quantity"))
    assert {pk: sums.get(pk) for pk in stock} == stock
    output = StringIO()
    call_command("check_stock", stdout=output)
    assert output.getvalue() == CHECKED.format(len(stock))
    return len(stock)


def movements_since(last_id: int) -> list[dict]:
    """The movements written after movement `last_id`, oldest first, as (product, change, reason, order, actor)."""
    return [
        {"product_id": row[0], "change": row[1], "reason": row[2], "order_id": row[3], "actor": row[4]}
        for row in StockMovement.objects.filter(pk__gt=last_id)
        .order_by("pk")
        .values_list("product_id", "change", "reason", "order_id", "actor")
    ]


def last_movement_id() -> int:
    return StockMovement.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def assert_ledger_adds_up_over_http(base_url: str, token: str, environment: dict, headers: dict | None = None) -> int:
    """The same for a live service: each product's movements from GET /api/products/{id}/stock-movements add up
    to its stock_quantity, and `check_stock` run against the service's database exits 0 saying so. Returns the
    number of movements read."""
    status, products = call(base_url, "GET", "/api/products?limit=1000", token, headers=headers)
    assert status == 200
    read = 0
    for product in products:
        status, movements = call(
            base_url, "GET", f"/api/products/{product['id']}/stock-movements?limit=1000", token, headers=headers
        )
        assert status == 200 and len(movements) < 1000  # one page holds them all
        assert sum(movement["change"] for movement in movements) == product["stock_quantity"], product
        assert movements[0]["stock_after"] == product["stock_quantity"]  # newest first
        read += len(movements)
    assert manage(environment, "check_stock") == CHECKED.format(len(products))
    return read
