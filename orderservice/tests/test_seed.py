"""The seed fixture: loadable any number of times, and loaded automatically only into an empty database."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from customers.models import Customer
from products.models import Product

pytestmark = pytest.mark.django_db

SEED_PRODUCTS = [
    (
        "Laptop Computer",
        "High-performance laptop for business and gaming",
        Decimal("1299.99"),
        "LAPTOP-001",
        50,
        "Electronics",
        True,
    ),
    (
        "Wireless Mouse",
        "Ergonomic wireless mouse with USB receiver",
        Decimal("29.99"),
        "MOUSE-001",
        200,
        "Electronics",
        True,
    ),
    ("Office Chair", "Comfortable ergonomic office chair", Decimal("199.99"), "CHAIR-001", 75, "Furniture", True),
]
SEED_CUSTOMERS = [
    ("John", "Doe", "john.doe@example.com", "+1234567890", "123 Main St, City, State 12345"),
    ("Jane", "Smith", "jane.smith@example.com", "+1234567891", "456 Oak Ave, City, State 12346"),
]


def products_in_database():
    return list(
        Product.objects.order_by("pk").values_list(
            "name", "description", "price", "sku", "stock_quantity", "category", "is_active"
        )
    )


def customers_in_database():
    return list(Customer.objects.order_by("pk").values_list("first_name", "last_name", "email", "phone", "address"))


def test_loaddata_seed_loads_the_contract_rows():
    call_command("loaddata", "seed", verbosity=0)
    assert products_in_database() == SEED_PRODUCTS
    assert customers_in_database() == SEED_CUSTOMERS


def test_loaddata_seed_twice_makes_no_duplicates():
    call_command("loaddata", "seed", verbosity=0)
    ids = list(Product.objects.order_by("pk").values_list("pk", flat=True))
    call_command("loaddata", "seed", verbosity=0)
    assert Product.objects.count() == 3 and Customer.objects.count() == 2
    assert list(Product.objects.order_by("pk").values_list("pk", flat=True)) == ids


def test_seed_if_empty_seeds_an_empty_database():
    call_command("seed_if_empty", verbosity=0)
    assert products_in_database() == SEED_PRODUCTS
    assert customers_in_database() == SEED_CUSTOMERS


def test_a_restart_does_not_reset_stock_or_bring_back_deleted_rows(api_client):
    call_command("seed_if_empty", verbosity=0)
    laptop = Product.objects.get(sku="LAPTOP-001")
    api_client.post(
        "/api/orders",
        {
            "customer_id": Customer.objects.get(email="john.doe@example.com").pk,
            "order_items": [{"product_id": laptop.pk, "quantity": 3}],
        },
        format="json",
    )
    Product.objects.filter(sku="CHAIR-001").delete()

    call_command("seed_if_empty", verbosity=0)  # what the run command does on every start

    assert Product.objects.get(sku="LAPTOP-001").stock_quantity == 47
    assert not Product.objects.filter(sku="CHAIR-001").exists()
    assert Product.objects.count() == 2
