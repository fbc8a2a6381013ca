"""Unique values: a write the database refuses because another row took one of its unique values after the
caller's check (two requests racing for one email or SKU) is a RuleViolation naming the value, not an error."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import IntegrityError, models, transaction

from .rules import RuleViolation


@dataclass(frozen=True)
class Unique:
    """How a field's values are unique, and what a client is told when its value is taken."""

    lookup: str  # "exact", or "iexact" where the database compares without case (an email)
    message: str


class ValueTaken(RuleViolation):
    """Values another row has: `taken` is {field: message}, every field whose value is taken."""

    def __init__(self, taken: dict[str, str]):
        field, message = next(iter(taken.items()))
        super().__init__(message, field=field)
        self.taken = taken

    @property
    def errors(self) -> dict[str, list[str]]:
        return {field: [message] for field, message in self.taken.items()}


@contextmanager
def atomic_refusing_taken_values(
    model: type[models.Model], rules: dict[str, Unique], values: dict, *, pk: int | None = None
) -> Iterator[None]:
    """A transaction that writes `values` to a row of `model` (`pk`: the row being changed, or None for a new one).
    When the database refuses them for a unique value, raises ValueTaken naming it; the transaction (a savepoint
    inside another) is rolled back first, so the rows that hold the values can be looked up."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        raise ValueTaken(_taken(model, rules, values, pk)) from None


def _taken(model: type[models.Model], rules: dict[str, Unique], values: dict, pk: int | None) -> dict[str, str]:
    others = model._default_manager.exclude(pk=pk) if pk is not None else model._default_manager.all()
    taken = {
        field: rule.message
        for field, rule in rules.items()
        if values.get(field) is not None and others.filter(**{f"{field}__{rule.lookup}": values[field]}).exists()
    }
    if not taken:  # the other row is gone again: name the first unique field
        field, rule = next(iter(rules.items()))
        taken = {field: rule.message}
    return taken
