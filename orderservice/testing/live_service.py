"""The real service in its own processes, for tests that must cross process boundaries: gunicorn workers
sharing one SQLite file, or several gunicorn instances sharing one PostgreSQL database."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import psycopg
from prometheus_client.multiprocess import MultiProcessCollector

from orderservice.testing import tiers
from orderservice.testing.jwks import AUDIENCE, ISSUER

PROJECT_ROOT = Path(__file__).resolve().parents[2]
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def service_environment(database_url: str, jwks_url: str, **extra) -> dict:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DATABASE_URL": database_url,
        "JWT_JWKS_URL": jwks_url,
        "JWT_AUDIENCE": AUDIENCE,
        "JWT_ISSUER": ISSUER,
        "ENVIRONMENT": "development",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def manage(environment: dict, *arguments: str) -> str:
    """Run a management command against the service's database; its output (a non-zero exit raises, with what
    the command wrote to stderr)."""
    result = subprocess.run(
        [sys.executable, "manage.py", *arguments], cwd=PROJECT_ROOT, env=environment, capture_output=True, timeout=120
    )
    if result.returncode:
        raise RuntimeError(
            f"manage.py {' '.join(arguments)} exited with {result.returncode}:\n{result.stderr.decode()[-3000:]}"
        )
    return result.stdout.decode()


@contextmanager
def sqlite_database(directory: Path, template: Path | None = None):
    """A SQLite file in `directory` for the test's service processes: empty, or a copy of `template`."""
    path = directory / "service.db"
    if template is not None:
        _copy_sqlite(template, path)
    yield f"sqlite:///{path}"


def _copy_sqlite(source: Path, target: Path) -> None:
    """The database file, and its write-ahead log when the last connection left one (it is in WAL mode)."""
    shutil.copyfile(source, target)
    if (log := source.with_name(f"{source.name}-wal")).exists():
        shutil.copyfile(log, target.with_name(f"{target.name}-wal"))


@contextmanager
def postgres_database(template: str | None = None):
    """A PostgreSQL database for the test's service processes, dropped afterwards: empty, or a copy of the
    database `template`."""
    name = f"orderservice_live_{uuid.uuid4().hex[:10]}"
    _create_postgres_database(name, template)
    try:
        yield _postgres_url(name)
    finally:
        _drop_postgres_database(name)


def migrated_database(kind: str, directory: Path | None = None, *, seeded: bool = False) -> AbstractContextManager[str]:
    """A database of `kind` ("sqlite", a file in `directory`, or "postgresql") as `manage.py migrate` leaves it
    (and `loaddata seed` after it, when `seeded`), for the test's service processes alone.

    It is a copy of a template made once per test session: a `migrate` in a subprocess costs seconds, a copy
    milliseconds. Tests of those commands themselves run them on an empty database instead."""
    if kind == "sqlite":
        assert directory is not None, "a SQLite database is a file in the test's directory"
        return sqlite_database(directory, _TEMPLATES.sqlite(seeded))
    return postgres_database(_TEMPLATES.postgres(seeded))


class _Templates:
    """This session's template databases, each made on first use: a migrated one and a seeded copy of it, per
    database kind. The PostgreSQL ones carry the pid in their name, as the test databases do."""

    def __init__(self) -> None:
        self.files: dict[bool, Path] = {}  # seeded or not -> the SQLite file
        self.databases: dict[bool, str] = {}  # seeded or not -> the PostgreSQL database's name
        self.directory = Path(tempfile.gettempdir()) / f"orderservice-templates-{os.getpid()}"

    def sqlite(self, seeded: bool) -> Path:
        if seeded not in self.files:
            path = self.directory / ("seeded.db" if seeded else "migrated.db")
            path.parent.mkdir(exist_ok=True)
            path.unlink(missing_ok=True)  # left by an earlier run whose process had this pid
            if seeded:
                _copy_sqlite(self.sqlite(False), path)
            self._fill(f"sqlite:///{path}", seeded)
            self.files[seeded] = path
        return self.files[seeded]

    def postgres(self, seeded: bool) -> str:
        if seeded not in self.databases:
            name = f"orderservice_template_{os.getpid()}_{'seeded' if seeded else 'migrated'}"
            _drop_postgres_database(name)  # left by an earlier run whose process had this pid
            _create_postgres_database(name, self.postgres(False) if seeded else None)
            self._fill(_postgres_url(name), seeded)
            self.databases[seeded] = name
        return self.databases[seeded]

    @staticmethod
    def _fill(database_url: str, seeded: bool) -> None:
        environment = service_environment(database_url, "http://127.0.0.1:9/jwks.json")  # verifies no token
        if seeded:
            manage(environment, "loaddata", "seed")
        else:
            manage(environment, "migrate", "--noinput")

    def drop(self) -> None:
        for name in self.databases.values():
            _drop_postgres_database(name)
        shutil.rmtree(self.directory, ignore_errors=True)
        self.files.clear()
        self.databases.clear()


