"""The admin's login under django-axes: the page a locked-out staff member sees, saying when to try again, and
the address a login attempt comes from when a proxy stands in front of gunicorn."""

import ipaddress
import math

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone

from orderservice.config import env_list

# The proxies gunicorn believes (gunicorn.conf.py reads the same variable): their X-Forwarded-For is believed too.
_TRUSTED_PROXIES = env_list("FORWARDED_ALLOW_IPS") or ["127.0.0.1", "::1"]


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: a 429 page naming when to retry. Each attempt while locked out restarts the
    cool-off (django-axes' AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT), so that is now + the cool-off."""
    cool_off = settings.AXES_COOLOFF_TIME  # a timedelta (settings), not one of the other forms axes allows
    minutes = math.ceil(cool_off.total_seconds() / 60)
    response = render(
        request,
        "admin/locked_out.html",
        {
            "title": "Too many failed logins",
            "minutes": minutes,
            "retry_at": timezone.now() + cool_off,
        },
        status=429,
    )
    response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response


def client_address(request) -> str:
    """AXES_CLIENT_IP_CALLABLE: the peer's address, or, when the peer is a trusted proxy, the address that
    proxy appended to X-Forwarded-For (the last one: those before it come from the client and prove nothing)."""
    peer = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and _is_trusted_proxy(peer):
        return forwarded.rsplit(",", 1)[-1].strip()
    return peer


def _is_trusted_proxy(address: str) -> bool:
    if "*" in _TRUSTED_PROXIES:
        return True
    try:
        peer = ipaddress.ip_address(address)
    except ValueError:
        return False
    for trusted in _TRUSTED_PROXIES:
        try:
            if peer in ipaddress.ip_network(trusted, strict=False):
                return True
        except ValueError:
            continue  # a host name: gunicorn ignores those too
    return False
