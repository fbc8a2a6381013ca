"""/metrics: the Prometheus text format of what orderservice.observability.metrics counts, added up over every
gunicorn worker (their files in PROMETHEUS_MULTIPROC_DIR). With EVENTS_BROKER_URL set, it also shows the outbox's
backlog (orderservice.events.relay)."""

import hmac
import logging
import os

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from orderservice.api.problems import problem_response
from orderservice.events.relay import OutboxCollector

logger = logging.getLogger("orderservice.metrics")


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
    registry = CollectorRegistry(auto_describe=False)
    registry.register(OutboxCollector())
    return registry
