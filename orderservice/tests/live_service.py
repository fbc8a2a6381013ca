"""The real service in its own processes, for tests that must cross process boundaries: gunicorn workers
sharing one SQLite file, or several gunicorn instances sharing one PostgreSQL database."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg

from orderservice.tests.jwks import AUDIENCE, ISSUER

PROJECT_ROOT = Path(__file__).resolve().parents[2]
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def service_environment(database_url: str, jwks_url: str, **extra) -> dict:
    return {
        "PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"),
        "DATABASE_URL": database_url, "JWT_JWKS_URL": jwks_url, "JWT_AUDIENCE": AUDIENCE, "JWT_ISSUER": ISSUER,
        "ENVIRONMENT": "development", "DEBUG": "false", "LOG_LEVEL": "WARNING", **extra,
    }


def manage(environment: dict, *arguments: str) -> None:
    subprocess.run([sys.executable, "manage.py", *arguments], cwd=PROJECT_ROOT, env=environment, check=True,
                   capture_output=True, timeout=120)


@contextmanager
def sqlite_database(directory: Path):
    yield f"sqlite:///{directory / 'service.db'}"


@contextmanager
def postgres_database():
    """A fresh PostgreSQL database for the test's service processes, dropped afterwards."""
    name = f"orderservice_live_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Gunicorn:
    """One gunicorn instance (several sync workers) serving the project on a loopback port."""

    def __init__(self, environment: dict, workers: int = 3):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "orderservice.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(workers), "--no-control-socket", "--timeout", "60"],
            cwd=PROJECT_ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True)
        self._wait_until_healthy()

    def _wait_until_healthy(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.process.stderr.read().decode()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /health in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process.stderr.close()


def call(base_url: str, method: str, path: str, token: str, body: dict | None = None,
         headers: dict | None = None) -> tuple[int, object]:
    """One HTTP request; returns (status, parsed JSON body or None). Never raises for an HTTP status."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base_url}{path}", data=data, method=method, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, payload = error.code, error.read()
    return status, json.loads(payload) if payload else None
