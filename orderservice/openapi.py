"""drf-spectacular: how the schema describes this service."""
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.views import SpectacularJSONAPIView


def document_api_once(endpoints):
    """Each operation once, as clients call it: under /api/ (/api/v1/ repeats it), without a trailing slash."""
    return [(path.rstrip("/"), path_regex, method, callback)
            for path, path_regex, method, callback in endpoints if not path.startswith("/api/v1/")]


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "orderservice.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Bearer",
                                                   bearer_format="JWT")


class PlainJsonRenderer(OpenApiJsonRenderer):
    media_type = "application/json"  # what browsers, curl and SDK generators expect from a .json URL


class OpenApiJsonView(SpectacularJSONAPIView):
    """/openapi.json, served as application/json."""

    renderer_classes = [PlainJsonRenderer]
