"""THROTTLE_RATE limits each caller over the sum of all workers, counted in the shared cache: the database cache
(this run's database) or Redis."""

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from orderservice.testing.live_service import Gunicorn, call, get, live_database, service_environment

pytestmark = pytest.mark.live
LIMIT = 10
RATE = f"{LIMIT}/day"  # a window that a test run all but never straddles
PERSON = {"first_name": "Pat", "last_name": "Probe"}


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


def test_probing_which_email_addresses_are_taken_is_limited_by_the_callers_rate(throttled_service, jwks_server):
    """The answer to a duplicate email says the address is taken (docs/authorization.md): a token with
    customers:write, or a customer creating itself, may ask it, LIMIT times per window like any other request."""
    run = uuid.uuid4().hex[:8]
    taken = f"taken-{run}@example.com"
    staff = jwks_server.token(subject=f"staff-{run}")
    assert call(throttled_service.url, "POST", "/api/customers", staff, {**PERSON, "email": taken})[0] == 201
    clerk = jwks_server.token(subject=f"clerk-{run}", roles=None, scope="customers:write")
    shopper = jwks_server.token(subject=f"shopper-{run}", roles=None)  # a customer, creating itself

    for prober in (clerk, shopper):
        answers = [
            call(throttled_service.url, "POST", "/api/customers", prober, {**PERSON, "email": taken.upper()})
            for _ in range(LIMIT + 2)
        ]
        assert [status for status, _ in answers] == [400] * LIMIT + [429] * 2
        assert answers[0][1]["detail"] == "Customer with this email already exists"
        assert answers[-1][1]["detail"].startswith("Request was throttled")  # says nothing about the address
