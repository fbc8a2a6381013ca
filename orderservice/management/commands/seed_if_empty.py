from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from customers.models import Customer
from orders.models import Order
from products.models import Product


class Command(BaseCommand):
    help = "Load the seed fixture (fixtures/seed.json) only into an empty database; never touch existing data."

    @transaction.atomic
    def handle(self, *args, **options):
        if Customer.objects.exists() or Product.objects.exists() or Order.objects.exists():
            self.stdout.write("Database already has data: not seeding.")
            return
        call_command("loaddata", "seed", verbosity=0)
        self.stdout.write("Seeded an empty database from fixtures/seed.json.")
