"""Business events (customer/product/order created, updated, deleted, status changed, stock changed): one
structured log line each, counted by name in /metrics, from the API and the admin alike. Never pass tokens,
passwords or email addresses."""
from functools import partial

import structlog
from django.db import transaction

from orderservice.observability.metrics import BUSINESS_EVENTS

logger = structlog.get_logger("orderservice.events")


def business_event(event: str, **fields) -> None:
    """Log one business event, e.g. business_event("order.created", order_id=7, total_amount="42.39").

    It is logged once the current transaction commits (at once outside one): a change that is rolled back
    is never reported.
    """
    transaction.on_commit(partial(_emit, event, fields))


def _emit(event: str, fields: dict) -> None:
    logger.info(event, **fields)
    BUSINESS_EVENTS.labels(event).inc()
