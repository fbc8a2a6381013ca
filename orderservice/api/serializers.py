"""Serializer pieces the resources share."""
from django.db import IntegrityError, transaction
from rest_framework import serializers


class UniqueFieldSaveMixin:
    """The serializer checks its unique field before saving, but another request can take the value between
    that check and the write; the database's unique constraint then refuses it, and this turns that refusal
    into the same 400 the check gives, instead of a 500."""

    unique_field: str
    unique_message: str

    def save(self, **kwargs):
        try:
            with transaction.atomic():
                return super().save(**kwargs)
        except IntegrityError:
            raise serializers.ValidationError(
                {self.unique_field: [serializers.ErrorDetail(self.unique_message, code="unique")]}) from None
