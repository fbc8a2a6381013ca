"""The service's own benchmark: `bash bench/run.sh [--database sqlite|postgres] [--duration 10] [--conns 16]`.

What it measures: requests/s, p50/p99 latency and error counts of five endpoints (a product, the product
list, an order, the list of 50 nested orders, placing an order), served by gunicorn with the production
configuration (`gunicorn.conf.py`, ENVIRONMENT=production) on a fresh database, every request carrying a real
RS256 token that the service verifies against a JWKS endpoint, as it does in production.

Why wrk: a C load generator (Debian's package) that keeps its connections busy without becoming the
bottleneck, reports latency percentiles from every request, and counts every response status through a
small Lua hook, so the figures are the server's, not a Python client's. Everything is on loopback, every
run is bounded (5 x --duration plus start-up), and everything started is stopped, also on failure or Ctrl-C.
"""

import argparse
import contextlib
import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ROOT = Path(__file__).resolve().parent.parent
AUDIENCE = ISSUER = "shala"
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
ORDERS = 50
ORDER_BODY = {"customer_id": 1, "order_items": [{"product_id": 2, "quantity": 1}]}
ENDPOINTS = {  # name: (method, path); {order} is the first order placed while preparing
    # Not by default: liveness, which crosses gunicorn, Django and the middleware but no view of DRF's, no token
    # and no database; what any endpoint costs at least (docs/performance.md, "Where the time goes now").
    "floor": ("GET", "/health"),
    "p1": ("GET", "/api/products/1"),
    "plist": ("GET", "/api/products"),
    "o1": ("GET", "/api/orders/{order}"),
    "olist": ("GET", "/api/orders"),
    "post": ("POST", "/api/orders"),  # last, so that the reads see exactly 50 orders
}

DEFAULT_ENDPOINTS = [name for name in ENDPOINTS if name != "floor"]


class Failure(Exception):
    """The benchmark cannot go on; the message says why."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_jwks(private_key) -> ThreadingHTTPServer:
    """The User Service's part: publish the public key (kid `bench`) at /.well-known/jwks.json on loopback."""
    jwk = {**json.loads(RSAAlgorithm.to_jwk(private_key.public_key())), "kid": "bench", "use": "sig", "alg": "RS256"}
    body = json.dumps({"keys": [jwk]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            found = self.path == "/.well-known/jwks.json"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) if found else 0))
            self.end_headers()
            self.wfile.write(body if found else b"")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def mint_token(private_key, lifetime: int) -> str:
    now = int(time.time())
    claims = {
        "sub": "bench",
        "aud": AUDIENCE,
        "iss": ISSUER,
        "iat": now,
        "exp": now + lifetime,
        "roles": ["Admin"],
    }  # staff: every permission (docs/authorization.md)
    return jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": "bench"})


def postgres(statement: str) -> None:
    import psycopg  # only needed with --database postgres

    try:
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True, connect_timeout=5) as connection:
            connection.execute(statement)
    except psycopg.Error as error:
        raise Failure(f"PostgreSQL at {POSTGRES}: {statement}: {error}") from None


def service_env(database_url: str, jwks_url: str, port: int, workdir: Path) -> dict:
    """The caller's environment (WEB_CONCURRENCY, GUNICORN_THREADS, LOG_LEVEL … pass through) with what
    makes this run production-like, self-contained and on loopback."""
    (workdir / "static").mkdir(exist_ok=True)  # no `collectstatic` (nothing measured is static): no warning
    return {
        "STATIC_ROOT": str(workdir / "static"),
        **os.environ,
        "ENVIRONMENT": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",  # no TLS proxy in front
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DATABASE_URL": database_url,
        "JWT_AUTHORITY": jwks_url.rsplit("/.well-known/", 1)[0],
        "JWT_JWKS_URL": jwks_url,
        "JWT_AUDIENCE": AUDIENCE,
        "JWT_ISSUER": ISSUER,
        "JWT_ALGORITHMS": "RS256",
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"),
    }  # removed with workdir, even after SIGKILL


