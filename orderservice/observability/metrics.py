"""What the service counts for Prometheus: requests by view, method and status (a histogram of their durations,
whose `_count` is the number of requests), business events by name (`order.created` counts the orders created),
stock movements by reason (counted by products.stock once their transaction commits) and authorization refusals.

Under gunicorn each worker writes its numbers to files in PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py gives
every start an empty one); the /metrics view (metrics_view.py) adds up all of them, whichever worker answers.

The domain counts here, so this module imports nothing of the web layer (DRF, the problem documents): what it
imports must never import the domain back.
"""

import os

from prometheus_client import Counter, Histogram

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
