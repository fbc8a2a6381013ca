from django.apps import AppConfig


class OrderServiceConfig(AppConfig):
    name = "orderservice"
    verbose_name = "Order Service"

    def ready(self):
        from . import openapi  # noqa: F401  registers the bearer-token scheme with drf-spectacular
