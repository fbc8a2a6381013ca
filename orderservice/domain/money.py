"""Money: decimal amounts with two places, rounded half-up to the cent, and the largest amount stored exactly."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import connection

CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> Decimal:
    """`amount` rounded half-up to whole cents."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def largest_amount() -> Decimal:
    """16 digits before the point (DECIMAL(18,2)) on PostgreSQL; 13 on SQLite, which keeps 15 significant
    digits of a decimal and would round (or fail to read back) anything longer."""
    return Decimal("9999999999999.99") if connection.vendor == "sqlite" else Decimal("9999999999999999.99")
