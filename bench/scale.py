"""The data-scale benchmark: `bash bench/scale.sh [--reuse] [--keep] [--repeat 15]` (bench/README.md).

What it measures: whether the lists stay as fast at a million orders as at a few thousand. It fills two
PostgreSQL databases with the same shape of data, a small one (5,000 orders) and a large one (1,000,000 orders
of 2 lines, 100,000 customers, 100,000 products), serves each with gunicorn under the production settings
(bench/run.py's way: a loopback JWKS server and a real RS256 token), and times every list, filter, search and
ordering the API offers (docs/api.md), its first page and a page deep (the `next` link followed 3 times), as the
median of sequential requests from one client. It prints a markdown table: request | small ms | large ms | growth.

Why SQL rather than the API: placing a million orders through POST would take hours; set-based
INSERT … SELECT over generate_series fills the large database in a minute or two. The rows are what the
service would have written (unique order numbers and emails, totals computed from the lines as the service
computes them, one `initial` stock movement per product so that each product's ledger adds up to its stock).
"""

import argparse
import contextlib
import http.client
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]
from run import (  # noqa: E402 (bench/ is not a package: run.py is found through sys.path)
    POSTGRES,
    ROOT,
    Failure,
    free_port,
    git_commit,
    manage,
    mint_token,
    print_tail,  # noqa: E402
    service_env,
    start_gunicorn,
    start_jwks,
    stop_gunicorn,
    wait_healthy,
)

from orderservice.testing.bulk import STATUSES, fill_statements  # noqa: E402

DEEP = 3  # "a page deep": the page reached by following `next` this many times (rows 301-400)


def connect(name: str, **kwargs):
    import psycopg

    try:
        return psycopg.connect(f"{POSTGRES}/{name}", connect_timeout=5, **kwargs)
    except psycopg.Error as error:
        raise Failure(f"PostgreSQL at {POSTGRES}/{name}: {error}") from None


