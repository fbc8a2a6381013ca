"""Settings for the Order Service: one file, read from the environment (and `.env` when present).

Every variable is listed in docs/configuration.md.
"""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from corsheaders.defaults import default_headers as default_cors_headers
from dotenv import load_dotenv

from orderservice.config import (
    ConfigError,
    check_jwks_url,
    check_secret_key,
    env_bool,
    env_decimal,
    env_int,
    env_list,
    env_rate,
    fail_start,
    parse_database_url,
)
from orderservice.observability.logs import log_format, log_level, logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv(BASE_DIR / ".env")

# --- Environment --------------------------------------------------------------------------------
ENVIRONMENT = os.environ.get("ENVIRONMENT", "development").strip().lower()
if ENVIRONMENT not in ("development", "production"):
    fail_start(f"ENVIRONMENT must be 'development' or 'production', not {ENVIRONMENT!r}")
IS_PRODUCTION = ENVIRONMENT == "production"

DEBUG = env_bool("DEBUG", default=not IS_PRODUCTION) and not IS_PRODUCTION

if IS_PRODUCTION:
    SECRET_KEY = os.environ.get("SECRET_KEY") or fail_start("SECRET_KEY is required when ENVIRONMENT=production")
    try:
        check_secret_key(SECRET_KEY)
    except ConfigError as error:
        fail_start(str(error))
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS") or fail_start(
        "ALLOWED_HOSTS is required when ENVIRONMENT=production (comma-separated host names)"
    )
else:
    # A development-only key: never used in production, where SECRET_KEY is required.
    SECRET_KEY = os.environ.get("SECRET_KEY", "django-insecure-development-only-key-do-not-use-in-production")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS") or ["*"]

HOST = os.environ.get("HOST", "0.0.0.0")
PORT = os.environ.get("PORT", "5001")

# --- Security: in production, behind a proxy that terminates TLS ---------------------------------
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")  # the admin's public origin, e.g. https://orders.example.com
if IS_PRODUCTION:
    # gunicorn already marks a request https when a proxy in FORWARDED_ALLOW_IPS says so; this makes Django
    # believe X-Forwarded-Proto from anyone, for a proxy whose address is not known in advance.
    if env_bool("TRUST_X_FORWARDED_PROTO", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^health", r"^metrics$"]  # probes and scrapers inside the network speak plain HTTP
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True  # admin sessions travel over TLS only
    # __Host-: the browser takes these cookies only from https, for this host alone (no Domain), with Path=/.
    SESSION_COOKIE_NAME, CSRF_COOKIE_NAME = "__Host-sessionid", "__Host-csrftoken"
# HSTS preload commits the owner's whole domain: their decision (SECURE_HSTS_PRELOAD), not a default.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# --- Applications -------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "orderservice",  # before staticfiles: its `runserver` listens on HOST:PORT
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "customers",
    "products",
    "orders",
    "axes",  # admin logins: locked out after repeated failures
]

MIDDLEWARE = [
    # First: request id, log line and metrics for every request.
    "orderservice.observability.middleware.RequestObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # admin and docs assets, with DEBUG off too
    "corsheaders.middleware.CorsMiddleware",
    "orderservice.api.middleware.ApiProblemMiddleware",  # every /api/ error as application/problem+json
    "orderservice.api.middleware.PageSessionMiddleware",  # this and the other Page* ones: not for /api/
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "orderservice.api.middleware.PageAuthenticationMiddleware",
    "orderservice.api.middleware.PageMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "orderservice.api.middleware.PageAxesMiddleware",  # last, as django-axes asks: the lockout page
]

ROOT_URLCONF = "orderservice.urls"
WSGI_APPLICATION = "orderservice.wsgi.application"
APPEND_SLASH = False  # API paths have no trailing slash; the router accepts both forms itself
MAX_REQUEST_BODY_BYTES = env_int("MAX_REQUEST_BODY_BYTES", 1_048_576)  # larger bodies get a 413 unread
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
try:
    DATABASES = {"default": parse_database_url(os.environ.get("DATABASE_URL", "sqlite:///order_service.db"))}
