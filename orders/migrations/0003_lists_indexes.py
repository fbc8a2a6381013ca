from django.db import migrations, models

from orderservice.migration_operations import trigram_extension, trigram_index


class Migration(migrations.Migration):
    """Indexes for every ordering the list offers (with its tie-breaker, id) and, on PostgreSQL only, trigram
    indexes for ?search= (orderservice.migration_operations)."""

    dependencies = [
        ("customers", "0004_lists_indexes"),
        ("orders", "0002_text_without_control_characters"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["total_amount", "id"], name="order_by_total_amount"),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["created_at", "id"], name="order_by_created_at"),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["status", "-order_date", "-id"], name="order_status_newest_first"),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["customer", "-order_date", "-id"], name="order_customer_newest_first"),
        ),
        trigram_extension(),
        trigram_index("orders_order", "order_number", "order_number_trgm"),
    ]