def filled_orders(name: str) -> int | None:
    """How many orders database `name` holds, or None when it does not exist or is not migrated."""
    with connect("postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return None
    with connect(name, autocommit=True) as connection:
        if not connection.execute("SELECT to_regclass('orders_order')").fetchone()[0]:
            return None
        return connection.execute("SELECT count(*) FROM orders_order").fetchone()[0]


def prepare_database(orders: int, reuse: bool, env: dict) -> str:
    """`scale_<orders>`, migrated and filled; reused as it is with `reuse` when it holds that many orders."""
    name = f"scale_{orders}"
    url = f"{POSTGRES}/{name}"
    if reuse and filled_orders(name) == orders:
        print(f"{name}: reusing its {orders:,} orders; migrating", flush=True)
        manage({**env, "DATABASE_URL": url}, "migrate", "--noinput")
    else:
        with connect("postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {name}")
        manage({**env, "DATABASE_URL": url}, "migrate", "--noinput")
        started = time.monotonic()
        print(f"{name}: filling with {orders:,} orders …", flush=True)
        with connect(name) as connection:
            connection.execute("SET synchronous_commit = off")
            connection.execute("SET maintenance_work_mem = '256MB'")
            for statement in fill_statements(orders):
                connection.execute(statement)
            connection.commit()
        print(f"{name}: filled in {time.monotonic() - started:.0f} s; VACUUM ANALYZE …", flush=True)
    with connect(name, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")  # statistics for the planner, the visibility map for index-only scans
    return url


def samples(url: str) -> dict:
    """Values to search and filter for, taken from the database so that every request finds something."""
    with connect(url.rsplit("/", 1)[1], autocommit=True) as connection:

        def one(sql):
            return connection.execute(sql).fetchone()[0]

        count = one("SELECT count(*) FROM orders_order")
        return {
            "order_number": one(f"SELECT order_number FROM orders_order WHERE id = {count // 2}"),
            "customer_id": one(f"SELECT customer_id FROM orders_order WHERE id = {count // 2}"),
            "email": one(f"SELECT email FROM customers_customer WHERE id = {max(count // 20, 1)}"),
            "sku": one(f"SELECT sku FROM products_product WHERE id = {max(count // 20, 1)}"),
            "since": one("SELECT to_char(now() - interval '30 days', 'YYYY-MM-DD')"),
            "until": one("SELECT to_char(now() - interval '1000 days', 'YYYY-MM-DD')"),
        }


def requests(s: dict) -> list[str]:
    """Every list with each filter, search and ordering docs/api.md offers (each ordering both ways)."""
    out = ["/api/customers"]
    out += [
        f"/api/customers?ordering={d}{f}"
        for f in ("last_name", "first_name", "email", "created_at", "id")
        for d in ("", "-")
    ]
    out += [
        "/api/customers?search=john",
        f"/api/customers?search={s['email'].split('@')[0]}",
        f"/api/customers?email={urllib.parse.quote(s['email'].upper())}",
        f"/api/customers/{s['customer_id']}/orders",
    ]
    out += ["/api/products"]
    out += [
        f"/api/products?ordering={d}{f}"
        for f in ("name", "price", "stock_quantity", "created_at", "id")
        for d in ("", "-")
    ]
    out += [
        "/api/products?search=wireless",
        "/api/products?search=lamp%20pro",
        f"/api/products?search={s['sku']}",
        "/api/products?category=audio",
        f"/api/products?sku={s['sku'].lower()}",
        "/api/products?is_active=false",
        "/api/products?in_stock=false",
        "/api/products?min_price=500",
        "/api/products?max_price=20",
    ]
    out += ["/api/orders"]
    out += [
        f"/api/orders?ordering={d}{f}" for f in ("order_date", "total_amount", "created_at", "id") for d in ("", "-")
    ]
    out += [f"/api/orders?search={s['order_number']}", f"/api/orders?search={s['order_number'][-8:]}"]
    out += [f"/api/orders?status={status}" for status, _ in STATUSES]
    out += [
        f"/api/orders?customer_id={s['customer_id']}",
        f"/api/orders?order_date_after={s['since']}",
        f"/api/orders?order_date_before={s['until']}",
        "/api/orders?status=Pending&ordering=total_amount",
    ]
    return out


class Client:
    """One client, one request at a time (gunicorn's sync workers close each connection after a response)."""

    def __init__(self, port: int, token: str):
        self.port, self.headers = port, {"Authorization": f"Bearer {token}"}

    def get(self, path: str) -> tuple[float, str | None]:
        """The time in ms from sending the request to the whole body, and the next page's path if any."""
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", path, headers=self.headers)
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise Failure(f"GET {path}: HTTP {response.status}: {body[:300]!r}")
        if body in (b"[]", b""):
            raise Failure(f"GET {path}: an empty list; the benchmark's requests must find something")
        return elapsed, next_link(response.getheader("Link") or "")


def next_link(header: str) -> str | None:
    for part in header.split(","):
        if part.strip().endswith('rel="next"'):
            url = part.strip().split(";")[0].strip("<> ")
            parsed = urllib.parse.urlsplit(url)
            return parsed.path + ("?" + parsed.query if parsed.query else "")
    return None


def serve(url: str, jwks_url: str, workdir: Path, cleanup: contextlib.ExitStack) -> int:
    """gunicorn serving database `url` under the production settings (bench/run.py); returns its port."""
    port = free_port()
    env = service_env(url, jwks_url, port, workdir)
    log = workdir / f"gunicorn-{port}.log"
    gunicorn = start_gunicorn({**env, "LOG_LEVEL": os.environ.get("LOG_LEVEL", "warning")}, log)
    cleanup.callback(stop_gunicorn, gunicorn)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", gunicorn)
    except Failure:
        print_tail(log)
        raise
    return port


def measure(clients: list[Client], paths: list[list[str]], repeat: int) -> list[dict]:
    """For each database's client and its own version of each request: {path: (first page ms, deep page ms or
    None)}. The databases take turns request by request, so that both see the same machine."""
    for client, own in zip(clients, paths):  # warm-up: each worker's compiled queries, PostgreSQL's buffers
        for path in own:
            client.get(path)
    results = [{} for _ in clients]
    for row in zip(*paths):
        pages = []  # per database: [first page, deep page or None]
        for client, path in zip(clients, row):
            deep = path
            for _ in range(DEEP):
                deep = deep and client.get(deep)[1]
            pages.append([path, deep])
        for index in (0, 1):
            times = [[] for _ in clients]
            for _ in range(repeat + 1):  # the first of each is one more warm-up
                for client, own, timed in zip(clients, pages, times):
                    if own[index]:
                        timed.append(client.get(own[index])[0])
            for result, path, timed in zip(results, row, times):
                result.setdefault(path, [None, None])[index] = statistics.median(timed[1:]) if timed else None
        print(
            "  "
            + "  |  ".join(
                f"{path}: " + ", ".join("–" if ms is None else f"{ms:.1f} ms" for ms in result[path])
                for result, path in zip(results, row)
            ),
            flush=True,
        )
    return results


def report(small: dict, large: dict, args, sizes: tuple[int, int]) -> None:
    def cell(ms):
        return "–" if ms is None else f"{ms:.1f}"

    def growth(a, b):
        return "–" if a is None or b is None else f"{b / a:.2f}×"

    print(f"\n| request | page | {sizes[0]:,} orders ms | {sizes[1]:,} orders ms | growth |")
    print("|---|---|---:|---:|---:|")
    worst_growth, worst_ms = 0.0, 0.0
    for path in small:
        for page, index in (("first", 0), (f"{DEEP + 1}th", 1)):
            a, b = small[path][index], large[path][index]
            if a is None and b is None:
                continue
            print(f"| `{path}` | {page} | {cell(a)} | {cell(b)} | {growth(a, b)} |")
            if a is not None and b is not None:
                worst_growth = max(worst_growth, b / a)
            worst_ms = max(worst_ms, b or 0)
    workers = os.environ.get("WEB_CONCURRENCY") or f"{os.cpu_count()}"
    print(
        f"\nlargest growth {worst_growth:.2f}×, slowest median {worst_ms:.1f} ms; median of {args.repeat} "
        f"sequential requests after warm-up, one client, the two databases taking turns, loopback; PostgreSQL, "
        f"gunicorn {workers} workers x {os.environ.get('GUNICORN_THREADS', '1')} threads, commit {commit()}, "
        f"nproc {os.cpu_count()}"
    )


def commit() -> str:
    found = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return found.stdout.strip() or git_commit()


def parse_args():
    parser = argparse.ArgumentParser(description="Time every list at two data sizes (bench/README.md).")
    parser.add_argument("--orders", type=int, default=1_000_000, help="the large database's orders (%(default)s)")
    parser.add_argument("--small-orders", type=int, default=5_000, help="the small database's orders (%(default)s)")
    parser.add_argument("--repeat", type=int, default=15, help="timed requests per row, median taken (%(default)s)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse scale_<orders> databases that already hold that many orders (migrating them)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards (for --reuse)")
    parser.add_argument("--only", metavar="TEXT", help="only the requests whose path contains TEXT")
    parser.add_argument("--fill-only", action="store_true", help="prepare the databases and stop (implies --keep)")
    args = parser.parse_args()
    if not 10 <= args.small_orders <= args.orders or args.repeat < 1:
        parser.error("need 10 <= --small-orders <= --orders and --repeat >= 1")
    args.keep = args.keep or args.fill_only
    return args


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # raises, so the cleanup runs
    sizes = (args.small_orders, args.orders)
    try:
        with contextlib.ExitStack() as cleanup:
            workdir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="orderservice-scale-")))
            private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            jwks = start_jwks(private_key)
            cleanup.callback(jwks.server_close)
            cleanup.callback(jwks.shutdown)
            jwks_url = f"http://127.0.0.1:{jwks.server_port}/.well-known/jwks.json"
            token = mint_token(private_key, lifetime=4 * 3600)
            env = service_env("", jwks_url, 0, workdir)
            urls = []
            for orders in sizes:
                if not args.keep:
                    cleanup.callback(drop, f"scale_{orders}")
                urls.append(prepare_database(orders, args.reuse, env))
            if args.fill_only:
                return 0
            # Each database's own values (an order number, an email …) for its searches and filters.
            paths = [
                [path for path in requests(samples(url)) if args.only is None or args.only in path] for url in urls
            ]
            clients = [Client(serve(url, jwks_url, workdir, cleanup), token) for url in urls]
            results = measure(clients, paths, args.repeat)
            results = [dict(zip(paths[0], result.values())) for result in results]  # the rows named as the small's
    except Failure as failure:
        print(f"scale: {failure}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("scale: interrupted; everything it started is stopped", file=sys.stderr)
        return 130
    report(*results, args, sizes)
    return 0


def drop(name: str) -> None:
    with contextlib.suppress(Failure), connect("postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    sys.exit(main())
