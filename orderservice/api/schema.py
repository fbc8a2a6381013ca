"""drf-spectacular: how the schema describes this service."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_bearer_security_scheme_object


def document_api_once(endpoints):
    """Each operation once, as clients call it: under /api/ (/api/v1/ repeats it), without a trailing slash."""
    return [
        (path.rstrip("/"), path_regex, method, callback)
        for path, path_regex, method, callback in endpoints
        if not path.startswith("/api/v1/")
    ]


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "orderservice.auth.tokens.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix="Bearer", bearer_format="JWT"
        )


PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "properties": {
        "type": {"type": "string", "example": "about:blank"},
        "title": {"type": "string", "example": "Bad Request"},
        "status": {"type": "integer", "example": 400},
        "detail": {"type": "string", "example": "Insufficient stock for product Laptop Computer"},
        "instance": {"type": "string", "example": "/api/orders"},
        "errors": {
            "type": "object",
            "description": "Validation errors by field (dotted paths for nested fields)",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "example": {"order_items.0.quantity": ["Ensure this value is greater than or equal to 1."]},
        },
    },
    "required": ["type", "title", "status", "detail", "instance"],
}


ETAG_HEADER = {
    "schema": {"type": "string"},
    "example": '"5d41402abc4b2a76b9719d911017c592"',
    "description": "A strong validator of this representation: send it in If-Match or If-None-Match",
}
CONDITIONAL_HEADERS = {"If-Match", "If-None-Match"}


def _header_parameter(name: str, description: str) -> dict:
    return {"in": "header", "name": name, "required": False, "schema": {"type": "string"}, "description": description}


class PermissionDocumentingSchema(AutoSchema):
    """drf-spectacular's schema, with each operation's permission (the view's `required_permission` and
    `customer_may`, orderservice.auth.permissions) said in its description and in `x-required-permission`,
    and its 403 documented where a permission can refuse it; and one object's conditional requests
    (the view's `single_object_actions`, orderservice.api.conditional): ETag, If-None-Match, If-Match."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is not None:
            self._document_conditional_requests(operation, method.lower())
        rules = getattr(self.view, "required_permission", None)
        if operation is None or rules is None:
            return operation
        action = getattr(self.view, "action", None)
        permission, as_customer = rules.get(action), action in getattr(self.view, "customer_may", frozenset())
        if permission is None:
            rule = "**Permission:** any valid token."
        elif as_customer:
            rule = (
                f"**Permission:** `{permission}`. Without it, a token acts as the customer linked to its subject "
                f"(`user_id`): only that customer's own objects (another's is a 404), and a 403 naming "
                f"`{permission}` for what a customer may not do."
            )
        else:
            rule = f"**Permission:** `{permission}` (a 403 without it)."
        operation["x-required-permission"] = permission
        operation["description"] = f"{operation.get('description', '')}\n\n{rule}".strip()
        if permission is not None:
            operation["responses"].setdefault("403", _problem(f"The token lacks `{permission}` (`detail` names it)"))
        return operation

    def _document_conditional_requests(self, operation: dict, method: str) -> None:
        action = getattr(self.view, "action", None)
        single_object_actions: frozenset[str] = getattr(self.view, "single_object_actions", frozenset())
        responses = operation["responses"]
        if action in single_object_actions:
            for code in ("200", "201"):
                if code in responses:
                    responses[code].setdefault("headers", {})["ETag"] = ETAG_HEADER
        if method == "get" and action in single_object_actions:
            operation.setdefault("parameters", []).append(
                _header_parameter(
                    "If-None-Match",
                    'The ETags of the copies the client holds ("…", W/"…" or *): a 304 without a body '
                    "when one of them is current",
                )
            )
            responses["304"] = {
                "description": "Not Modified: the client's copy is current (no body)",
                "headers": {"ETag": ETAG_HEADER},
            }
        elif method in ("put", "patch", "delete") and action in single_object_actions | {"destroy"}:
            operation.setdefault("parameters", []).append(
                _header_parameter(
                    "If-Match",
                    'Optional: the ETag the client last read ("…", or * for any). Without it the write is '
                    "unconditional; with one that is no longer current it is a 412 that changes nothing",
                )
            )
            responses["412"] = _problem(
                "The resource has changed since the ETag in If-Match was read, and nothing "
                "was changed: GET it again and retry"
            )


def _problem(description: str, **headers) -> dict:
    response = {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if headers:
        response["headers"] = {
            name: {"schema": {"type": "string"}, "description": text} for name, text in headers.items()
        }
    return response


def document_errors_and_headers(result, generator, request, public):
    """What every /api/ operation may answer besides success (all as problem+json), and the headers of
    success: Link on lists, Location on creation. One place, so no view can forget them."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    # An order's customer: every caller sees its name; its other fields only some callers (orders/serializers.py).
    if "OrderCustomer" in result["components"]["schemas"]:
        result["components"]["schemas"]["OrderCustomer"]["required"] = ["id", "first_name", "last_name"]
    for path, operations in result["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            parameters = operation.get("parameters", [])
            takes_input = "requestBody" in operation or any(
                p["in"] in ("query", "header") and p["name"] not in CONDITIONAL_HEADERS for p in parameters
            )
            errors = {
                "401": _problem(
                    "No token, or one that fails verification",
                    **{"WWW-Authenticate": 'Bearer realm="order-service"[, error="invalid_token", …]'},
                ),
                "429": _problem("Too many requests", **{"Retry-After": "Seconds to wait"}),
                "503": _problem(
                    "The database or the User Service's signing keys cannot be reached right now; "
                    "retry after Retry-After",
                    **{"Retry-After": "Seconds to wait"},
                ),
            }
            if takes_input or method == "delete":
                errors["400"] = _problem("Invalid input, or a business rule refused it (see `detail`)")
            if "{" in path:
                errors["404"] = _problem("No such resource")
            elif path.endswith("/me"):
                errors["404"] = _problem("No customer is linked to this token's subject")
            if "requestBody" in operation:
                errors["413"] = _problem("The body is larger than MAX_REQUEST_BODY_BYTES")
                errors["415"] = _problem("The body is not application/json")
            if method == "post":
                errors["422"] = _problem("This Idempotency-Key was used with a different request")
            for code, response in errors.items():
                responses.setdefault(code, response)
            if "200" in responses and any(p["name"] == "cursor" for p in parameters):
                responses["200"].setdefault("headers", {})["Link"] = {
                    "schema": {"type": "string"},
                    "description": 'RFC 8288 links to the next and previous pages: <…?cursor=…>; rel="next"',
                }
            if "201" in responses:
                responses["201"].setdefault("headers", {}).update(
                    {
                        "Location": {"schema": {"type": "string", "format": "uri"}, "description": "The new resource"},
                        "Idempotent-Replayed": {
                            "schema": {"type": "string", "enum": ["true"]},
                            "description": "Present when this is a replay of an earlier request",
                        },
                    }
                )
            for parameter in parameters:
                if parameter["name"] == "limit" and parameter["in"] == "query":
                    parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}
    return result
