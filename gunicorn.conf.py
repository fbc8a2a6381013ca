"""gunicorn for production: `gunicorn -c gunicorn.conf.py orderservice.wsgi:application`.

Every value comes from the environment (docs/production.md); options on the command line win.
"""

import multiprocessing
import os
import shutil
import sys
import tempfile
from pathlib import Path

from dotenv import load_dotenv
from gunicorn.glogging import Logger

from orderservice.observability.logs import log_format, structured_formatter

load_dotenv(Path(__file__).with_name(".env"))  # as settings.py does, before the defaults below look at the environment

# gunicorn is how the service is deployed, so it fails closed: without ENVIRONMENT it runs with production
# settings (and stops at once without SECRET_KEY and ALLOWED_HOSTS) rather than with development trust.
os.environ.setdefault("ENVIRONMENT", "production")

# gunicorn serves, so Django's debug pages (and the SQL it keeps per request in DEBUG) are off unless asked
# for with DEBUG=true, also in development; `runserver` keeps them on.
os.environ.setdefault("DEBUG", "false")
# Logs as JSON lines, for a collector, unless LOG_FORMAT says otherwise: the coloured console renderer costs ~15% of a
# small GET when every request writes a line.
os.environ.setdefault("LOG_FORMAT", "json")

# Bad configuration stops the master here with its one line, before it binds or starts a worker; so does each
# gunicorn variable below that cannot be read.
import orderservice.settings  # noqa: E402,F401
from orderservice.config import env_int  # noqa: E402

bind = f"{os.environ.get('HOST') or '0.0.0.0'}:{env_int('PORT', 5001, minimum=1, maximum=65535)}"

# Sync workers are processes, so Python runs on every core. One per core: the work is CPU-bound (SQLite and a
# local PostgreSQL answer in microseconds), and on a 2-core machine 2 workers served reads ~40% faster than
# gunicorn's usual 2 per core + 1, which only adds switching (docs/decisions/README.md). Raise WEB_CONCURRENCY when the
# database is far away. More than 1 thread switches to the gthread worker.
workers = env_int("WEB_CONCURRENCY", multiprocessing.cpu_count(), minimum=1)
threads = env_int("GUNICORN_THREADS", 1, minimum=1)
# A worker silent this long is killed and replaced (0: never).
timeout = env_int("GUNICORN_TIMEOUT", 30, minimum=0, unit="seconds")
# After SIGTERM, to finish what is in flight.
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30, minimum=0, unit="seconds")
# gthread only; above the load balancer's idle timeout.
keepalive = env_int("GUNICORN_KEEPALIVE", 5, minimum=0, unit="seconds")

# Proxies whose X-Forwarded-Proto/-For gunicorn believes (so that Django sees https behind them).
# (gunicorn reads and checks FORWARDED_ALLOW_IPS itself, and WEB_CONCURRENCY as a number, before this file.)
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# gunicorn 27 otherwise opens a control socket at ~/.gunicorn/gunicorn.ctl, which a second instance would take over.
control_socket_disable = True

# The service logs one structured line per request itself: no access log.
accesslog = None
loglevel = os.environ.get("LOG_LEVEL", "info").lower()


class StructuredLogger(Logger):
    """gunicorn's own lines (start, workers, timeouts) rendered like the service's. Not `logconfig_dict`: that
    would turn gunicorn's access log on, and its cost for every request."""

    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(structured_formatter(json=log_format() == "json"))


logger_class = StructuredLogger

# Metrics: every worker writes its numbers to files in PROMETHEUS_MULTIPROC_DIR and /metrics adds them up. Each
# start gets an empty directory of its own (removed at exit), or empties the one it is given.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="orderservice-metrics-")
    _made_metrics_dir = True
else:
    _made_metrics_dir = False


def on_starting(server):
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):  # numbers of an earlier run would add to this one's
        stale.unlink()


def post_worker_init(worker):
    """Django's system checks (what `manage.py check` runs, orderservice/checks.py among them), in each worker once it
    has loaded the service and before it serves: an untested Django release or a serializer the read path cannot
    write stops the start with one line each, instead of failing requests. In the workers, not the master, which
    loads none of the service's apps or views: a HUP still starts workers on new code."""
    from orderservice.checks import serious_problems

    problems = serious_problems()
    for problem in problems:
        worker.log.error("system check failed: %s", problem)
    if problems:
        sys.exit(3)  # gunicorn's "worker failed to boot": the master stops instead of starting it again and again


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _made_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
