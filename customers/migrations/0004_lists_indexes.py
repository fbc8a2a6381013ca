from django.db import migrations, models

from orderservice.migration_operations import trigram_extension, trigram_index


class Migration(migrations.Migration):
    """Indexes for every ordering the list offers (with its tie-breaker, id) and, on PostgreSQL only, trigram
    indexes for ?search= (orderservice.migration_operations)."""

    dependencies = [
        ("customers", "0003_text_without_control_characters"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["last_name", "first_name", "id"], name="customer_by_name"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["last_name", "id"], name="customer_by_last_name"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["first_name", "id"], name="customer_by_first_name"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["email", "id"], name="customer_by_email"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["created_at", "id"], name="customer_by_created_at"),
        ),
        trigram_extension(),
        trigram_index("customers_customer", "first_name", "customer_first_name_trgm"),
        trigram_index("customers_customer", "last_name", "customer_last_name_trgm"),
        trigram_index("customers_customer", "email", "customer_email_trgm"),
    ]
