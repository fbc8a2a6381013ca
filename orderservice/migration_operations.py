"""Migration operations the apps' migrations share: PostgreSQL-only SQL in migrations that SQLite runs too."""

from django.db import migrations


class PostgreSQLOnly(migrations.RunSQL):
    """RunSQL on PostgreSQL; nothing on any other database (SQLite), either way."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def trigram_extension() -> PostgreSQLOnly:
    """pg_trgm, for the trigram indexes. Kept when a migration is reversed: another app's indexes may use it."""
    return PostgreSQLOnly("CREATE EXTENSION IF NOT EXISTS pg_trgm", reverse_sql=migrations.RunSQL.noop)


def trigram_index(table: str, column: str, name: str) -> PostgreSQLOnly:
    """A GIN trigram index (pg_trgm's gin_trgm_ops) on UPPER(column::text), on PostgreSQL only.

    Why that expression: Django writes `?search=` (icontains) on PostgreSQL as
    `UPPER("table"."column"::text) LIKE UPPER('%term%')`, and the planner uses an index on an expression only
    for that very expression. Such an index answers LIKE '%term%' for terms of 3 or more characters without
    reading the table (a shorter term has no trigram to look up). SQLite has no trigram index: there a search
    reads every row (docs/performance.md, "At a million orders"). Not in the models' Meta because a GIN index
    cannot be created on SQLite, where the same migrations run.
    """
    return PostgreSQLOnly(
        f'CREATE INDEX "{name}" ON "{table}" USING gin (UPPER("{column}"::text) gin_trgm_ops)',
        reverse_sql=f'DROP INDEX IF EXISTS "{name}"',
    )
