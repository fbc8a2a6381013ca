"""Conditional requests (RFC 9110 §13): a strong `ETag` on every single resource's representation, 304 for a
GET whose `If-None-Match` matches it, 412 for a PUT/PATCH/DELETE whose `If-Match` no longer does.

The ETag is a hash of the representation's JSON as the API writes it (compact): it changes whenever the body's
bytes change, nested objects included (an order's customer, its items' products), and it is made from the data
the request has already read, without a query of its own. `If-Match` is optional; when sent, it is checked in
the write's own transaction with the row locked (SELECT … FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE
transaction holds the write lock from its BEGIN), so of two clients sending the same ETag exactly one wins.
"""

import functools
import hashlib

from django.db import transaction
from django.utils.http import parse_etags
from rest_framework import status
from rest_framework.exceptions import APIException

from orderservice.api.renderers import FastJSONRenderer

_renderer = FastJSONRenderer()


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = (
        "The resource has changed since the ETag in If-Match was read, and nothing was changed; GET it again and retry"
    )
    default_code = "precondition_failed"


def etag_of(data) -> str:
    """The strong ETag of a representation: a hash of its JSON bytes."""
    return f'"{hashlib.blake2b(_renderer.render(data), digest_size=16).hexdigest()}"'


def checks_if_match(view) -> bool:
    """The view is running a write decorated with `atomic_if_match` that carries If-Match: its object is to be
    locked and its current ETag compared (any other request, or an undecorated write, ignores If-Match)."""
    return getattr(view, "_if_match_in_transaction", False)


def check_if_match(request, current_etag: str) -> None:
    """412 unless If-Match is `*` or lists the current ETag (strong comparison: W/"…" never matches)."""
    tags = parse_etags(request.META["HTTP_IF_MATCH"])  # a malformed header lists nothing, and so matches nothing
    if tags != ["*"] and current_etag not in tags:
        raise PreconditionFailed()


def not_modified(request, current_etag: str) -> bool:
    """A GET or HEAD whose If-None-Match is `*` or lists the current ETag (weak comparison: W/"…" matches)."""
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if header is None or request.method not in ("GET", "HEAD"):
        return False
    tags = parse_etags(header)
    return tags == ["*"] or any(tag.removeprefix("W/") == current_etag for tag in tags)


def atomic_if_match(write):
    """Decorate a view's write so that, when it carries If-Match, the check (in `get_object`, on the locked row)
    and the write share one transaction. Without If-Match it runs exactly as before."""

    @functools.wraps(write)
    def write_conditionally(view, request, *args, **kwargs):
        if "HTTP_IF_MATCH" not in request.META:
            return write(view, request, *args, **kwargs)
        with transaction.atomic():
            view._if_match_in_transaction = True
            try:
                return write(view, request, *args, **kwargs)
            finally:
                view._if_match_in_transaction = False

    return write_conditionally
