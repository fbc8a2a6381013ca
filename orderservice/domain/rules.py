"""The one exception business rules raise: the API answers it with a 400, the admin with an error message."""


class RuleViolation(Exception):
    """A request that is well-formed but breaks a business rule: a 400 whose message clients read as-is."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
