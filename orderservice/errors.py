"""Errors as RFC 9457 problem details, and the one exception business rules raise."""
import logging
from http import HTTPStatus

from django.conf import settings
from django.http import JsonResponse
from django.views import defaults
from rest_framework import exceptions
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

logger = logging.getLogger("orderservice.errors")

PROBLEM_CONTENT_TYPE = "application/problem+json"
# RFC 9110's reason phrases where Python before 3.13 still has the older ones.
_RFC_9110_TITLES = {413: "Content Too Large", 416: "Range Not Satisfiable", 422: "Unprocessable Content"}


def status_title(status_code: int) -> str:
    return _RFC_9110_TITLES.get(status_code) or HTTPStatus(status_code).phrase


class RuleViolation(Exception):
    """A request that is well-formed but breaks a business rule: a 400 whose message clients read as-is."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def _flatten(errors, path: str = "") -> dict[str, list]:
    """DRF's nested error structure as {"dotted.path": [ErrorDetail, …]}."""
    if isinstance(errors, dict):
        flat = {}
        for key, value in errors.items():
            # A nested serializer's or list's own errors belong to its path ("order_items"), not to a key
            # only DRF knows ("order_items.non_field_errors").
            nested = path if key == api_settings.NON_FIELD_ERRORS_KEY and path else f"{path}.{key}" if path else str(key)
            flat.update(_flatten(value, nested))
        return flat
    if isinstance(errors, list) and any(isinstance(item, (dict, list)) for item in errors):
        flat = {}
        for index, value in enumerate(errors):
            if value:  # DRF reports valid list items as {}
                flat.update(_flatten(value, f"{path}.{index}" if path else str(index)))
        return flat
    items = errors if isinstance(errors, list) else [errors]
    return {path or "non_field_errors": list(items)}


# Messages with these codes are whole sentences meant for the client ("Customer with this email
# already exists"), so `detail` carries them unchanged, as the old service's clients expect.
_SELF_DESCRIBING_CODES = {"unique", "rule"}


def _validation_detail(errors: dict[str, list]) -> str:
    messages = [(field, message) for field, items in errors.items() for message in items]
    if len(messages) == 1:
        field, message = messages[0]
        if field == "non_field_errors" or getattr(message, "code", None) in _SELF_DESCRIBING_CODES:
            return str(message)
    return "; ".join(
        str(message) if field == "non_field_errors" else f"{field}: {message}" for field, message in messages)


def problem_exception_handler(exc, context):
    """DRF's exception handler, answering `application/problem+json` with type, title, status, detail, instance."""
    if isinstance(exc, RuleViolation):
        detail_errors = {exc.field: [exc.message]} if exc.field else [exc.message]
        exc = exceptions.ValidationError(detail_errors, code="rule")
    response = exception_handler(exc, context)
    if response is None:
        return None  # not an API error: Django answers 500 and logs the traceback

    errors = None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        detail = _validation_detail(errors)
        if list(errors) == ["non_field_errors"]:
            errors = None  # a rule about the whole request: `detail` says it all
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        if isinstance(detail, dict):  # simplejwt nests its reason: {"detail": …, "messages": […]}
            detail = detail.get("detail", "")

    request = context.get("request")
    body = {
        "type": "about:blank",
        "title": status_title(response.status_code),
        "status": response.status_code,
        "detail": str(detail),
        "instance": request.path if request is not None else None,
    }
    if errors is not None:
        body["errors"] = {field: [str(message) for message in messages] for field, messages in errors.items()}
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def problem_response(request, status_code: int, detail: str) -> JsonResponse:
    return JsonResponse({"type": "about:blank", "title": status_title(status_code), "status": status_code,
                         "detail": detail, "instance": request.path},
                        status=status_code, content_type=PROBLEM_CONTENT_TYPE)


def page_not_found(request, exception):
    """handler404: a problem for API clients, Django's page for people (admin)."""
    if request.path.startswith("/api/"):
        return problem_response(request, 404, "Nothing is found at this URL")
    return defaults.page_not_found(request, exception)


def server_error(request):
    """handler500: the fault is logged with its traceback by Django; the client learns nothing internal."""
    if request.path.startswith("/api/"):
        return problem_response(request, 500, "The server could not answer this request; the fault is logged")
    return defaults.server_error(request)


# Generic details for errors that reach /api/ clients from outside DRF (routing, Django itself).
_GENERIC_DETAILS = {
    400: "The request could not be understood",
    403: "The request was refused",
    404: "Nothing is found at this URL",
    405: "This method is not allowed at this URL",
    413: "The request body is too large",
    500: "The server could not answer this request; the fault is logged",
}


class ApiProblemMiddleware:
    """Makes every error under /api/ a problem document, also those DRF never sees: unknown routes and
    Django's own pages (in DEBUG too), bodies over MAX_REQUEST_BODY_BYTES (413, refused before they are
    read), and unexpected exceptions (500, logged with their traceback, nothing internal in the answer)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        if _declared_length(request) > settings.MAX_REQUEST_BODY_BYTES:
            return problem_response(request, 413, f"The request body is larger than "
                                                  f"{settings.MAX_REQUEST_BODY_BYTES} bytes")
        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE):
            return problem_response(request, response.status_code,
                                    _GENERIC_DETAILS.get(response.status_code, status_title(response.status_code)))
        return response

    def process_exception(self, request, exception):
        if not request.path.startswith("/api/"):
            return None
        logger.error("unhandled exception on %s %s", request.method, request.path, exc_info=exception)
        return problem_response(request, 500, _GENERIC_DETAILS[500])


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
