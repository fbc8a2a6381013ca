from django.db import migrations

from orderservice.migration_operations import PostgreSQLOnly


class Migration(migrations.Migration):
    """On PostgreSQL only, a B-tree on (LENGTH(UPPER(order_number)), UPPER(order_number)): ?search= of a whole order
    number is looked up on it (`equal or longer`, orderservice.api.filters.BoundedSearchFilter) instead of in the
    trigram index, where the trigrams every order number shares (ORD, 202 …) cost the posting lists of every order.
    The expressions are exactly those Django writes for Length(Upper("order_number")) and Upper("order_number")."""

    dependencies = [
        ("orders", "0003_lists_indexes"),
    ]

    operations = [
        PostgreSQLOnly(
            'CREATE INDEX "order_number_length_upper" ON "orders_order" '
            '(LENGTH(UPPER("order_number")), UPPER("order_number"))',
            reverse_sql='DROP INDEX IF EXISTS "order_number_length_upper"',
        ),
    ]
