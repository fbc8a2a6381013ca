import logging

from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.db.backends.signals import connection_created

from orderservice.config import fail_start


class OrderServiceConfig(AppConfig):
    name = "orderservice"
    verbose_name = "Order Service"

    def ready(self):
        from orderservice import checks as service_checks
        from orderservice.api import schema  # noqa: F401  registers the bearer-token scheme with drf-spectacular
        from orderservice.observability.logs import configure_structlog, log_every_query

        checks.register(service_checks.django_release, checks.Tags.compatibility)
        checks.register(service_checks.read_plans, "read_plans")

        configure_structlog(json=settings.LOG_FORMAT == "json", level=settings.LOG_LEVEL)
        check_authorization_settings()
        if settings.LOG_SQL:
            connection_created.connect(log_every_query)


def check_authorization_settings() -> None:
    """AUTHZ_ROLES must parse (one clear line if not); AUTHZ_POLICY=any-token is said loudly at every start."""
    from orderservice.auth.permissions import parse_role_grants

    try:
        parse_role_grants(settings.AUTHZ_ROLES)
    except ValueError as error:
        fail_start(f"AUTHZ_ROLES: {error}")
    if settings.AUTHZ_POLICY == "any-token":
        logging.getLogger("orderservice.authz").warning(
            "AUTHZ_POLICY=any-token: every valid token may do everything, as in the old service. "
            "Use it only while clients move to tokens with permissions."
        )
