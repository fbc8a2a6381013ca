"""Bounds the database columns impose, written once: serializers, admin forms and services import them here."""

MAX_INTEGER = 2**31 - 1  # an INTEGER column: a product's stock, an order line's quantity
MAX_ID = 2**63 - 1  # a BIGINT primary key; larger ids are refused before they reach SQL (SQLite cannot bind them)