except ConfigError as error:
    fail_start(str(error))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The compiled statements rely on the private ORM API of one Django release series (orderservice/checks.py): another
# one stops `manage.py check` and gunicorn's start unless this says to run it anyway.
ALLOW_UNTESTED_DJANGO = env_bool("ALLOW_UNTESTED_DJANGO", default=False)

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# --- Internationalisation: everything is stored and served in UTC --------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files (admin, API docs) -------------------------------------------------------------
STATIC_URL = "static/"
# `collectstatic` fills STATIC_ROOT for production; elsewhere the files are served straight from the apps.
STATIC_ROOT = (
    Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
    if IS_PRODUCTION or os.environ.get("STATIC_ROOT")
    else None
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not IS_PRODUCTION

# --- Staff users of the admin: passwords, sessions, login attempts --------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)  # seconds: a working day, then log in again

AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)  # failed logins in a row, then locked out
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # one user from one address: others are not locked out
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "orderservice.admin_login.lockout_response"  # says when to try again
AXES_CLIENT_IP_CALLABLE = "orderservice.admin_login.client_address"  # behind a proxy too
AXES_VERBOSE = False  # no banner at every start (a configuration error stays one line); failures are still logged
# django-axes looks for its middleware by name; PageAxesMiddleware is a subclass that skips /api/.
SILENCED_SYSTEM_CHECKS.append("axes.W002")

# --- CORS ---------------------------------------------------------------------------------------
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_ALLOW_ALL_ORIGINS = not IS_PRODUCTION and not CORS_ALLOWED_ORIGINS
# Conditional requests and safe retries (docs/api.md) from browsers on other origins too.
CORS_ALLOW_HEADERS = (*default_cors_headers, "if-match", "if-none-match", "idempotency-key")
CORS_EXPOSE_HEADERS = ["Location", "ETag", "Idempotent-Replayed"]

# --- REST framework -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["orderservice.auth.tokens.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["orderservice.auth.permissions.DeclaredPermission"],
    "DEFAULT_RENDERER_CLASSES": ["orderservice.api.renderers.FastJSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "orderservice.api.renderers.JsonFirstContentNegotiation",
    "DEFAULT_PARSER_CLASSES": ["orderservice.api.parsers.BoundedJSONParser"],  # depth, NUL: refused early
    "DEFAULT_SCHEMA_CLASS": "orderservice.api.schema.PermissionDocumentingSchema",
    "DEFAULT_PAGINATION_CLASS": "orderservice.api.pagination.LinkHeaderPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "orderservice.api.filters.ListFilterBackend",
        "orderservice.api.filters.BoundedSearchFilter",
        "orderservice.api.filters.StrictOrderingFilter",
    ],
    "EXCEPTION_HANDLER": "orderservice.api.problems.problem_exception_handler",
}

# --- Throttling and the shared cache ------------------------------------------------------------
# THROTTLE_RATE ("600/min") requests per caller, counted in the cache every worker and instance shares.
# Off when unset: on the database cache each request would write to the database.
THROTTLE_RATE = env_rate("THROTTLE_RATE")  # (requests, seconds) or None
if THROTTLE_RATE:
    REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["orderservice.api.throttling.SharedRateThrottle"]

CACHE_URL = os.environ.get("REDIS_URL") or os.environ.get("CACHE_URL") or None
if CACHE_URL:
    if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        fail_start(f"REDIS_URL/CACHE_URL must be a redis://, rediss:// or unix:// URL, not {CACHE_URL!r}")
    # Short socket timeouts: a hung Redis holds a request a second, not a worker forever.
    CACHES: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "orderservice.api.cache.DatabaseCache",
            "LOCATION": "orderservice_cache",  # made by `migrate`
            # Django's `incr` resets an entry's expiry to TIMEOUT, so TIMEOUT must outlast a throttle window.
            "TIMEOUT": THROTTLE_RATE[1] + 1 if THROTTLE_RATE else 300,
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    }

