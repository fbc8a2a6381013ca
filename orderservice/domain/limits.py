"""Bounds the database columns impose, written once: serializers, admin forms and services import them here."""

MAX_INTEGER = 2**31 - 1  # an INTEGER column: a product's stock, an order line's quantity
MAX_ID = 2**63 - 1  # a BIGINT primary key; larger ids are refused before they reach SQL (SQLite cannot bind them)


def as_id(text) -> int | None:
    """`text` (a path segment, a query value) as a row id: ASCII digits within 1..MAX_ID, else None, since no row
    can have it (int() would also take "١٢" or " 12", and SQLite cannot bind a larger number)."""
    text = str(text)
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(MAX_ID))):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None
