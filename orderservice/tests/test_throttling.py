"""THROTTLE_RATE limits each caller over the sum of all workers, counted in the shared cache: the database cache
(this run's database) or Redis."""

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from orderservice.testing.live_service import Gunicorn, get, live_database, service_environment

pytestmark = pytest.mark.live
LIMIT = 10
RATE = f"{LIMIT}/day"  # a window that a test run all but never straddles


@pytest.fixture(params=["database", "redis"])
def throttled_service(request, jwks_server, tmp_path):
    """Two workers with THROTTLE_RATE, counting in the database cache or in Redis."""
    extra = {"THROTTLE_RATE": RATE, **({"REDIS_URL": "redis://127.0.0.1:6379/0"} if request.param == "redis" else {})}
    with live_database(tmp_path) as database_url:
        environment = service_environment(database_url, jwks_server.url, **extra)
        service = Gunicorn(environment, workers=2)
        try:
            yield service
        finally:
            service.stop()


def test_the_rate_holds_for_the_sum_of_two_workers(throttled_service, jwks_server):
    caller = f"busy-{uuid.uuid4().hex[:8]}"  # a fresh counter, also in a Redis that earlier runs used
    headers = {"Authorization": f"Bearer {jwks_server.token(subject=caller)}"}
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: get(throttled_service.url, "/api/products", headers), range(3 * LIMIT)))

    per_worker = throttled_service.requests_per_worker("product-list")
    assert len(per_worker) == 2 and all(per_worker)  # both workers answered some
    statuses = [status for status, _, _ in answers]
    assert statuses.count(200) == LIMIT and statuses.count(429) == 2 * LIMIT
    _, refusal_headers, body = next(answer for answer in answers if answer[0] == 429)
    assert refusal_headers["Content-Type"] == "application/problem+json"
    assert 0 < int(refusal_headers["Retry-After"]) <= 86400
    problem = json.loads(body)
    assert (problem["status"], problem["title"], problem["instance"]) == (429, "Too Many Requests", "/api/products")
    assert problem["detail"].startswith("Request was throttled")

    other = {"Authorization": f"Bearer {jwks_server.token(subject=f'calm-{uuid.uuid4().hex[:8]}')}"}
    assert get(throttled_service.url, "/api/products", other)[0] == 200  # the limit is per caller