# --- Authentication: tokens from the User Service, verified against its JWKS -------------------
# Development trusts a User Service on localhost:5000; production names its own, never a default.
if IS_PRODUCTION and not (os.environ.get("JWT_JWKS_URL") or os.environ.get("JWT_AUTHORITY")):
    fail_start(
        "JWT_JWKS_URL (or JWT_AUTHORITY) is required when ENVIRONMENT=production: "
        "the User Service's JWKS URL (or its base URL)"
    )
JWT_AUTHORITY = (os.environ.get("JWT_AUTHORITY") or "http://localhost:5000").rstrip("/")
JWT_JWKS_URL = os.environ.get("JWT_JWKS_URL") or f"{JWT_AUTHORITY}/.well-known/jwks.json"
# Whoever answers the JWKS URL can sign any token: https in production, unless the host is loopback or
# JWT_JWKS_ALLOW_HTTP says the network is trusted (an in-cluster URL).
try:
    check_jwks_url(
        JWT_JWKS_URL,
        variable="JWT_JWKS_URL" if os.environ.get("JWT_JWKS_URL") else "JWT_AUTHORITY",
        production=IS_PRODUCTION,
        allow_http=env_bool("JWT_JWKS_ALLOW_HTTP", default=False),
    )
except ConfigError as error:
    fail_start(str(error))
JWT_AUDIENCE = os.environ.get("JWT_AUDIENCE", "shala")
JWT_ISSUER = os.environ.get("JWT_ISSUER") or JWT_AUDIENCE  # the old service checked iss against the audience

# Only asymmetric algorithms: the service must never accept a token signed with a shared secret or none.
ASYMMETRIC_ALGORITHMS = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
JWT_ALGORITHMS = env_list("JWT_ALGORITHMS") or ["RS256"]
if not set(JWT_ALGORITHMS) <= ASYMMETRIC_ALGORITHMS:
    fail_start(
        f"JWT_ALGORITHMS may only name asymmetric algorithms ({', '.join(sorted(ASYMMETRIC_ALGORITHMS))}), "
        f"not {', '.join(sorted(set(JWT_ALGORITHMS) - ASYMMETRIC_ALGORITHMS))}"
    )
JWKS_CACHE_SECONDS = env_int("JWKS_CACHE_SECONDS", 300)  # after this, keys are refreshed (and kept if that fails)
JWKS_REFRESH_COOLDOWN_SECONDS = env_int("JWKS_REFRESH_COOLDOWN_SECONDS", 30)  # at most one fetch per this
JWKS_FETCH_TIMEOUT_SECONDS = env_int("JWKS_FETCH_TIMEOUT_SECONDS", 3)
# While the JWKS is unreachable, known keys serve at most this long past their refresh time, then 503.
JWKS_STALE_MAX_SECONDS = env_int("JWKS_STALE_MAX_SECONDS", 86400)
# `manage.py devtoken` signs with this key; the service trusts it in development only, never in production.
JWT_DEV_KEY_FILE = (
    None
    if IS_PRODUCTION
    else Path(os.environ.get("JWT_DEV_KEY_FILE") or BASE_DIR / ".dev-keys" / "jwt-signing-key.pem")
)

SIMPLE_JWT = {
    # A resource server: it verifies tokens the User Service signed (see orderservice/auth/tokens.py).
    "ALGORITHM": JWT_ALGORITHMS[0],
    "SIGNING_KEY": None,
    "VERIFYING_KEY": None,
    "JWK_URL": JWT_JWKS_URL,
    "AUDIENCE": JWT_AUDIENCE,
    "ISSUER": JWT_ISSUER,
    "LEEWAY": env_int("JWT_LEEWAY_SECONDS", 30),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_CLAIM": "sub",
    # The User Service's tokens carry neither simplejwt's token_type nor a jti claim.
    "TOKEN_TYPE_CLAIM": None,
    "JTI_CLAIM": None,
    "AUTH_TOKEN_CLASSES": ("orderservice.auth.tokens.UserServiceToken",),
}

