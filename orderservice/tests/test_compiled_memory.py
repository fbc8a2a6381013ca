"""A gunicorn worker's memory stays bounded however many page sizes its clients ask for: every `?limit=` from 1 to
1000 is a shape of its own (an order page's items are read by as many ids as the page holds), and each thread keeps at
most orderservice.database.compiled.MAX_SHAPES of them.

Between two requests a worker's resident size swings by up to ~10 MB as pages of 1000 orders are freed and the cyclic
collector catches up, so a walk is measured by the most it was resident at any point, stable to ~1 MB from one walk
to the next; a worker that kept something of every request would raise it walk after walk."""

from pathlib import Path

import pytest

from orderservice.testing.live_service import (
    Gunicorn,
    call,
    get,
    live_database,
    manage,
    on_sqlite,
    service_environment,
)

ORDERS = 1000  # as many as the largest page: each page size reads its own number of orders' items
MB = 1024 * 1024


def resident_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for process {pid}")


def the_worker(master_pid: int) -> int:
    [worker] = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return int(worker)


@pytest.mark.live
# The cache is the same code whatever the database; the walk costs ~150 s, so it runs once, on the PostgreSQL production
# runs on (the figures on SQLite are in docs/decisions/0001-compiled-sql.md).
@pytest.mark.skipif(on_sqlite(), reason="run on PostgreSQL only: the same cache, a 150 s walk")
def test_a_worker_asked_for_every_page_size_twice_grows_by_less_than_10_mb_the_second_time(jwks_server, tmp_path):
    with live_database(tmp_path) as database_url:
        environment = service_environment(database_url, jwks_server.url)
        manage(environment, "migrate", "--noinput")
        manage(environment, "loaddata", "seed")
        service = Gunicorn(environment, workers=1)
        try:
            token = jwks_server.token()
            headers = {"Authorization": f"Bearer {token}"}
            products = [product["id"] for product in call(service.url, "GET", "/api/products", token)[1]]
            for product_id in products:
                status, _ = call(service.url, "PATCH", f"/api/products/{product_id}", token, {"stock_quantity": 10**6})
                assert status == 200
            for n in range(ORDERS):
                lines = [{"product_id": products[n % len(products)], "quantity": 1}]
                status, _ = call(
                    service.url, "POST", "/api/orders", token, {"customer_id": 1 + n % 2, "order_items": lines}
                )
                assert status == 201

            worker = the_worker(service.process.pid)

            def walk(limits) -> tuple[int, int]:
                """The most the worker was resident during the walk, and at its end."""
                most = 0
                for limit in limits:
                    for path in (f"/api/products?limit={limit}", f"/api/orders?limit={limit}"):
                        status, _, body = get(service.url, path, headers)
                        assert status == 200, body[:300]
                    most = max(most, resident_bytes(worker))
                return most, resident_bytes(worker)

            _, warm = walk(range(1, 11))
            first_most, after_first = walk(range(1, 1001))
            second_most, after_second = walk(range(1, 1001))
            assert the_worker(service.process.pid) == worker  # the same worker throughout, never replaced
        finally:
            service.stop()

    print(
        f"\nworker RSS: {warm / MB:.1f} MB warmed up; after the first walk of ?limit=1..1000 {after_first / MB:.1f} MB "
        f"(at most {first_most / MB:.1f}), after the second {after_second / MB:.1f} MB (at most {second_most / MB:.1f})"
    )
    assert second_most - first_most < 10 * MB
