"""Configuration from the environment: database URLs in Django's and the old service's forms, clear errors."""

import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from orderservice.config import ConfigError, parse_database_url
from orderservice.testing.live_service import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[2]
STRONG_SECRET_KEY = secrets.token_urlsafe(50)
PRODUCTION = {"ENVIRONMENT": "production", "SECRET_KEY": STRONG_SECRET_KEY, "ALLOWED_HOSTS": "orders.example.com"}
USER_SERVICE = {"JWT_AUTHORITY": "https://users.example.com"}


def test_the_default_sqlite_url_gets_settings_for_several_writing_workers():
    database = parse_database_url("sqlite:///order_service.db")
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == "order_service.db"
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    assert database["OPTIONS"]["timeout"] >= 5


@pytest.mark.parametrize(
    "url, engine, name",
    [
        ("sqlite+aiosqlite:///./orders.db", "django.db.backends.sqlite3", "./orders.db"),
        ("postgresql+asyncpg://app:secret@db.internal:5433/orders", "orderservice.database.postgresql", "orders"),
        ("postgresql://app:secret@db.internal:5433/orders", "orderservice.database.postgresql", "orders"),
        ("postgres://app:secret@db.internal/orders", "orderservice.database.postgresql", "orders"),
        ("mysql+aiomysql://app:secret@db.internal:3306/orders", "django.db.backends.mysql", "orders"),
    ],
)
def test_django_and_sqlalchemy_url_forms_are_accepted(url, engine, name):
    database = parse_database_url(url)
    assert (database["ENGINE"], database["NAME"]) == (engine, name)


@pytest.mark.parametrize(
    "url, options",
    [
        ("postgres://app@db.internal/orders", "-c jit=off"),
        (
            "postgres://app@db.internal/orders?options=-c%20statement_timeout%3D5000",
            "-c statement_timeout=5000 -c jit=off",
        ),
        ("postgres://app@db.internal/orders?options=-c%20jit%3Don", "-c jit=on"),
    ],
)
def test_postgres_connections_run_without_jit_unless_the_url_says_otherwise(url, options):
    assert parse_database_url(url)["OPTIONS"]["options"] == options


def test_postgres_credentials_and_port_are_taken_from_the_url():
    database = parse_database_url("postgresql+asyncpg://app:secret@db.internal:5433/orders")
    assert (database["USER"], database["PASSWORD"], database["HOST"], database["PORT"]) == (
        "app",
        "secret",
        "db.internal",
        5433,
    )


@pytest.mark.parametrize("url", ["not a url", "oracle://x/y", "", "sqlite:/missing-slashes.db"])
def test_an_unusable_database_url_is_a_config_error_naming_the_variable(url):
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        parse_database_url(url)


def run_manage_check(*options, **environment):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT), **environment}
    return subprocess.run(
        [sys.executable, "manage.py", "check", *options],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "environment, variable",
    [
        ({"ENVIRONMENT": "production", "ALLOWED_HOSTS": "orders.example.com"}, "SECRET_KEY"),
        ({"ENVIRONMENT": "production", "SECRET_KEY": STRONG_SECRET_KEY}, "ALLOWED_HOSTS"),
        ({"DATABASE_URL": "nonsense"}, "DATABASE_URL"),
        ({"ENVIRONMENT": "staging"}, "ENVIRONMENT"),
        ({**PRODUCTION, **USER_SERVICE, "LOG_SQL": "true"}, "LOG_SQL"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
        ({"THROTTLE_RATE": "lots"}, "THROTTLE_RATE"),
        ({"REDIS_URL": "memcached://127.0.0.1:11211"}, "REDIS_URL"),
        ({"JWT_JWKS_URL": "file:///etc/jwks.json"}, "JWT_JWKS_URL"),  # urllib would read it; nothing else may
        ({"JWT_JWKS_URL": "ftp://users.example.com/jwks.json"}, "JWT_JWKS_URL"),
        ({"JWT_AUTHORITY": "users.example.com"}, "JWT_AUTHORITY"),
        ({**PRODUCTION, "JWT_AUTHORITY": "http://users.example.com"}, "JWT_AUTHORITY"),
        ({**PRODUCTION, "JWT_JWKS_URL": "http://users.internal/jwks.json"}, "JWT_JWKS_URL"),
        ({"JWT_JWKS_ALLOW_HTTP": "perhaps"}, "JWT_JWKS_ALLOW_HTTP"),
        ({"JWKS_STALE_MAX_SECONDS": "a day"}, "JWKS_STALE_MAX_SECONDS"),
    ],
)
def test_bad_configuration_stops_start_up_with_one_line_naming_the_variable(environment, variable):
    result = run_manage_check(**environment)
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert result.stderr.startswith("configuration error: ") and variable in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "jwks",
    [
        {"JWT_AUTHORITY": "https://users.example.com"},
        {"JWT_JWKS_URL": "http://127.0.0.1:5000/.well-known/jwks.json"},  # loopback: a sidecar on the same host
        {"JWT_JWKS_URL": "http://users.internal/jwks.json", "JWT_JWKS_ALLOW_HTTP": "true"},  # an in-cluster URL
    ],
)
def test_production_takes_an_https_jwks_url_and_plain_http_only_on_loopback_or_when_allowed(jwks):
    result = run_manage_check(**PRODUCTION, **jwks, DATABASE_URL="sqlite:///:memory:")
    assert result.returncode == 0, result.stderr


