"""Liveness (`/health`: the process answers) and readiness (`/health/ready`: it can serve, its database and
cache answer). A load balancer sends traffic only to ready instances; an orchestrator restarts dead ones."""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from orderservice.api.database_errors import one_line

logger = logging.getLogger("orderservice.health")


@require_GET
def health(request):
    """Liveness: the process answers. It does not touch the database."""
    return JsonResponse({"status": "healthy", "timestamp": timezone.now().isoformat()})


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    cache.set("readiness-probe", "ok", timeout=10)  # a write, as the throttle's counting is one


@require_GET
def ready(request):
    """Readiness: 200 when the database (and the cache, when REDIS_URL/CACHE_URL names one) answers, else 503
    naming what does not. The reasons go to the log, not to the public answer."""
    probes = {"database": _database}
    if settings.CACHE_URL:
        probes["cache"] = _cache
    checks = {}
    for name, probe in probes.items():
        try:
            probe()
            checks[name] = "ok"
        except Exception as error:  # any driver's failure means the same here: not ready
            # One line per failed check, without a traceback: during an outage this runs at every probe.
            logger.warning("readiness: %s unavailable: %s: %s", name, type(error).__name__, one_line(error))
            checks[name] = "unavailable"
    ready = all(result == "ok" for result in checks.values())
    response = JsonResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )
    # The 503 is the answer working as meant, and logged above: Django's request logger would add an ERROR line.
    response._has_been_logged = True  # type: ignore[attr-defined]  # Django reads this private flag
    return response
