"""Errors as RFC 9457 problem details: DRF's exception handler, and the answers for errors outside DRF."""

from http import HTTPStatus

from django.http import JsonResponse
from django.views import defaults
from rest_framework import exceptions
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

from orderservice.domain.rules import RuleViolation

PROBLEM_CONTENT_TYPE = "application/problem+json"
# RFC 9110's reason phrases where Python before 3.13 still has the older ones.
_RFC_9110_TITLES = {413: "Content Too Large", 416: "Range Not Satisfiable", 422: "Unprocessable Content"}


def status_title(status_code: int) -> str:
    return _RFC_9110_TITLES.get(status_code) or HTTPStatus(status_code).phrase


def _flatten(errors, path: str = "") -> dict[str, list]:
    """DRF's nested error structure as {"dotted.path": [ErrorDetail, …]}."""
    if isinstance(errors, dict):
        flat = {}
        for key, value in errors.items():
            # A nested serializer's or list's own errors belong to its path ("order_items"), not to a key
            # only DRF knows ("order_items.non_field_errors").
            nested = (
                path if key == api_settings.NON_FIELD_ERRORS_KEY and path else f"{path}.{key}" if path else str(key)
            )
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
        str(message) if field == "non_field_errors" else f"{field}: {message}" for field, message in messages
    )


def problem_exception_handler(exc, context):
    """DRF's exception handler, answering `application/problem+json` with type, title, status, detail, instance."""
    if isinstance(exc, RuleViolation):
        exc = exceptions.ValidationError(exc.errors, code="rule")
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
    return JsonResponse(
        {
            "type": "about:blank",
            "title": status_title(status_code),
            "status": status_code,
            "detail": detail,
            "instance": request.path,
        },
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
    )


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
