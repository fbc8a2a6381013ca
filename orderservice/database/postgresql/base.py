"""Django's PostgreSQL backend, with one change: a persistent connection that served a request less than a second
ago is not health-checked again before the next one.

With CONN_HEALTH_CHECKS Django sends `SELECT 1` before each request's first query, so that a connection broken
while idle (a restarted server, a failover, a proxy's idle timeout) is replaced instead of failing the request.
Under load that doubled the round trips of a small read. A connection that answered a moment ago is taken as
alive; if it broke in that moment the request gets the 503 any query failing mid-request gets (with Retry-After),
and Django replaces the connection when the request ends.
"""

import time

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    RECENTLY_USED_SECONDS = 1.0
    _answered_at = float("-inf")  # when a request last ended with this connection used and without error

    def close_if_unusable_or_obsolete(self):
        # Django calls this as each request starts and ends; only a request's end finds the check done.
        used_without_error = self.connection is not None and self.health_check_done and not self.errors_occurred
        super().close_if_unusable_or_obsolete()
        if used_without_error and self.connection is not None:
            self._answered_at = time.monotonic()

    def close_if_health_check_failed(self):
        if self.connection is not None and time.monotonic() - self._answered_at < self.RECENTLY_USED_SECONDS:
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
