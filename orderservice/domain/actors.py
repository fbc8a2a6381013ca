"""Who is acting, as the stock ledger and the outbox record it, in namespaces no caller can step out of:
"token:<subject>" for a bearer token in the API, "admin:<username>" in the admin, "system" anywhere else
(management commands, fixtures). A token whose subject is "system" or "admin:root" is recorded as
"token:system" or "token:admin:root", never as the system or a staff user. (Rows written before the
namespaces hold the bare subject; they are left as they are.)"""

from contextlib import contextmanager
from contextvars import ContextVar

import structlog

MAX_ACTOR_LENGTH = 255
SYSTEM = "system"
TOKEN_PREFIX = "token:"
ADMIN_PREFIX = "admin:"

_staff_actor: ContextVar[str | None] = ContextVar("staff_actor", default=None)
_staff_user_id: ContextVar[int | None] = ContextVar("staff_user_id", default=None)


def token_actor(subject: str) -> str:
    return f"{TOKEN_PREFIX}{subject}"[:MAX_ACTOR_LENGTH]


def admin_actor(username: str) -> str:
    return f"{ADMIN_PREFIX}{username}"[:MAX_ACTOR_LENGTH]


@contextmanager
def acting_in_admin(request):
    """Within it, whatever the admin does is done by "admin:<username>" (kept out of the log lines: a username
    may be an email address; they name the staff member by user id)."""
    reset_actor = _staff_actor.set(admin_actor(request.user.get_username()))
    reset_user_id = _staff_user_id.set(request.user.pk)
    try:
        yield
    finally:
        _staff_user_id.reset(reset_user_id)
        _staff_actor.reset(reset_actor)


def admin_log_fields() -> dict:
    """What the log line of a customer's or product's change adds when staff made it in the admin: `via` and the
    staff member's user id; nothing anywhere else."""
    staff_user_id = _staff_user_id.get()
    return {} if staff_user_id is None else {"via": "admin", "staff_user_id": staff_user_id}


def current_actor() -> str:
    """The staff user in the admin, else the subject of the request's bearer token (orderservice.auth.tokens binds
    it), else "system"."""
    staff = _staff_actor.get()
    if staff is not None:
        return staff
    subject = structlog.contextvars.get_contextvars().get("subject")
    return token_actor(subject) if subject else SYSTEM


def current_request_id() -> str:
    """The X-Request-ID of the request being served (orderservice.observability.middleware binds it), or ""."""
    return structlog.contextvars.get_contextvars().get("request_id") or ""
