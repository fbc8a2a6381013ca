"""Who may do what: the permissions a token carries, and the DRF permission class every API view declares.

A token's permissions are the names below found in its `scope` (space-separated) or `scp` (a string or an
array) claim, plus those its roles grant through AUTHZ_ROLES (default `Admin=*`). Under AUTHZ_POLICY=any-token
every valid token has all of them (the old service's behaviour, for a migration period).

Each view states its rule next to itself (docs/authorization.md):
- `required_permission`: action -> the permission it needs, or None for any valid token. An action missing
  from it is refused: a new endpoint without a rule fails closed.
- `customer_may`: the actions a token without that permission may still do, as the customer its subject is
  linked to (`Customer.user_id`); the view's `get_queryset` then holds only that customer's objects, so
  another customer's object is a 404.
"""

from functools import lru_cache
from typing import TYPE_CHECKING

import structlog
from django.conf import settings
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from orderservice.observability.metrics import AUTHORIZATION_REFUSALS

CATALOG_WRITE = "catalog:write"
CUSTOMERS_READ = "customers:read"
CUSTOMERS_WRITE = "customers:write"
ORDERS_READ = "orders:read"
ORDERS_WRITE = "orders:write"
ALL_PERMISSIONS = frozenset({CATALOG_WRITE, CUSTOMERS_READ, CUSTOMERS_WRITE, ORDERS_READ, ORDERS_WRITE})

logger = structlog.get_logger("orderservice.authz")


@lru_cache(maxsize=4)
def parse_role_grants(text: str) -> dict[str, frozenset[str]]:
    """AUTHZ_ROLES, e.g. "Admin=*;Warehouse=orders:read,orders:write", as {role: permissions}."""
    grants = {}
    for entry in filter(None, (part.strip() for part in text.split(";"))):
        role, separator, names = entry.partition("=")
        permissions = {name.strip() for name in names.split(",") if name.strip()}
        if not separator or not role.strip() or not permissions:
            raise ValueError(f"{entry!r} is not ROLE=permission,permission or ROLE=*")
        if permissions == {"*"}:
            grants[role.strip()] = ALL_PERMISSIONS
            continue
        if unknown := permissions - ALL_PERMISSIONS:
            raise ValueError(
                f"unknown permission(s) {', '.join(sorted(unknown))} for role {role.strip()!r} "
                f"(known: {', '.join(sorted(ALL_PERMISSIONS))}, or *)"
            )
        grants[role.strip()] = frozenset(permissions)
    return grants


def permissions_of(scopes: frozenset[str], roles: frozenset[str]) -> frozenset[str]:
    """The permissions a verified token carries: the names among its scopes, and what its roles are granted."""
    if settings.AUTHZ_POLICY == "any-token":
        return ALL_PERMISSIONS
    granted = scopes & ALL_PERMISSIONS
    for role in roles:
        granted |= parse_role_grants(settings.AUTHZ_ROLES).get(role, frozenset())
    return frozenset(granted)


def refuse(request, permission: str, detail: str) -> PermissionDenied:
    """A 403 whose detail names the missing permission; logged with the subject and counted."""
    logger.warning("authz: refused", permission=permission, method=request.method, path=request.path)
    AUTHORIZATION_REFUSALS.labels(permission).inc()
    return PermissionDenied(detail)


def note_outside_own_objects(request, object_id) -> None:
    """A customer asked for an object that is not its own (or does not exist): answered 404, logged and counted."""
    logger.warning(
        "authz: not among the caller's own objects", object_id=str(object_id), method=request.method, path=request.path
    )
    AUTHORIZATION_REFUSALS.labels("own-objects").inc()


def missing(request, permission: str) -> PermissionDenied:
    return refuse(request, permission, f"This needs the permission {permission}")


def token_permissions(request: Request) -> frozenset[str]:
    """What the request's token may do (its user is a ServiceUser); nothing without a token."""
    return getattr(request.user, "permissions", frozenset())


if TYPE_CHECKING:
    from rest_framework.views import APIView as _APIView
else:  # importing DRF's views here would import this module back (through DEFAULT_PERMISSION_CLASSES)
    _APIView = object


class DeclaredRules(_APIView):
    """For API views: `required_permission` (which every view must set) and `customer_may` (see the module's
    docstring), and whether the request at hand is served as the caller's own customer."""

    required_permission: dict[str, str | None]
    customer_may: frozenset[str] = frozenset()
    action: str  # a viewset's (DRF's ViewSetMixin sets it), or the one action of a plain API view

    @property
    def acting_as_customer(self) -> bool:
        """The caller lacks this action's permission and is let through as its own customer."""
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular describing the view, not a request
            return False
        permission = self.required_permission.get(self.action)
        return permission is not None and permission not in token_permissions(self.request)


class DeclaredPermission(BasePermission):
    """The view's `required_permission` and `customer_may`, applied to the action being called."""

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False  # DRF answers 401 with WWW-Authenticate
        if view.action is None or view.action == "metadata":
            return True  # no handler for this method (DRF answers 405), or OPTIONS describing the endpoint
        rules = getattr(view, "required_permission", None)
        if rules is None or view.action not in rules:
            logger.error("authz: no rule for this action; refused", view=type(view).__name__, action=view.action)
            raise refuse(request, "no-rule", "This endpoint has no authorization rule and is refused")
        permission = rules[view.action]
        if permission is None or permission in token_permissions(request) or view.action in view.customer_may:
            return True
        raise missing(request, permission)