# --- Authorization (orderservice/auth/permissions.py, docs/authorization.md) -------------------------
AUTHZ_POLICY = os.environ.get("AUTHZ_POLICY", "permissions").strip().lower()
if AUTHZ_POLICY not in ("permissions", "any-token"):
    fail_start(f"AUTHZ_POLICY must be 'permissions' or 'any-token', not {AUTHZ_POLICY!r}")
AUTHZ_ROLES = os.environ.get("AUTHZ_ROLES", "Admin=*")  # ROLE=perm,perm;ROLE=* (checked at start-up)

# --- OpenAPI ------------------------------------------------------------------------------------
SPECTACULAR_SETTINGS = {
    "TITLE": "Order Service",
    "DESCRIPTION": "Customers, products with their stock, and orders. Every /api/ route needs a Bearer token "
    "signed by the User Service.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api",  # tags and operation ids by resource: customers_list, orders_create, …
    "PREPROCESSING_HOOKS": ["orderservice.api.schema.document_api_once"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "orderservice.api.schema.document_errors_and_headers",
    ],
    # The schema and the docs are public; the operations they describe are not.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
}

# --- Orders: money rules (orders/services.py, docs/configuration.md) ------------------------------
ORDER_TAX_RATE = env_decimal("ORDER_TAX_RATE", "0.08")
ORDER_SHIPPING_FEE = env_decimal("ORDER_SHIPPING_FEE", "10.00")
ORDER_FREE_SHIPPING_FROM = env_decimal("ORDER_FREE_SHIPPING_FROM", "100.00")
ORDER_MAX_LINES = env_int("ORDER_MAX_LINES", 100)  # more lines in one order is a 400
if ORDER_MAX_LINES < 1:
    fail_start(f"ORDER_MAX_LINES must be at least 1, not {ORDER_MAX_LINES}")

# --- Idempotency-Key on POST ------------------------------------------------------------------------
IDEMPOTENCY_KEY_HOURS = env_int("IDEMPOTENCY_KEY_HOURS", 24)  # a retry within this replays; purged after

# --- Events (orderservice/events/): the outbox, relayed to RabbitMQ by `manage.py publish_events` ----------------
EVENTS_BROKER_URL = os.environ.get("EVENTS_BROKER_URL", "").strip()  # amqp://user:password@host:5672/vhost
if EVENTS_BROKER_URL and not EVENTS_BROKER_URL.startswith(("amqp://", "amqps://")):
    fail_start("EVENTS_BROKER_URL must be an amqp:// or amqps:// URL")
EVENTS_EXCHANGE = os.environ.get("EVENTS_EXCHANGE", "").strip() or "order-service"  # a topic exchange
EVENTS_SOURCE = os.environ.get("EVENTS_SOURCE", "").strip() or "/order-service"  # the CloudEvents `source`
EVENTS_RETENTION_DAYS = env_int("EVENTS_RETENTION_DAYS", 30)  # published rows (all rows without a broker) kept
if EVENTS_RETENTION_DAYS < 1:
    fail_start(f"EVENTS_RETENTION_DAYS must be at least 1, not {EVENTS_RETENTION_DAYS}")

# --- Logs and metrics (orderservice/observability/) ------------------------------------------------------
LOG_FORMAT = log_format()  # json in production, console (readable) in development
LOG_LEVEL = log_level()
LOG_SQL = env_bool("LOG_SQL", default=False)  # every SQL statement with its parameters
if LOG_SQL and IS_PRODUCTION:
    fail_start("LOG_SQL is for development only: SQL parameters would put personal data in the logs")
LOGGING = logging_config(level=LOG_LEVEL, json=LOG_FORMAT == "json", log_sql=LOG_SQL)

METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")  # when set, /metrics wants `Authorization: Bearer <it>`
METRICS_ALLOW_PUBLIC = env_bool("METRICS_ALLOW_PUBLIC", default=not IS_PRODUCTION)
