"""Business events (customer/product/order created, updated, deleted, order.status_changed, product.stock_changed).

Each is one `OutboxEvent` row written in the transaction of the change it reports, so it exists exactly when the
change does: the audit trail, and what `publish_events` relays to RabbitMQ. Once the transaction commits, each is
also one structured log line and counted by type in /metrics.

An event's `fields` go to its data and its log line; `details` (personal or bulky: the resource as it is, the new
values) go to the data only, `log_only` (who in the admin) to the log line only. Log lines never hold tokens,
passwords or email addresses. The catalogue (orderservice.events.catalogue) lists every type's data.
"""

from dataclasses import dataclass, field
from functools import partial

import structlog
from django.db import transaction
from django.utils import timezone

from orderservice.database import compiled
from orderservice.domain.actors import current_actor, current_request_id
from orderservice.models import OutboxEvent
from orderservice.observability.metrics import BUSINESS_EVENTS

logger = structlog.get_logger("orderservice.events")


@dataclass(frozen=True)
class Event:
    type: str  # "<resource>.<what happened>", e.g. order.created
    fields: dict  # must hold "<resource>_id", the subject
    details: dict = field(default_factory=dict)
    log_only: dict = field(default_factory=dict)

    @property
    def subject(self) -> str:
        """orders/42, products/7, customers/3: the resource's path under /api/."""
        resource = self.type.partition(".")[0]
        return f"{resource}s/{self.fields[f'{resource}_id']}"


def changed_values(shown: dict, fields) -> dict:
    """An `*.updated` event's `changed`: the new value of each field, as `shown` (the API's representation) has it."""
    return {name: shown[name] for name in sorted(fields) if name in shown}


def business_event(event_type: str, *, details: dict | None = None, log_only: dict | None = None, **fields) -> None:
    """Record one event, e.g. business_event("order.status_changed", order_id=7, from_status=…, to_status=…)."""
    record_events([Event(event_type, fields, details or {}, log_only or {})])


def record_events(events: list[Event]) -> None:
    """Write the events' outbox rows (one INSERT) in the current transaction, which the caller must have
    opened with the change; log and count them once it commits (a change rolled back reports nothing)."""
    actor, request_id, now = current_actor(), current_request_id(), timezone.now()
    compiled.insert(
        [
            OutboxEvent(
                type=event.type,
                subject=event.subject,
                data={**event.fields, **event.details},
                actor=actor,
                request_id=request_id,
                occurred_at=now,
            )
            for event in events
        ]
    )
    for event in events:
        transaction.on_commit(partial(_emit, event.type, {**event.fields, **event.log_only}))


def _emit(event: str, fields: dict) -> None:
    logger.info(event, **fields)
    BUSINESS_EVENTS.labels(event).inc()
