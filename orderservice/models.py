"""Pieces every model of the service shares."""
from django.db import models


class TimestampedModel(models.Model):
    """A row that records when it was created and last changed (UTC)."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class IdempotentRequest(models.Model):
    """A POST made with an Idempotency-Key, and the response it got: a retry with the same key and body
    gets this response again instead of a second order. Written in the same transaction as what the POST
    created, so it exists exactly when that does."""

    owner = models.CharField(max_length=255)  # the token's subject: keys are scoped to the caller
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of the request body, canonical JSON
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    location = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_unique_per_owner")]

    def __str__(self):
        return f"{self.method} {self.path} by {self.owner} with key {self.key}"
