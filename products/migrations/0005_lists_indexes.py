import django.db.models.functions.text
from django.db import migrations, models

from orderservice.migration_operations import trigram_extension, trigram_index


class Migration(migrations.Migration):
    """Indexes for every ordering the list offers (with its tie-breaker, id) and, on PostgreSQL only, trigram
    indexes for ?search= (orderservice.migration_operations)."""

    dependencies = [
        ("products", "0004_initial_stock_movements"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="product",
            index=models.Index(fields=["name", "id"], name="product_by_name"),
        ),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(fields=["price", "id"], name="product_by_price"),
        ),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(fields=["stock_quantity", "id"], name="product_by_stock_quantity"),
        ),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(fields=["created_at", "id"], name="product_by_created_at"),
        ),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(
                django.db.models.functions.text.Upper("category"),
                models.F("name"),
                models.F("id"),
                name="product_category_by_name",
            ),
        ),
        trigram_extension(),
        trigram_index("products_product", "name", "product_name_trgm"),
        trigram_index("products_product", "sku", "product_sku_trgm"),
        trigram_index("products_product", "description", "product_description_trgm"),
    ]