def test_gunicorn_without_environment_runs_production_settings_and_stops_without_secret_key():
    environment = {
        "PATH": "/usr/bin:/bin",
        "HOME": "/tmp",
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "ALLOWED_HOSTS": "orders.example.com",
    }  # neither ENVIRONMENT nor SECRET_KEY
    gunicorn = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "orderservice.wsgi:application"]
    result = subprocess.run(gunicorn, cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert result.stderr == "configuration error: SECRET_KEY is required when ENVIRONMENT=production\n"
    assert result.stdout == ""


def test_production_starts_with_its_required_variables():
    result = run_manage_check(**PRODUCTION, **USER_SERVICE, DATABASE_URL="sqlite:///:memory:")
    assert result.returncode == 0, result.stderr


def test_check_deploy_is_clean_under_production_settings():
    result = run_manage_check(
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
        **USER_SERVICE,
        DATABASE_URL="sqlite:///:memory:",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


WEAK_KEY = (
    "configuration error: SECRET_KEY is too weak for ENVIRONMENT=production: it needs at least 50 characters, "
    "5 of them different, and not the 'django-insecure-' prefix "
    "(python -c 'import secrets; print(secrets.token_urlsafe(50))')"
)


@pytest.mark.parametrize(
    "secret_key",
    [
        "x" * 50,  # long, but 1 character
        "abcd" * 20,  # 4 different characters
        secrets.token_urlsafe(30),  # 40 characters
        "django-insecure-" + secrets.token_urlsafe(50),  # Django's own development prefix
    ],
    # Named, not shown: the random keys would differ between the xdist workers' collections.
    ids=["one-character", "four-characters", "40-characters", "django-insecure-prefix"],
)
def test_production_refuses_a_secret_key_djangos_deploy_check_calls_weak(secret_key):
    result = run_manage_check(**{**PRODUCTION, "SECRET_KEY": secret_key}, **USER_SERVICE)
    assert (result.returncode, result.stderr, result.stdout) == (1, WEAK_KEY + "\n", "")


def test_production_refuses_to_start_without_naming_its_user_service():
    result = run_manage_check(**PRODUCTION, DATABASE_URL="sqlite:///:memory:")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "configuration error: JWT_JWKS_URL (or JWT_AUTHORITY) is required when ENVIRONMENT=production: "
        "the User Service's JWKS URL (or its base URL)\n"
    )


@pytest.mark.parametrize(
    "variable, value, takes",
    [
        ("GUNICORN_TIMEOUT", "5s", "a whole number of seconds, at least 0"),
        ("GUNICORN_GRACEFUL_TIMEOUT", "soon", "a whole number of seconds, at least 0"),
        ("GUNICORN_KEEPALIVE", "-1", "a whole number of seconds, at least 0"),
        ("GUNICORN_THREADS", "0", "a whole number, at least 1"),
        ("WEB_CONCURRENCY", "0", "a whole number, at least 1"),  # gunicorn would start with no worker at all
        ("PORT", "http", "a whole number from 1 to 65535"),
        ("PORT", "65536", "a whole number from 1 to 65535"),
    ],
)
def test_a_gunicorn_variable_that_cannot_be_read_stops_it_with_one_line_naming_it(variable, value, takes):
    environment = {
        "PATH": "/usr/bin:/bin",
        "HOME": "/tmp",
        **PRODUCTION,
        **USER_SERVICE,
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
        variable: value,
    }
    gunicorn = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "orderservice.wsgi:application"]
    result = subprocess.run(gunicorn, cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"configuration error: {variable} must be {takes}, not {value!r}\n"
