"""Serializer pieces the resources share."""
from django.db import IntegrityError, transaction
from rest_framework import serializers


class UniqueFieldsSaveMixin:
    """The serializer checks its unique fields before saving, but another request can take a value between that
    check and the write; the database's unique constraint then refuses it, and this turns that refusal into
    the same 400 the check gives (for the field whose value is now taken), instead of a 500."""

    unique_fields: dict[str, tuple[str, str]]  # field -> (lookup it is unique by, e.g. "iexact"; message)

    def save(self, **kwargs):
        try:
            with transaction.atomic():
                return super().save(**kwargs)
        except IntegrityError:
            raise serializers.ValidationError(self._taken_fields(kwargs)) from None

    def _taken_fields(self, saved: dict) -> dict:
        model, values = self.Meta.model, {**self.validated_data, **saved}
        others = model.objects.exclude(pk=self.instance.pk) if self.instance else model.objects.all()
        taken = {field: [serializers.ErrorDetail(message, code="unique")]
                 for field, (lookup, message) in self.unique_fields.items()
                 if values.get(field) is not None and others.filter(**{f"{field}__{lookup}": values[field]}).exists()}
        if not taken:  # the other row is gone again: name the first unique field
            field, (_, message) = next(iter(self.unique_fields.items()))
            taken = {field: [serializers.ErrorDetail(message, code="unique")]}
        return taken
