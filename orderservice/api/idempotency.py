"""`Idempotency-Key` on POST, after the IETF httpapi draft "The Idempotency-Key HTTP Header Field".

A retry with the same key and body gets the original status and body again, and nothing new is created;
the same key with another body is a 422. The key row is written in the same transaction as what the POST
creates, first, so a concurrent twin waits for that transaction (PostgreSQL: on the unique index;
SQLite: on the write lock) and then replays its response: never a second order. Keys belong to the
caller (the token's subject) and are kept IDEMPOTENCY_KEY_HOURS (24 by default); every POST with a key
deletes a bounded batch of expired ones, whoever's, so the table purges itself without a cron job.

A key names one endpoint whatever the path it came by (/api/orders, /api/v1/orders/), and a replay answers the
first response's bytes, so its ETag is the one GET shows while nothing has changed.
"""

import functools
import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from orderservice.api.renderers import FastJSONRenderer
from orderservice.models import IdempotentRequest

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# Each keyed POST deletes at most this many expired keys: more than one request ever adds, so the table
# cannot grow past a lifetime's worth, and the cost per request stays one indexed look-up (and a delete).
PURGE_BATCH = 100

_renderer = FastJSONRenderer()  # the renderer of every JSON answer, and so of the ETag (orderservice.api.conditional)

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    HEADER,
    {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": r"^[^\x00-\x1f\x7f]+$"},
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (a UUID is best). A retry with the same key and body returns the first "
    "response and creates nothing; the same key with another body is a 422. Kept 24 hours.",
)


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used with a different request"
    default_code = "idempotency_key_reused"


def key_lifetime() -> timedelta:
    return timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)


def idempotency_key(request) -> str | None:
    """The header's key, or None; the draft sends it as a structured-field string ("…"), bare is accepted."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise exceptions.ValidationError(
            {HEADER: [f"must be 1 to {MAX_KEY_LENGTH} printable characters"]}, code="invalid"
        )
    return key


def purge_expired_batch() -> int:
    """Delete up to PURGE_BATCH keys older than their lifetime, oldest first (the created_at index finds them
    without scanning the table); returns how many. Outside the POST's own transaction, so it holds no lock
    that the order's transaction would wait on."""
    cutoff = timezone.now() - key_lifetime()
    expired = list(
        IdempotentRequest.objects.filter(created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:PURGE_BATCH]
    )
    if not expired:
        return 0
    return IdempotentRequest.objects.filter(pk__in=expired, created_at__lt=cutoff).delete()[0]


def endpoint(request) -> str:
    """The path of the endpoint the request reached, as the unversioned route writes it: /api/v1/orders/ and
    /api/orders are both /api/orders (the same route, served under two prefixes)."""
    match = request.resolver_match
    return reverse(match.url_name, kwargs=match.kwargs)


def request_fingerprint(request) -> str:
    """The body as canonical JSON, hashed: the same order sent with other whitespace or key order matches."""
    canonical = json.dumps(request.data, sort_keys=True, separators=(",", ":"), cls=JSONEncoder)
    return hashlib.sha256(f"{request.method} {endpoint(request)}\n{canonical}".encode()).hexdigest()


def replay(earlier: IdempotentRequest, fingerprint: str) -> Response:
    if earlier.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    headers = {"Idempotent-Replayed": "true"}
    if earlier.location:
        headers["Location"] = earlier.location
    # The stored text parsed keeps its keys in their order, so it renders to the first answer's bytes again.
    return Response(json.loads(earlier.response_body), status=earlier.status_code, headers=headers)


def idempotent(create):
    """Decorate a viewset's `create` so that it honours Idempotency-Key."""

    @functools.wraps(create)
    def create_once(view, request, *args, **kwargs):
        key = idempotency_key(request)
        if key is None:
            return create(view, request, *args, **kwargs)
        owner, fingerprint = str(request.user.id), request_fingerprint(request)
        purge_expired_batch()
        with transaction.atomic():
            IdempotentRequest.objects.filter(
                owner=owner, key=key, created_at__lt=timezone.now() - key_lifetime()
            ).delete()
            claim = IdempotentRequest(
                owner=owner,
                key=key,
                method=request.method,
                path=request.path,
                fingerprint=fingerprint,
                status_code=0,
                response_body="",
            )
            try:
                with transaction.atomic():
                    claim.save()
            except IntegrityError:  # this key is taken: by now its request has committed
                return replay(IdempotentRequest.objects.get(owner=owner, key=key), fingerprint)
            response = create(view, request, *args, **kwargs)
            claim.status_code = response.status_code
            claim.response_body = _renderer.render(response.data).decode()
            claim.location = response.headers.get("Location", "")
            claim.save(update_fields=["status_code", "response_body", "location"])
        return response

    return extend_schema(parameters=[IDEMPOTENCY_KEY_PARAMETER])(create_once)
