"""Idempotency-Key on POST: a retried order is never placed twice."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from orders.models import Order
from orderservice.models import IdempotentRequest
from orderservice.testing.api import assert_problem
from orderservice.testing.bodies import order_request
from orderservice.testing.factories import CustomerFactory, ProductFactory
from orderservice.testing.state import database_state

pytestmark = pytest.mark.django_db


def post(client, body, key, path="/api/orders"):
    return client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def client_for(jwks_server, subject) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {jwks_server.token(subject=subject)}")
    return client


def test_a_retry_with_the_same_key_and_body_replays_the_order_without_placing_another(api_client):
    customer, product = CustomerFactory(), ProductFactory(stock_quantity=10)

    first = post(api_client, order_request(customer, (product, 3)), "retry-1")
    retry = post(api_client, order_request(customer, (product, 3)), "retry-1")

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Location"] == first["Location"]
    assert retry["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    product.refresh_from_db()
    assert product.stock_quantity == 7


def test_a_replay_answers_the_first_responses_bytes_and_its_etag_is_gets_while_nothing_changed(api_client):
    customer, product = CustomerFactory(), ProductFactory(stock_quantity=10)
    first = post(api_client, order_request(customer, (product, 1)), "bytes")
    retry = post(api_client, order_request(customer, (product, 1)), "bytes")
    current = api_client.get(first["Location"])

    assert retry.content == first.content
    assert retry["ETag"] == first["ETag"] == current["ETag"]
    changed = api_client.patch(first["Location"], {"notes": "ring twice"}, format="json", HTTP_IF_MATCH=retry["ETag"])
    assert changed.status_code == 200
    assert changed.json()["notes"] == "ring twice"


def test_a_replayed_customer_has_the_etag_get_shows(api_client):
    body = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0000"}
    first = post(api_client, body, "customer", path="/api/customers")
    retry = post(api_client, body, "customer", path="/api/customers")

    assert (first.status_code, retry.status_code, retry["Idempotent-Replayed"]) == (201, 201, "true")
    assert retry.content == first.content
    assert retry["ETag"] == api_client.get(first["Location"])["ETag"]


@pytest.mark.parametrize("retry_path", ["/api/v1/orders", "/api/orders/", "/api/v1/orders/"])
def test_the_versioned_and_unversioned_paths_are_one_endpoint_for_a_key(api_client, retry_path):
    customer, product = CustomerFactory(), ProductFactory(stock_quantity=10)
    first = post(api_client, order_request(customer, (product, 1)), "either-path")
    retry = post(api_client, order_request(customer, (product, 1)), "either-path", path=retry_path)

    assert (retry.status_code, retry["Idempotent-Replayed"]) == (201, "true")
    assert retry.content == first.content
    assert Order.objects.count() == 1


def test_the_same_key_on_another_endpoint_is_a_422(api_client):
    customer, product = CustomerFactory(), ProductFactory()
    post(api_client, order_request(customer, (product, 1)), "one-endpoint")

    response = post(api_client, {"name": "Lamp", "price": "10.00"}, "one-endpoint", path="/api/v1/products")

    assert_problem(response, 422, "This Idempotency-Key was already used with a different request")


def test_the_same_body_with_other_whitespace_and_key_order_is_the_same_request(api_client):
    customer, product = CustomerFactory(), ProductFactory()
    body = order_request(customer, (product, 1))
    first = api_client.post(
        "/api/orders", json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY='"spaced"'
    )  # the draft's structured-field form
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=4)
    retry = api_client.post("/api/orders", reordered, content_type="application/json", HTTP_IDEMPOTENCY_KEY="spaced")

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json()["id"] == first.json()["id"]
    assert Order.objects.count() == 1


def test_the_same_key_with_another_body_is_a_422_and_changes_nothing(api_client):
    customer, product = CustomerFactory(), ProductFactory()
    post(api_client, order_request(customer, (product, 1)), "reused")
    before = database_state()

    response = post(api_client, order_request(customer, (product, 2)), "reused")

    assert_problem(response, 422, "This Idempotency-Key was already used with a different request")
    assert database_state() == before


def test_keys_belong_to_the_caller(jwks_server):
    customer, product = CustomerFactory(), ProductFactory(stock_quantity=10)
    alice, bob = client_for(jwks_server, "alice"), client_for(jwks_server, "bob")

    mine = post(alice, order_request(customer, (product, 1)), "shared-key")
    theirs = post(bob, order_request(customer, (product, 1)), "shared-key")

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert Order.objects.count() == 2


def test_a_key_older_than_its_lifetime_starts_afresh(api_client, settings):
    customer, product = CustomerFactory(), ProductFactory(stock_quantity=10)
    first = post(api_client, order_request(customer, (product, 1)), "old-key")
    IdempotentRequest.objects.update(
        created_at=timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS, minutes=1)
    )

    again = post(api_client, order_request(customer, (product, 1)), "old-key")

    assert again.status_code == 201
    assert again.json()["id"] != first.json()["id"]
    assert IdempotentRequest.objects.count() == 1


def test_a_key_is_kept_for_24_hours(api_client):
    customer, product = CustomerFactory(), ProductFactory(stock_quantity=10)
    first = post(api_client, order_request(customer, (product, 1)), "day-old")
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=23, minutes=59))

    assert post(api_client, order_request(customer, (product, 1)), "day-old").json()["id"] == first.json()["id"]


def test_the_purge_command_deletes_expired_keys_only(api_client):
    customer, product = CustomerFactory(), ProductFactory(stock_quantity=10)
    post(api_client, order_request(customer, (product, 1)), "expired")
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(days=2))
    post(api_client, order_request(customer, (product, 1)), "fresh")

    call_command("purge_idempotency_keys", verbosity=0)

    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["fresh"]


def test_a_refused_request_is_not_remembered_so_its_retry_runs_again(api_client):
    customer, product = CustomerFactory(), ProductFactory(stock_quantity=0)
    refused = post(api_client, order_request(customer, (product, 1)), "after-restock")
    assert refused.status_code == 400
    assert not IdempotentRequest.objects.exists()
    product.stock_quantity = 5
    product.save()

    retried = post(api_client, order_request(customer, (product, 1)), "after-restock")

    assert retried.status_code == 201


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\tinside"])
def test_an_unusable_key_is_a_400_and_changes_nothing(api_client, key):
    customer, product = CustomerFactory(), ProductFactory()
    before = database_state()

    response = post(api_client, order_request(customer, (product, 1)), key)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["Idempotency-Key"]
    assert database_state() == before


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_place_one_order_and_all_get_its_response(jwks_server):
    customer, product = CustomerFactory(), ProductFactory(stock_quantity=100)
    body, token = order_request(customer, (product, 2)), jwks_server.token(subject="retrying-client")
    start = threading.Barrier(8)

    def send(_):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        start.wait()
        try:
            response = post(client, body, "burst")
            return response.status_code, response.json()["id"]
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(8)))

    assert {status for status, _ in answers} == {201}
    assert len({order_id for _, order_id in answers}) == 1
    assert Order.objects.count() == 1
    product.refresh_from_db()
    assert product.stock_quantity == 98


def test_expired_keys_of_every_caller_disappear_with_the_next_keyed_post_without_the_command(jwks_server, api_client):
    customer, product = CustomerFactory(), ProductFactory(stock_quantity=10)
    for subject in ("alice", "bob", "carol"):
        post(client_for(jwks_server, subject), order_request(customer, (product, 1)), f"{subject}-old")
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=24, minutes=1))
    live = post(api_client, order_request(customer, (product, 1)), "live")

    post(client_for(jwks_server, "dave"), order_request(customer, (product, 1)), "dave-new")

    assert sorted(IdempotentRequest.objects.values_list("key", flat=True)) == ["dave-new", "live"]
    replay = post(api_client, order_request(customer, (product, 1)), "live")
    assert (replay.status_code, replay["Idempotent-Replayed"], replay.json()["id"]) == (201, "true", live.json()["id"])


def test_each_keyed_post_purges_a_bounded_batch_oldest_first(api_client, monkeypatch):
    from orderservice.api import idempotency

    monkeypatch.setattr(idempotency, "PURGE_BATCH", 2)
    long_ago = timezone.now() - timedelta(days=3)
    IdempotentRequest.objects.bulk_create(
        IdempotentRequest(
            owner="someone",
            key=f"old-{hours}",
            method="POST",
            path="/api/orders",
            fingerprint="-",
            status_code=201,
            response_body="{}",
        )
        for hours in range(5)
    )
    for hours in range(5):
        IdempotentRequest.objects.filter(key=f"old-{hours}").update(created_at=long_ago - timedelta(hours=hours))
    customer, product = CustomerFactory(), ProductFactory(stock_quantity=10)

    post(api_client, order_request(customer, (product, 1)), "new")

    assert sorted(IdempotentRequest.objects.values_list("key", flat=True)) == ["new", "old-0", "old-1", "old-2"]