_TEMPLATES = _Templates()
drop_template_databases = _TEMPLATES.drop  # at the end of the test session (conftest.py)


def _postgres_url(name: str) -> str:
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _create_postgres_database(name: str, template: str | None = None) -> None:
    statement = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
    deadline = time.monotonic() + 10
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        while True:
            try:
                admin.execute(statement)
                return
            except psycopg.errors.ObjectInUse:
                # A template may have no session: the one of the command that just filled it ends a moment
                # after the command's process.
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


def _drop_postgres_database(name: str) -> None:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Gunicorn:
    """One gunicorn instance serving the project on a loopback port, started with the production command
    (`gunicorn -c gunicorn.conf.py orderservice.wsgi:application`, bound through HOST and PORT, WEB_CONCURRENCY
    workers). Its output is kept in `log_path`; its workers write their metrics to `metrics_dir`."""

    def __init__(self, environment: dict, workers: int = 3):
        tiers.require("live", "starts gunicorn")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.directory = Path(tempfile.mkdtemp(prefix="orderservice-gunicorn-"))
        self.log_path = self.directory / "gunicorn.log"
        self.metrics_dir = self.directory / "metrics"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "orderservice.wsgi:application"],
                cwd=PROJECT_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={
                    **environment,
                    "HOST": "127.0.0.1",
                    "PORT": str(self.port),
                    "WEB_CONCURRENCY": str(workers),
                    "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir),
                },
            )
        try:
            self._wait_until_healthy()
            self._wait_until_every_worker_serves(workers)
        except BaseException:
            self.stop()  # the caller never gets an instance to stop
            raise

    def logs(self) -> str:
        return self.log_path.read_text()

    def requests_per_worker(self, view: str) -> list[int]:
        """How many requests for `view` each worker has answered, read from that worker's own metrics file."""
        counts = []
        for path in sorted(self.metrics_dir.glob("histogram_*.db")):
            samples = [sample for metric in MultiProcessCollector.merge([str(path)]) for sample in metric.samples]
            counts.append(
                int(
                    sum(
                        sample.value
                        for sample in samples
                        if sample.name.endswith("_count") and sample.labels["view"] == view
                    )
                )
            )
        return counts

    def _wait_until_every_worker_serves(self, workers: int, seconds: float = 30) -> None:
        """A worker still loading Django would miss what a test sends: wait until each has answered /health
        (each writes its own metrics file with its first answer)."""
        deadline = time.monotonic() + seconds
        with ThreadPoolExecutor(4) as pool:
            while len(list(self.metrics_dir.glob("histogram_*.db"))) < workers:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"not all {workers} gunicorn workers answered in time")
                list(pool.map(lambda _: get(self.url, "/health"), range(8)))

    def _wait_until_healthy(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.logs()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.05)  # refused: not listening yet (gunicorn starts in about a second)
        raise RuntimeError("gunicorn did not answer /health in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def call(
    base_url: str, method: str, path: str, token: str, body: dict | None = None, headers: dict | None = None
) -> tuple[int, object]:
    """One HTTP request; returns (status, parsed JSON body or None). Never raises for an HTTP status."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{base_url}{path}",
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, payload = error.code, error.read()
    return status, json.loads(payload) if payload else None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer to look at, not to follow


def get(base_url: str, path: str, headers: dict | None = None) -> tuple[int, dict, str]:
    """A GET with only the given headers; returns (status, headers, body text), redirects unfollowed.
    Never raises for an HTTP status."""
    request = urllib.request.Request(f"{base_url}{path}", headers=headers or {})
    try:
        with urllib.request.build_opener(_NoRedirects).open(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def on_sqlite() -> bool:
    """Whether this test run's database (and so each live service's) is SQLite, else PostgreSQL."""
    from django.conf import settings

    return settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")


def live_database(directory: Path, *, seeded: bool = False) -> AbstractContextManager[str]:
    """A migrated (and, when `seeded`, seeded) database of this run's kind for the test's service processes: a
    SQLite file in `directory`, or a PostgreSQL database dropped afterwards (see `migrated_database`)."""
    return migrated_database("sqlite" if on_sqlite() else "postgresql", directory, seeded=seeded)
