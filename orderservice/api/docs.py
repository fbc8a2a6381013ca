"""The API's documentation pages: /openapi.json, Swagger UI at /docs and ReDoc at /redoc, all served from this
service's own files (drf-spectacular-sidecar), nothing fetched from another host."""

from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.views import APIView

# The docs pages may load only what this service serves. ReDoc's bundle always shows Redocly's logo from
# cdn.redoc.ly; this policy stops the browser from fetching it (ReDoc then leaves the image out).
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
    "worker-src 'self' blob:; connect-src 'self'"
)


class SelfContainedDocsMixin(APIView):
    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
        return response


class SwaggerDocsView(SelfContainedDocsMixin, SpectacularSwaggerView):
    """/docs: Swagger UI from drf-spectacular-sidecar's files."""


class RedocDocsView(SelfContainedDocsMixin, SpectacularRedocView):
    """/redoc: ReDoc from drf-spectacular-sidecar's files."""


class PlainJsonRenderer(OpenApiJsonRenderer):
    media_type = "application/json"  # what browsers, curl and SDK generators expect from a .json URL


class OpenApiJsonView(SpectacularJSONAPIView):
    """/openapi.json, served as application/json."""

    renderer_classes = [PlainJsonRenderer]
