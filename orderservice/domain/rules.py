"""The one exception business rules raise: the API answers it with a 400, the admin with an error message."""


class RuleViolation(Exception):
    """A request that is well-formed but breaks a business rule: a 400 whose message clients read as-is."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def errors(self) -> dict[str, list[str]] | list[str]:
        """The messages as a 400 lists them: under the field they are about, or about the whole request."""
        return {self.field: [self.message]} if self.field else [self.message]
