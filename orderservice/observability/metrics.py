"""Prometheus metrics at /metrics: requests by view, method and status (a histogram of their durations, whose
`_count` is the number of requests), business events by name (`order.created` counts the orders created), and stock
movements by reason (counted by products.stock once their transaction commits).

Under gunicorn each worker writes its numbers to files in PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py gives
every start an empty one) and /metrics adds up all of them, whichever worker answers. With EVENTS_BROKER_URL set,
it also shows the outbox's backlog (orderservice.events.relay).
"""

import hmac
import logging
import os

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from orderservice.api.problems import problem_response

logger = logging.getLogger("orderservice.metrics")

# gunicorn makes the directory when it starts, but a management command (migrate, loaddata …) run in the same
# environment before it would otherwise fail at its first counted stock movement.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

REQUEST_DURATION = Histogram(
    "orderservice_http_request_duration_seconds",
    "HTTP requests by view, method and status, and how long they took",
    ["view", "method", "status"],
)
BUSINESS_EVENTS = Counter(
    "orderservice_business_events_total", "Business events by name, e.g. order.created", ["event"]
)
STOCK_MOVEMENTS = Counter(
    "orderservice_stock_movements_total",
    "Stock movements committed, by reason (initial, order.created, adjustment, …)",
    ["reason"],
)
AUTHORIZATION_REFUSALS = Counter(
    "orderservice_authorization_refusals_total",
    "Requests refused for a missing permission (by its name), or for another customer's object (own-objects)",
    ["permission"],
)

# Any other method is counted as "other": label values that clients choose would let them grow the metrics unbounded.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(request, status: int, seconds: float) -> None:
    match = request.resolver_match
    method = request.method if request.method in _METHODS else "other"
    REQUEST_DURATION.labels(match.view_name if match else "unmatched", method, status).observe(seconds)


@require_GET
def metrics(request):
    """The Prometheus text format; with METRICS_TOKEN set, only for `Authorization: Bearer <METRICS_TOKEN>`;
    without one, open where METRICS_ALLOW_PUBLIC (by default in development only), else not found."""
    if settings.METRICS_TOKEN:
        scheme, _, sent = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(sent.encode(), settings.METRICS_TOKEN.encode()):
            response = problem_response(request, 401, "The metrics need the metrics bearer token")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    elif not settings.METRICS_ALLOW_PUBLIC:
        return problem_response(request, 404, "Nothing is found at this URL")
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    exposition = generate_latest(registry)
    if settings.EVENTS_BROKER_URL:  # the relay's backlog, read from the outbox (without a broker nothing waits)
        try:
            exposition += generate_latest(_outbox_registry())
        except DatabaseError as error:  # the rest of the metrics still count while the database is away
            logger.warning("metrics: outbox backlog unavailable: %s: %s", type(error).__name__, error)
    return HttpResponse(exposition, content_type=CONTENT_TYPE_LATEST)


def _outbox_registry() -> CollectorRegistry:
    from orderservice.events.relay import OutboxCollector

    registry = CollectorRegistry(auto_describe=False)
    registry.register(OutboxCollector())
    return registry
