#!/usr/bin/env bash
# Run the whole test suite: on SQLite, then on the PostgreSQL at TEST_POSTGRES_URL (default: this machine's
# 127.0.0.1:5432). Without PostgreSQL the second run is skipped with a message, except under CI=true,
# where an unreachable PostgreSQL fails the run. The event tests need the RabbitMQ at 127.0.0.1:5672 (under CI it is
# started when down, and a broker that does not come up fails the run). Arguments go to pytest (e.g. -k orders, -x;
# -m "not (browser or broker or live or fuzz)" for the fast tier). TEST_WORKERS=0 runs in one process (for --pdb).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh requirements-dev.txt
postgres_url="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"

# The browser tests drive Debian's chromium (headless); install it when it is missing and we may.
if ! command -v chromium >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        echo "== installing Debian's chromium for the browser tests"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    elif sudo -n true 2>/dev/null; then
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "warning: chromium is missing and cannot be installed here; the browser tests will fail" >&2
    fi
fi

postgres_up() {
    python - "$postgres_url" <<'PY'
import sys, dj_database_url, psycopg
db = dj_database_url.parse(sys.argv[1])
try:
    psycopg.connect(dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], host=db["HOST"],
                    port=db["PORT"] or 5432, connect_timeout=3).close()
except psycopg.Error:
    sys.exit(1)
PY
}

# The throttling and readiness tests use the Redis at 127.0.0.1:6379; under CI, start it when it is down.
if [ "${CI:-}" = "true" ] && command -v redis-server >/dev/null && ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
    echo "== Redis is down; starting it"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
fi

# The event tests publish to and consume from the RabbitMQ at 127.0.0.1:5672 (TEST_BROKER_URL); under CI, start it
# when it is down, and wait until it accepts connections.
broker_up() {
    python - <<'PY'
import os, sys, pika
try:
    pika.BlockingConnection(pika.URLParameters(
        os.environ.get("TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/"))).close()
except Exception:
    sys.exit(1)
PY
}
if [ "${CI:-}" = "true" ] && command -v rabbitmq-server >/dev/null && ! broker_up; then
    echo "== RabbitMQ is down; starting it"
    rabbitmq-server -detached || true
    for _ in $(seq 60); do broker_up && break; sleep 2; done
fi
if [ "${CI:-}" = "true" ] && ! broker_up; then
    echo "error: RabbitMQ at ${TEST_BROKER_URL:-amqp://guest:guest@127.0.0.1:5672/} is unreachable; under CI=true that is a failure" >&2
    exit 1
fi

# Two pytest-xdist workers (TEST_WORKERS; 0 runs in one process): a 2-core machine runs the suite in about half
# the time, as many tests mostly wait (on gunicorn, the broker, a cooldown). Each file's tests stay in one worker.
workers="${TEST_WORKERS:-2}"

echo "== tests on SQLite"
DATABASE_URL="sqlite:///order_service_test.db" python -m pytest -n "$workers" "$@"

if ! postgres_up && [ "${CI:-}" = "true" ] && command -v pg_ctlcluster >/dev/null; then
    echo "== PostgreSQL is down; starting it"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    sleep 2
fi
if postgres_up; then
    echo "== tests on PostgreSQL ($postgres_url)"
    DATABASE_URL="$postgres_url" python -m pytest -n "$workers" "$@"
elif [ "${CI:-}" = "true" ]; then
    echo "error: PostgreSQL at $postgres_url is unreachable; under CI=true that is a failure" >&2
    exit 1
else
    echo "== PostgreSQL at $postgres_url is unreachable: the PostgreSQL run was skipped (CI=true makes this an error)"
fi
