"""Routes: the API at /api/ and again at /api/v1/, health, readiness, metrics, the OpenAPI schema with its docs,
the admin."""

from django.contrib import admin
from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from customers.views import CustomerViewSet
from orders.views import CustomerOrderList, OrderViewSet
from orderservice.api.docs import OpenApiJsonView, RedocDocsView, SwaggerDocsView
from orderservice.observability.health import health, ready
from orderservice.observability.metrics_view import metrics
from products.views import ProductViewSet

router = SimpleRouter()
router.trailing_slash = "/?"  # /api/orders and /api/orders/ both work, without a redirect (a regex route)
router.register("customers", CustomerViewSet)
router.register("products", ProductViewSet)
router.register("orders", OrderViewSet)

api_urls = [
    *router.urls,
    re_path(r"^customers/(?P<customer_id>[0-9]+)/orders/?$", CustomerOrderList.as_view(), name="customer-orders"),
]

urlpatterns = [
    path("api/", include(api_urls)),
    path("api/v1/", include((api_urls, "v1"))),
    path("health", health, name="health"),
    path("health/ready", ready, name="ready"),
    path("metrics", metrics, name="metrics"),
    path("openapi.json", OpenApiJsonView.as_view(), name="openapi"),
    path("docs", SwaggerDocsView.as_view(url_name="openapi"), name="docs"),
    path("redoc", RedocDocsView.as_view(url_name="openapi"), name="redoc"),
    path("admin/", admin.site.urls),
]

handler404 = "orderservice.api.problems.page_not_found"
handler500 = "orderservice.api.problems.server_error"
