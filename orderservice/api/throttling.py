"""THROTTLE_RATE (e.g. "600/min") requests per caller, counted in the shared cache so that the limit holds for
the sum of all workers and instances. Installed only when THROTTLE_RATE is set (settings).

DRF's own throttles read a list from the cache, append and write it back: two workers at once both pass.
Here each request is one atomic increment of the caller's counter for the current window (Redis INCR; the
database cache's `incr` locks its row, see orderservice/api/cache.py), so the N+1st request is refused exactly.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from redis import RedisError
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger("orderservice.throttling")


class SharedRateThrottle(BaseThrottle):
    """Fixed windows per caller: the token subject, or the client address for the few public API views."""

    def allow_request(self, request, view) -> bool:
        if settings.THROTTLE_RATE is None:  # settings install this throttle only with a rate
            return True
        limit, period = settings.THROTTLE_RATE
        caller = f"subject:{request.user.id}" if request.user.is_authenticated else f"address:{self.get_ident(request)}"
        now = time.time()
        window = int(now // period)
        key = f"throttle:{caller}:{window}"
        try:
            cache.add(key, 0, timeout=period + 1)  # outlives its window: the window is in the key
            count = cache.incr(key)
        except (DatabaseError, RedisError, ValueError) as error:
            # A cache outage must not take the API down with it; readiness reports the cache.
            logger.warning("throttling: cache unavailable, request let through: %s: %s", type(error).__name__, error)
            return True
        self.retry_after = (window + 1) * period - now
        return count <= limit

    def wait(self) -> float:
        return self.retry_after
