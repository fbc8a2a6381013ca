"""On PostgreSQL, an order's foreign key to its customer is checked when the order is inserted, not at commit.

Django creates foreign keys DEFERRABLE INITIALLY DEFERRED, so a customer deleted while its first order was being
placed made the order's COMMIT fail (a 500, after the order had been built). Checked at the INSERT, the check waits
for a delete in progress and fails inside the order's transaction, which answers "Customer not found"
(orders.services.order_create); a delete that comes second waits for the order and is refused, as the customer
then has an order. SQLite runs one write at a time, so there is no such race there.
"""

from django.db import migrations


def _customer_foreign_key(schema_editor) -> str | None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "orders_order")
    found = [name for name, info in constraints.items() if info["foreign_key"] == ("customers_customer", "id")]
    return found[0] if found else None


def checked_at_insert(apps, schema_editor):
    name = _customer_foreign_key(schema_editor)
    if schema_editor.connection.vendor == "postgresql" and name:
        schema_editor.execute(
            f"ALTER TABLE orders_order ALTER CONSTRAINT {schema_editor.quote_name(name)} NOT DEFERRABLE"
        )


def checked_at_commit(apps, schema_editor):
    name = _customer_foreign_key(schema_editor)
    if schema_editor.connection.vendor == "postgresql" and name:
        schema_editor.execute(
            f"ALTER TABLE orders_order ALTER CONSTRAINT {schema_editor.quote_name(name)} DEFERRABLE INITIALLY DEFERRED"
        )


class Migration(migrations.Migration):
    dependencies = [("orders", "0004_order_number_whole_value_index")]

    operations = [migrations.RunPython(checked_at_insert, checked_at_commit, elidable=False)]
