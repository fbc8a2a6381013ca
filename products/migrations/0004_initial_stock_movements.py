"""Every product that exists before the ledger gets an `initial` movement of its current stock, so that
stock_quantity = Σ change holds for old databases too."""

from django.db import migrations
from django.utils import timezone

BATCH = 1000


def record_current_stock(apps, schema_editor):
    Product = apps.get_model("products", "Product")
    StockMovement = apps.get_model("products", "StockMovement")
    now = timezone.now()
    products = Product.objects.filter(stock_movements__isnull=True).order_by("pk").values_list("pk", "stock_quantity")
    movements = [
        StockMovement(
            product_id=pk,
            change=stock,
            stock_after=stock,
            reason="initial",
            actor="migration",
            note="stock before the ledger",
            created_at=now,
        )
        for pk, stock in products.iterator()
    ]
    StockMovement.objects.bulk_create(movements, batch_size=BATCH)


def forget_them(apps, schema_editor):
    apps.get_model("products", "StockMovement").objects.filter(actor="migration", reason="initial").delete()


class Migration(migrations.Migration):
    dependencies = [("products", "0003_stock_movement")]

    operations = [migrations.RunPython(record_current_stock, forget_them)]
