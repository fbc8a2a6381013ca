"""The database cache's table (settings CACHES, used when no Redis is configured), made by `migrate` so that no
deployment step can be forgotten; `createcachetable` does nothing when it exists."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("orderservice", "0001_idempotent_request")]
    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
