"""Readiness (/health/ready): 200 while the database (and the cache, when one is configured) answers, 503 when
not; liveness (/health) never touches them."""

import json
import logging
import time

import psycopg
import pytest
from django.test import override_settings

from orderservice.testing.live_service import (
    POSTGRES_ADMIN_URL,
    Gunicorn,
    free_port,
    get,
    migrated_database,
    service_environment,
)

REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_cache(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


@pytest.mark.django_db
def test_ready_when_the_database_answers(anonymous_client):
    response = anonymous_client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok"}}


@pytest.mark.django_db
def test_ready_checks_a_configured_redis_cache(anonymous_client):
    with override_settings(CACHE_URL=REDIS_URL, CACHES=redis_cache(REDIS_URL)):
        response = anonymous_client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "cache": "ok"}}


@pytest.mark.django_db
def test_not_ready_while_the_configured_cache_is_unreachable(anonymous_client, caplog):
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    with override_settings(CACHE_URL=nowhere, CACHES=redis_cache(nowhere)), caplog.at_level(logging.INFO):
        response = anonymous_client.get("/health/ready")
        assert anonymous_client.get("/health").status_code == 200  # alive all the same
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "ok", "cache": "unavailable"}}
    [line] = [record for record in caplog.records if record.levelno >= logging.WARNING]  # no ERROR for the 503
    assert (line.name, line.levelname, line.exc_info) == ("orderservice.health", "WARNING", None)
    assert line.getMessage().startswith("readiness: cache unavailable: ConnectionError: ")
    assert "\n" not in line.getMessage()


def set_connections_allowed(database_url: str, allowed: bool) -> None:
    """ALLOW_CONNECTIONS false and the open sessions ended: to the service, the database is unreachable."""
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}')
        if not allowed:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])


def readiness(service: Gunicorn) -> tuple[int, dict]:
    status, _, body = get(service.url, "/health/ready")
    return status, json.loads(body)


@pytest.mark.live
def test_readiness_follows_the_database_going_away_and_coming_back(jwks_server):
    with migrated_database("postgresql") as database_url:
        environment = service_environment(database_url, jwks_server.url)
        service = Gunicorn(environment, workers=2)
        try:
            assert readiness(service) == (200, {"status": "ready", "checks": {"database": "ok"}})

            set_connections_allowed(database_url, False)
            logged_before = len(service.logs().splitlines())
            for _ in range(4):  # whichever worker answers, with or without a connection open before
                assert readiness(service) == (503, {"status": "unavailable", "checks": {"database": "unavailable"}})
            assert get(service.url, "/health")[0] == 200
            time.sleep(0.2)  # a request's lines are written once it is answered
            logged = [json.loads(line) for line in service.logs().splitlines()[logged_before:]]
            # One warning line per failed check, its reason on that line: no traceback, no error line beside it.
            assert [(line["level"], line["logger"]) for line in logged] == [("warning", "orderservice.health")] * 4
            for line in logged:
                assert line["event"].startswith("readiness: database unavailable: OperationalError: ")
                assert "\n" not in line["event"] and "exception" not in line

            set_connections_allowed(database_url, True)
            deadline = time.monotonic() + 10
            while readiness(service)[0] != 200 and time.monotonic() < deadline:
                time.sleep(0.2)
            for _ in range(4):
                assert readiness(service) == (200, {"status": "ready", "checks": {"database": "ok"}})
            assert "readiness: database unavailable" in service.logs()
        finally:
            service.stop()
