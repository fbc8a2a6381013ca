"""What the API changes in Django's middleware: every /api/ error is a problem document, and the middleware only
the HTML pages (the admin) need lets /api/ requests straight through."""

import logging

from axes.middleware import AxesMiddleware
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import DataError
from django.utils.log import log_response

from orderservice.api.database_errors import RETRY_AFTER_SECONDS, is_database_unavailable, one_line
from orderservice.api.problems import PROBLEM_CONTENT_TYPE, problem_response, status_title

logger = logging.getLogger("orderservice.errors")

# Generic details for errors that reach /api/ clients from outside DRF (routing, Django itself).
_GENERIC_DETAILS = {
    400: "The request could not be understood",
    403: "The request was refused",
    404: "Nothing is found at this URL",
    405: "This method is not allowed at this URL",
    413: "The request body is too large",
    500: "The server could not answer this request; the fault is logged",
    503: "The database cannot be reached right now; retry later",
}
UNSTORABLE_VALUE_DETAIL = "A value is too long or out of the range the database can store"
NUL_DETAIL = "The path and the query may not contain the NUL character (%00)"


class ApiProblemMiddleware:
    """Makes every error under /api/ a problem document, also those DRF never sees: unknown routes and
    Django's own pages (in DEBUG too), bodies over MAX_REQUEST_BODY_BYTES (413, refused before they are
    read), an unreachable database (503 with Retry-After), a value the database cannot store that slipped
    past validation (400), and unexpected exceptions (500, logged with their traceback, nothing internal in
    the answer). The 503 and the 400 are logged as one warning line each, without a traceback."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        if _declared_length(request) > settings.MAX_REQUEST_BODY_BYTES:
            return problem_response(
                request, 413, f"The request body is larger than {settings.MAX_REQUEST_BODY_BYTES} bytes"
            )
        if _has_nul(request):  # PostgreSQL cannot store or compare text with NUL: refused before any view runs
            return problem_response(request, 400, NUL_DETAIL)
        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE):
            return problem_response(
                request,
                response.status_code,
                _GENERIC_DETAILS.get(response.status_code, status_title(response.status_code)),
            )
        return response

    def process_exception(self, request, exception):
        if not request.path.startswith("/api/"):
            return None
        if is_database_unavailable(exception):
            response = problem_response(request, 503, _GENERIC_DETAILS[503])
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return _logged_once(
                response,
                request,
                "database unavailable on %s %s: %s: %s",
                type(exception).__name__,
                one_line(exception),
            )
        if isinstance(exception, DataError):
            return _logged_once(
                problem_response(request, 400, UNSTORABLE_VALUE_DETAIL),
                request,
                "value refused by the database on %s %s: %s",
                one_line(exception),
            )
        logger.error("unhandled exception on %s %s", request.method, request.path, exc_info=exception)
        return problem_response(request, 500, _GENERIC_DETAILS[500])


def _logged_once(response, request, message: str, *args):
    """One warning line, and Django's request logger (which would add an error line for a 5xx) told it is
    logged already."""
    log_response(
        message, request.method, request.path, *args, response=response, request=request, logger=logger, level="warning"
    )
    return response


def _has_nul(request) -> bool:
    return "\x00" in request.path or any(
        "\x00" in name or any("\x00" in value for value in values) for name, values in request.GET.lists()
    )


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


# Middleware that only the HTML pages (the admin) need: /api/ requests pass straight through them.
#
# The API authenticates every request with its bearer token and keeps no session, so loading a session,
# a lazy Django user and a message store for it is waste (~5% of a small GET). Subclasses of Django's own
# classes, so the admin's checks still find them.


def _for_the_api(request) -> bool:
    return request.path_info.startswith("/api/")


class PageSessionMiddleware(SessionMiddleware):
    def __call__(self, request):
        return self.get_response(request) if _for_the_api(request) else super().__call__(request)


class PageAuthenticationMiddleware(AuthenticationMiddleware):
    def __call__(self, request):
        return self.get_response(request) if _for_the_api(request) else super().__call__(request)


class PageMessageMiddleware(MessageMiddleware):
    def __call__(self, request):
        return self.get_response(request) if _for_the_api(request) else super().__call__(request)


class PageAxesMiddleware(AxesMiddleware):
    """django-axes' lockout page, for the admin's login; the API has no logins to lock."""

    def __call__(self, request):
        return self.get_response(request) if _for_the_api(request) else super().__call__(request)
