"""Pieces every model of the service shares, the idempotency records and the event outbox."""

import datetime
import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


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
    # The JSON as it was answered, as text: PostgreSQL's jsonb would reorder its keys, and with them the
    # replay's bytes and ETag.
    response_body = models.TextField()
    location = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_unique_per_owner")]

    def __str__(self):
        return f"{self.method} {self.path} by {self.owner} with key {self.key}"


class EventDataEncoder(DjangoJSONEncoder):
    """Amounts as decimal strings and times as the API writes them (ISO 8601, microseconds, Z for UTC); Django's
    own encoder would cut times to milliseconds."""

    def default(self, value):
        if isinstance(value, datetime.datetime):
            return value.isoformat().replace("+00:00", "Z")
        return super().default(value)


class OutboxEvent(models.Model):
    """A business event, written in the transaction of the change it reports (orderservice.events.outbox): a change
    rolled back leaves none, a committed one always has its row. The rows are the audit trail staff read in the
    admin (who, when, from which request, what), and `publish_events` relays them to RabbitMQ.

    `position` is the order of the rows: a change that waits for another's lock writes its event after that one
    committed, so for each subject the positions follow commit order."""

    position = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # the CloudEvents id
    type = models.CharField(max_length=64)  # order.created, product.stock_changed, … (orderservice.events.catalogue)
    subject = models.CharField(max_length=64)  # the object it is about: orders/42, products/7, customers/3
    data = models.JSONField(encoder=EventDataEncoder)
    actor = models.CharField(max_length=255)  # token:<subject>, admin:<username> or system (domain.actors)
    request_id = models.CharField(max_length=255, blank=True, default="")
    occurred_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-position"]
        verbose_name = "event"
        indexes = [
            # The relay's next batch: the oldest rows not yet published.
            models.Index(fields=["position"], condition=models.Q(published_at__isnull=True), name="outbox_waiting"),
            models.Index(fields=["subject", "position"], name="outbox_subject"),
            models.Index(fields=["occurred_at"], name="outbox_occurred_at"),  # retention
            models.Index(fields=["request_id"], name="outbox_request_id"),
        ]

    def __str__(self):
        return f"{self.type} {self.subject}"
