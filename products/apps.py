from django.apps import AppConfig


class ProductsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "products"

    def ready(self):
        from . import stock  # noqa: F401  (registers the receiver that records a fixture's stock)
