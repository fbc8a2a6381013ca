"""Around every request: its id, one structured log line, and its count and duration in the metrics."""

import secrets
import time

import structlog

from orderservice.observability.metrics import observe_request

logger = structlog.get_logger("orderservice.request")

REQUEST_ID_HEADER = "X-Request-ID"
MAX_REQUEST_ID_LENGTH = 200


def request_id_from(sent: str | None) -> str:
    """The caller's (or the proxy's) request id when it is printable ASCII of at most 200 characters, else a new one:
    it is written into every log line and echoed in a header, so it must not be able to forge either."""
    if sent and len(sent) <= MAX_REQUEST_ID_LENGTH and sent.isascii() and sent.isprintable():
        return sent
    return secrets.token_hex(16)


class RequestObservabilityMiddleware:
    """First in MIDDLEWARE, so that its duration covers the whole of Django and every response carries the id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        # In every line logged for this request; `subject` is set when a bearer token is accepted
        # (orderservice.auth.tokens).
        structlog.contextvars.bind_contextvars(request_id=request_id, subject=None)
        try:
            started = time.perf_counter()
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            response[REQUEST_ID_HEADER] = request_id
            observe_request(request, response.status_code, seconds)
            # The path without its query string: filters such as ?email= would put personal data in the logs.
            logger.info(
                "request",
                method=request.method,
                path=request.path,
                status=response.status_code,
                duration_ms=round(seconds * 1000, 2),
            )
            return response
        finally:
            structlog.contextvars.clear_contextvars()
