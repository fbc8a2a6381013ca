from django.apps import AppConfig
from django.conf import settings
from django.db.backends.signals import connection_created


class OrderServiceConfig(AppConfig):
    name = "orderservice"
    verbose_name = "Order Service"

    def ready(self):
        from orderservice.api import schema  # noqa: F401  registers the bearer-token scheme with drf-spectacular
        from orderservice.observability.logs import configure_structlog, log_every_query

        configure_structlog(json=settings.LOG_FORMAT == "json", level=settings.LOG_LEVEL)
        if settings.LOG_SQL:
            connection_created.connect(log_every_query)
