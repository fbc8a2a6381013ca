from decimal import Decimal

import factory

from products.models import Product


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n:03d}")
    description = "A product for tests"
    price = Decimal("10.00")
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    stock_quantity = 100
    category = "Tests"
    is_active = True
