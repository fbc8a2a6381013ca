"""Reading configuration from the environment, with one clear line (never a traceback) when it is wrong."""

import ipaddress
import os
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

import dj_database_url
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)


class ConfigError(ValueError):
    """A configuration value that cannot be used; its message names the variable."""


def fail_start(message: str) -> NoReturn:
    """Stop start-up with one line on stderr naming what is wrong."""
    sys.exit(f"configuration error: {message}")


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    if value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if value.strip().lower() in ("0", "false", "no", "off"):
        return False
    fail_start(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None, unit: str = "") -> int:
    """A whole number (of `unit`), within `minimum`..`maximum` when given."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        takes = f"a whole number of {unit}" if unit else "a whole number"
        if minimum is not None and maximum is not None:
            takes += f" from {minimum} to {maximum}"
        elif minimum is not None:
            takes += f", at least {minimum}"
        fail_start(f"{name} must be {takes}, not {value!r}")
    return number


def env_decimal(name: str, default: str) -> Decimal:
    value = os.environ.get(name, "").strip() or default
    try:
        return Decimal(value)
    except InvalidOperation:
        fail_start(f"{name} must be a decimal number, not {value!r}")


_SECONDS_PER_PERIOD = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def env_rate(name: str) -> tuple[int, int] | None:
    """A rate in DRF's notation, "600/min" (the period by its first letter: s, m, h, d), as (600, 60); None if unset."""
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    count, _, period = value.partition("/")
    if not count.isdigit() or int(count) < 1 or period[:1] not in _SECONDS_PER_PERIOD:
        fail_start(f"{name} must be a number of requests per s, min, hour or day, like 600/min, not {value!r}")
    return int(count), _SECONDS_PER_PERIOD[period[0]]


def check_secret_key(value: str) -> str:
    """SECRET_KEY as production needs it: none that Django's deploy check calls weak (security.W009)."""
    if (
        len(value) < SECRET_KEY_MIN_LENGTH
        or len(set(value)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
        or value.startswith(SECRET_KEY_INSECURE_PREFIX)
    ):
        raise ConfigError(
            f"SECRET_KEY is too weak for ENVIRONMENT=production: it needs at least {SECRET_KEY_MIN_LENGTH} "
            f"characters, {SECRET_KEY_MIN_UNIQUE_CHARACTERS} of them different, and not the "
            f"'{SECRET_KEY_INSECURE_PREFIX}' prefix (python -c 'import secrets; print(secrets.token_urlsafe(50))')"
        )
    return value


def env_list(name: str) -> list[str]:
    """A comma-separated list; empty items are dropped."""
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


# The old FastAPI service took SQLAlchemy URLs; the driver part after "+" means nothing to Django.
_SCHEME_ALIASES = {"postgresql": "postgres", "postgres": "postgres", "mysql": "mysql", "sqlite": "sqlite"}


def parse_database_url(url: str) -> dj_database_url.DBConfig:
    """Django's DATABASES entry for a database URL, SQLAlchemy forms (`sqlite+aiosqlite:///x.db`) included."""
    scheme, separator, rest = url.strip().partition("://")
    base_scheme = scheme.split("+", 1)[0].lower()
    if not separator or base_scheme not in _SCHEME_ALIASES:
        raise ConfigError(
            f"DATABASE_URL {url!r} is not a database URL this service understands "
            "(use sqlite:///file.db, postgres://user:password@host:5432/name or mysql://…)"
        )
    try:
        database = dj_database_url.parse(
            f"{_SCHEME_ALIASES[base_scheme]}://{rest}",
            conn_max_age=env_int("DB_CONN_MAX_AGE", 600),
            conn_health_checks=True,
        )
    except ValueError as error:
        raise ConfigError(f"DATABASE_URL {url!r} cannot be parsed: {error}") from None
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database["OPTIONS"] = {
            # Writers take SQLite's write lock when their transaction begins, so a transaction that reads
            # stock and then writes can never fail half-way with "database is locked": it waits instead.
            "transaction_mode": "IMMEDIATE",
            "timeout": env_int("SQLITE_BUSY_TIMEOUT_SECONDS", 20),
            # WAL lets readers run while one worker writes; NORMAL sync is safe with WAL.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        if database["NAME"] not in ("", ":memory:"):
            # The test database is a file too (Django's default is in memory), so that tests can write to it
            # from several threads and processes at once, as the workers of a real deployment do.
            name = Path(database["NAME"])
            database["TEST"] = {"NAME": str(name.with_name(f"test_{os.getpid()}_{name.name}"))}
    else:
        # One test database per test run, so that two runs at once (two terminals, CI beside a developer)
        # do not drop each other's database.
        database["TEST"] = {"NAME": f"test_{database['NAME']}_{os.getpid()}"}
    if database["ENGINE"] == "django.db.backends.postgresql":
        database["ENGINE"] = "orderservice.database.postgresql"  # Django's, health-checking only idle connections
        # An unreachable server fails a request (and the readiness check) in seconds, not after TCP's minutes.
        options = database.setdefault("OPTIONS", {})
        options.setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT_SECONDS", 5))
        # No JIT compilation: it pays off for long analytical queries, and this service runs short pages. PostgreSQL
        # compiles a query whose *estimated* cost passes jit_above_cost, and a searched page's statement carries the
        # estimate of a part that mostly never runs (every match of a frequent word, a scan of a million orders):
        # ~20 ms of compiling for a page read in 0.6 ms (docs/decisions/0003-searched-page.md). A `jit` the URL sets
        # is kept.
        if "jit" not in options.get("options", ""):
            options["options"] = f"{options.get('options', '')} -c jit=off".strip()
    return database


def check_jwks_url(url: str, *, variable: str, production: bool, allow_http: bool) -> str:
    """The JWKS URL, if the service may trust whoever answers it: http(s) only, and in production https unless
    the host is loopback or plain http is allowed explicitly (an in-cluster URL)."""
    not_a_url = ConfigError(f"{variable} must be an https:// (or http://) URL, not {url!r}")
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port  # a port that is not a number raises ValueError
    except ValueError:
        raise not_a_url from None
    if not host or parts.scheme not in ("http", "https"):
        raise not_a_url
    if parts.scheme == "http" and production and not allow_http and not _is_loopback(host):
        raise ConfigError(
            f"{variable} must be https:// when ENVIRONMENT=production, not {url!r} "
            "(plain http only for a loopback host, or with JWT_JWKS_ALLOW_HTTP=true)"
        )
    return url


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
