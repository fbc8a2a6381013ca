"""The database cache, used when no Redis is configured (see CACHES in settings)."""

from django.core.cache.backends import db
from django.db import connections, router, transaction


class DatabaseCache(db.DatabaseCache):
    """Django's database cache with an `incr` that two workers cannot interleave.

    Django's `incr` reads the value, then writes value + delta: two workers reading at once would both write
    the same number and one increment would be lost. Here the row is locked first, until the write commits:
    SELECT … FOR UPDATE where the database has it (PostgreSQL, MySQL); SQLite's IMMEDIATE transactions already
    hold its single write lock from their start.
    """

    def incr(self, key, delta=1, version=None):
        alias = router.db_for_write(self.cache_model_class)
        connection = connections[alias]
        with transaction.atomic(using=alias):
            if connection.features.has_select_for_update:
                quote = connection.ops.quote_name
                table = quote(self.cache_model_class._meta.db_table)
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT 1 FROM {table} WHERE {quote('cache_key')} = %s FOR UPDATE",
                        [self.make_and_validate_key(key, version=version)],
                    )
            return super().incr(key, delta, version)