def manage(env: dict, *args: str) -> None:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode:
        raise Failure(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def start_gunicorn(env: dict, log: Path) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with log.open("wb") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [str(gunicorn), "-c", "gunicorn.conf.py", "orderservice.wsgi:application"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_gunicorn(process: subprocess.Popen) -> None:
    """SIGTERM to the whole group (master and workers), SIGKILL if it is still there after 10 s."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=wait)
            return
        except (ProcessLookupError, subprocess.TimeoutExpired):
            if process.poll() is not None:
                return


def request(base: str, token: str | None, method: str, path: str, body: object = None) -> tuple[int, object]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def wait_healthy(base: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise Failure(f"gunicorn exited with status {process.returncode}")
        try:
            if request(base, None, "GET", "/health")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise Failure(f"GET /health did not answer 200 within {timeout:.0f} s")


def expect(status: int, wanted: int, what: str, body: object) -> None:
    if status != wanted:
        raise Failure(f"{what}: HTTP {status}, expected {wanted}: {str(body)[:500]}")


def prepare(base: str, token: str) -> int:
    """Through the API only: stock enough for any run, then 50 orders of 2 items. Returns the first order's id."""
    for product_id in (1, 2, 3):
        status, product = request(base, token, "GET", f"/api/products/{product_id}")
        expect(status, 200, f"GET /api/products/{product_id}", product)
        status, body = request(
            base, token, "PUT", f"/api/products/{product_id}", {**product, "stock_quantity": 1_000_000_000}
        )
        expect(status, 200, f"PUT /api/products/{product_id}", body)
    order_ids = []
    for n in range(ORDERS):
        order = {
            "customer_id": 1 + n % 2,
            "order_items": [{"product_id": 2, "quantity": 1}, {"product_id": 3, "quantity": 1}],
        }
        status, body = request(base, token, "POST", "/api/orders", order)
        expect(status, 201, "POST /api/orders", body)
        order_ids.append(body["id"])
    status, orders = request(base, token, "GET", "/api/orders?limit=1000")
    expect(status, 200, "GET /api/orders?limit=1000", orders)
    if len(orders) != ORDERS:
        raise Failure(f"GET /api/orders lists {len(orders)} orders, expected {ORDERS}")
    status, first = request(base, token, "GET", f"/api/orders/{order_ids[0]}")
    expect(status, 200, f"GET /api/orders/{order_ids[0]}", first)
    if len(first["order_items"]) != 2:
        raise Failure(f"order {order_ids[0]} has {len(first['order_items'])} items, expected 2")
    return order_ids[0]


def run_wrk(url: str, method: str, token: str, args) -> dict:
    """One wrk run; bench/wrk.lua counts the statuses and prints the figures as a `BENCH {json}` line."""
    command = [
        "wrk",
        "-t1",
        f"-c{args.conns}",
        f"-d{args.duration}s",
        "--timeout",
        "5s",
        "--latency",
        "-H",
        f"Authorization: Bearer {token}",
        "-s",
        str(ROOT / "bench" / "wrk.lua"),
        url,
    ]
    if method == "POST":
        command += ["--", "POST", json.dumps(ORDER_BODY)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=args.duration + 60)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise Failure(f"wrk: {error}") from None
    line = next((line for line in result.stdout.splitlines() if line.startswith("BENCH ")), None)
    if result.returncode or line is None:
        raise Failure(f"wrk failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    figures = json.loads(line.removeprefix("BENCH "))
    non_2xx = sum(n for status, n in figures["statuses"].items() if not 200 <= int(status) < 300)
    return {
        "requests": figures["requests"],
        "rps": figures["requests"] / (figures["duration_us"] / 1e6),
        "p50_ms": figures["p50_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000,
        "non_2xx": non_2xx,
        "socket_errors": sum(figures["socket_errors"].values()),
        "statuses": figures["statuses"],
    }


def git_commit() -> str:
    """HEAD's commit, read from .git (a branch's file or packed-refs) rather than by running git."""
    try:
        head = (ROOT / ".git" / "HEAD").read_text().strip()
        ref = head.removeprefix("ref: ")
        if ref == head:  # detached
            return head[:7]
        if (ROOT / ".git" / ref).exists():
            return (ROOT / ".git" / ref).read_text()[:7]
        return next(
            line[:7] for line in (ROOT / ".git" / "packed-refs").read_text().splitlines() if line.endswith(" " + ref)
        )
    except (OSError, StopIteration):  # no .git here (an export), or a worktree
        return "unknown"


def settings_line(args) -> str:
    # As gunicorn.conf.py decides it: WEB_CONCURRENCY, else one worker per core.
    workers = os.environ.get("WEB_CONCURRENCY") or f"{os.cpu_count()}"
    return (
        f"database {args.database}, gunicorn {workers} workers x {os.environ.get('GUNICORN_THREADS', '1')} "
        f"threads, LOG_LEVEL {os.environ.get('LOG_LEVEL', 'info')}, wrk -t1 -c{args.conns} -d{args.duration}s, "
        f"commit {git_commit()}, Python {platform.python_version()}, nproc {os.cpu_count()}"
    )


def report(results: dict, paths: dict, args) -> None:
    print("\n| endpoint | path | req/s | p50 ms | p99 ms | non-2xx | socket errors |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        print(
            f"| {name} | {paths[name]} | {r['rps']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} "
            f"| {r['non_2xx']} | {r['socket_errors']} |"
        )
    print(f"\n{settings_line(args)}")
    if args.out:
        with open(args.out, "a") as out:
            for name, r in results.items():
                out.write(
                    json.dumps(
                        {
                            "endpoint": name,
                            "path": paths[name],
                            **r,
                            "settings": settings_line(args),
                            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                        }
                    )
                    + "\n"
                )


def bounded(low: int, high: int):
    def parse(text: str) -> int:
        if not text.isdigit() or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"a whole number from {low} to {high}, not {text!r}")
        return int(text)

    return parse


def parse_args():
    parser = argparse.ArgumentParser(description="Benchmark the service under gunicorn with wrk (bench/README.md).")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--duration", type=bounded(1, 60), default=10, metavar="SECONDS", help="per endpoint, 1-60")
    parser.add_argument("--conns", type=bounded(1, 256), default=16, metavar="N", help="wrk connections, 1-256")
    parser.add_argument(
        "--endpoints",
        default=",".join(DEFAULT_ENDPOINTS),
        help=f"comma-separated subset of {','.join(ENDPOINTS)} (default %(default)s)",
    )
    parser.add_argument("--out", metavar="FILE", help="append one JSON line per endpoint to FILE")
    args = parser.parse_args()
    chosen = set(args.endpoints.split(","))
    if not chosen or chosen - set(ENDPOINTS):
        parser.error(f"--endpoints: choose from {','.join(ENDPOINTS)}, not {','.join(sorted(chosen - set(ENDPOINTS)))}")
    args.endpoints = [name for name in ENDPOINTS if name in chosen]  # in ENDPOINTS' order: POST stays last
    return args


def fresh_database(kind: str, workdir: Path, cleanup: contextlib.ExitStack) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}"
    name = f"bench_{os.getpid()}"
    postgres(f"CREATE DATABASE {name}")
    cleanup.callback(postgres, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    return f"{POSTGRES}/{name}"


def print_tail(log: Path) -> None:
    lines = log.read_text(errors="replace").splitlines()[-30:]
    print("--- last 30 lines of the gunicorn log ---", *lines, sep="\n", file=sys.stderr)


def benchmark(args, cleanup: contextlib.ExitStack) -> tuple[dict, dict]:
    """Everything started here is stopped by `cleanup` (in reverse order), whatever happens."""
    workdir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="orderservice-bench-")))
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks = start_jwks(private_key)
    cleanup.callback(jwks.server_close)
    cleanup.callback(jwks.shutdown)
    token = mint_token(private_key, lifetime=2 * 3600 + 5 * args.duration)
    port = free_port()
    env = service_env(
        fresh_database(args.database, workdir, cleanup),
        f"http://127.0.0.1:{jwks.server_port}/.well-known/jwks.json",
        port,
        workdir,
    )
    manage(env, "migrate", "--noinput")
    manage(env, "loaddata", "seed")
    log = workdir / "gunicorn.log"
    gunicorn = start_gunicorn(env, log)
    cleanup.callback(stop_gunicorn, gunicorn)
    base, results = f"http://127.0.0.1:{port}", {}
    try:
        wait_healthy(base, gunicorn)
        first_order = prepare(base, token)
        paths = {name: path.format(order=first_order) for name, (_, path) in ENDPOINTS.items()}
        for name in args.endpoints:
            print(f"{name}: {ENDPOINTS[name][0]} {paths[name]} for {args.duration} s …", flush=True)
            results[name] = run_wrk(base + paths[name], ENDPOINTS[name][0], token, args)
    except Failure:
        print_tail(log)
        raise
    if any(result["non_2xx"] for result in results.values()):
        print_tail(log)
    return results, paths


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # raises, so the cleanup runs
    try:
        with contextlib.ExitStack() as cleanup:
            results, paths = benchmark(args, cleanup)
    except Failure as failure:
        print(f"bench: {failure}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bench: interrupted; everything it started is stopped", file=sys.stderr)
        return 130
    report(results, paths, args)
    return 1 if any(result["non_2xx"] for result in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
