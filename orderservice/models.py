"""Pieces every model of the service shares."""
from django.db import models


class TimestampedModel(models.Model):
    """A row that records when it was created and last changed (UTC)."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
