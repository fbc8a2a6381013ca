from django.core.management.base import BaseCommand, CommandError

from products.stock import check_ledger


class Command(BaseCommand):
    help = (
        "Check that every product's stock_quantity is the sum of its stock movements; print each product "
        "that drifted and exit non-zero, else the number of products checked."
    )

    def handle(self, *args, **options):
        result = check_ledger()
        for product_id, name, stock_quantity, ledger in result.drifted:
            self.stdout.write(
                f"product {product_id} {name!r}: stock_quantity {stock_quantity}, "
                f"movements add up to {ledger} (drift {stock_quantity - ledger:+d})"
            )
        if result.drifted:
            raise CommandError(f"{len(result.drifted)} of {result.checked} products drifted from their stock ledger")
        self.stdout.write(f"{result.checked} products checked: stock_quantity = Σ movements for every one.")
