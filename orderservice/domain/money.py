"""Money: decimal amounts with two places, and the largest amount the database keeps exactly."""
from decimal import Decimal

from django.db import connection


def largest_amount() -> Decimal:
    """16 digits before the point (DECIMAL(18,2)) on PostgreSQL; 13 on SQLite, which keeps 15 significant
    digits of a decimal and would round (or fail to read back) anything longer."""
    return Decimal("9999999999999.99") if connection.vendor == "sqlite" else Decimal("9999999999999999.99")
