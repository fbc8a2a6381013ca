from django.core.management.base import BaseCommand, CommandError

from products.stock import check_ledger, stock_reconcile


class Command(BaseCommand):
    help = (
        "Check that every product's stock_quantity is the sum of its stock movements; print each product "
        "that drifted and exit non-zero, else the number of products checked. With --repair, record each drift "
        "as a `reconciliation` movement (the stock is kept as it is) so that the ledger adds up again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--repair",
            action="store_true",
            help="record one reconciliation movement per drifted product, its drift as the change",
        )

    def handle(self, *args, repair: bool = False, **options):
        result = check_ledger()
        for product_id, name, stock_quantity, ledger in result.drifted:
            self.stdout.write(
                f"product {product_id} {name!r}: stock_quantity {stock_quantity}, "
                f"movements add up to {ledger} (drift {stock_quantity - ledger:+d})"
            )
        if result.drifted and repair:
            for movement in stock_reconcile(product_ids=[product_id for product_id, *_ in result.drifted]):
                self.stdout.write(
                    f"product {movement.product_id}: recorded movement {movement.pk}, reconciliation "
                    f"{movement.change:+d}, stock {movement.stock_after}"
                )
            result = check_ledger()
        if result.drifted:
            raise CommandError(f"{len(result.drifted)} of {result.checked} products drifted from their stock ledger")
        self.stdout.write(f"{result.checked} products checked: stock_quantity = Σ movements for every one.")
