"""Business events: an outbox row per committed change, in the change's own transaction (none for a refused or
rolled-back request), holding who, which request and what; relayed to the real RabbitMQ as CloudEvents, once,
in order; trimmed after their retention; shown to staff on the admin's read-only Events page."""

import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pika.exceptions
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from orderservice.events.catalogue import CATALOGUE, catalogue_markdown
from orderservice.events.relay import PublishFailed, Relay, publishable, trim_outbox
from orderservice.models import OutboxEvent
from orderservice.testing.broker import BROKER_URL, EventConsumer, new_exchange_name
from orderservice.testing.factories import CustomerFactory, ProductFactory, place_order
from orderservice.testing.state import database_state, stock_of

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def events() -> list[OutboxEvent]:
    return list(OutboxEvent.objects.order_by("position"))


@pytest.fixture
def consumer(settings):
    """A consumer of every event on an exchange of this test's own, which the service publishes to."""
    settings.EVENTS_EXCHANGE = new_exchange_name()
    settings.EVENTS_BROKER_URL = BROKER_URL
    consumer = EventConsumer(settings.EVENTS_EXCHANGE)
    yield consumer
    consumer.close()


def relay_once(settings, **options) -> int:
    return Relay(broker_url=settings.EVENTS_BROKER_URL, exchange=settings.EVENTS_EXCHANGE, **options).run(once=True)


# --- Written with the change ------------------------------------------------------------------------------------


def test_an_order_writes_its_events_naming_who_and_which_request(api_client):
    customer = CustomerFactory()
    desk, lamp = ProductFactory(stock_quantity=10, price="120.00"), ProductFactory(stock_quantity=5, price="15.50")
    OutboxEvent.objects.all().delete()
    response = api_client.post(
        "/api/orders",
        {
            "customer_id": customer.pk,
            "shipping_address": "1 Quay Street",
            "order_items": [{"product_id": desk.pk, "quantity": 2}, {"product_id": lamp.pk, "quantity": 1}],
        },
        format="json",
        HTTP_X_REQUEST_ID="req-order-7",
    )
    assert response.status_code == 201
    order = response.json()
    written = events()
    assert [(event.type, event.subject) for event in written] == [
        ("order.created", f"orders/{order['id']}"),
        ("product.stock_changed", f"products/{desk.pk}"),
        ("product.stock_changed", f"products/{lamp.pk}"),
    ]
    assert {(event.actor, event.request_id, event.published_at) for event in written} == {
        ("token:test-user", "req-order-7", None)
    }
    assert written[0].data == {
        "order_id": order["id"],
        "order_number": order["order_number"],
        "customer_id": customer.pk,
        "status": "Pending",
        "order_date": order["order_date"],
        "sub_total": "255.50",
        "tax_amount": "20.44",
        "shipping_amount": "0.00",
        "total_amount": "275.94",
        "lines": 2,
        "shipping_address": "1 Quay Street",
        "notes": None,
        "order_items": [
            {"product_id": desk.pk, "quantity": 2, "unit_price": "120.00", "total_price": "240.00"},
            {"product_id": lamp.pk, "quantity": 1, "unit_price": "15.50", "total_price": "15.50"},
        ],
    }
    assert written[0].data["total_amount"] == order["total_amount"]
    assert [(event.data["change"], event.data["stock_after"], event.data["order_id"]) for event in written[1:]] == [
        (-2, 8, order["id"]),
        (-1, 4, order["id"]),
    ]


def test_a_refused_order_writes_no_event_even_after_taking_other_stock(api_client):
    customer = CustomerFactory()
    plenty, scarce = ProductFactory(stock_quantity=10), ProductFactory(stock_quantity=1)
    before = database_state()
    response = api_client.post(
        "/api/orders",
        {
            "customer_id": customer.pk,
            "order_items": [{"product_id": plenty.pk, "quantity": 3}, {"product_id": scarce.pk, "quantity": 2}],
        },
        format="json",
    )
    assert response.status_code == 400  # the first line's stock was taken, then the transaction rolled back
    assert database_state() == before and (stock_of(plenty), stock_of(scarce)) == (10, 1)
    assert OutboxEvent.objects.filter(type="order.created").count() == 0


@pytest.mark.parametrize(
    "method, path, body, status",
    [
        ("post", "/api/customers", {"first_name": "Ann", "last_name": "Lee", "email": "not-an-address"}, 400),
        ("patch", "/api/products/{product}", {"price": "-1.00"}, 400),
        ("put", "/api/orders/{order}/status", {"status": "Delivered"}, 400),  # Pending cannot jump to Delivered
        ("delete", "/api/customers/{customer}", None, 400),  # the customer has an order
        ("patch", "/api/products/{product}", {"name": "Stale"}, 412),  # If-Match names an old version
    ],
)
def test_a_refused_change_writes_no_event(api_client, method, path, body, status):
    order = place_order()
    product = order.order_items.get().product
    ids = {"product": product.pk, "order": order.pk, "customer": order.customer_id}
    count = OutboxEvent.objects.count()
    headers = {"HTTP_IF_MATCH": '"stale"'} if status == 412 else {}
    response = getattr(api_client, method)(path.format(**ids), body, format="json", **headers)
    assert response.status_code == status
    assert OutboxEvent.objects.count() == count


def test_changes_made_in_the_admin_name_the_staff_member(admin_client, admin_user):
    product = ProductFactory(name="Desk", is_active=True)
    OutboxEvent.objects.all().delete()
    response = admin_client.post("/admin/products/product/", {"action": "deactivate", "_selected_action": [product.pk]})
    assert response.status_code == 302
    [event] = events()
    assert (event.type, event.subject, event.actor) == (
        "product.updated",
        f"products/{product.pk}",
        f"admin:{admin_user.username}",
    )
    assert event.data == {"product_id": product.pk, "fields": ["is_active"], "changed": {"is_active": False}}


def every_kind_of_change(api_client) -> dict:
    """One request of each kind that changes something, through the API; returns the first customer created."""
    customer = api_client.post(
        "/api/customers", {"first_name": "Ann", "last_name": "Lee", "email": "ann.lee@example.org"}, format="json"
    ).json()
    api_client.patch(f"/api/customers/{customer['id']}", {"phone": "+44 20 7946 0000"}, format="json")
    product = api_client.post(
        "/api/products", {"name": "Desk", "sku": "DSK-1", "price": "99.00", "stock_quantity": 4}, format="json"
    ).json()
    api_client.patch(f"/api/products/{product['id']}", {"price": "89.00"}, format="json")
    api_client.post(f"/api/products/{product['id']}/stock-adjustments", {"change": 6}, format="json")
    first, second = (
        api_client.post(
            "/api/orders",
            {"customer_id": customer["id"], "order_items": [{"product_id": product["id"], "quantity": 1}]},
            format="json",
        ).json()
        for _ in range(2)
    )
    api_client.patch(f"/api/orders/{first['id']}", {"notes": "ring twice"}, format="json")
    api_client.put(f"/api/orders/{first['id']}/status", {"status": "Cancelled"}, format="json")
    api_client.delete(f"/api/orders/{second['id']}")
    api_client.delete(f"/api/orders/{first['id']}")  # refused (Cancelled): writes nothing
    spare = api_client.post("/api/products", {"name": "Spare", "sku": "SPR-1", "price": "1.00"}, format="json")
    api_client.delete(f"/api/products/{spare.json()['id']}")
    loner = api_client.post(
        "/api/customers", {"first_name": "Bo", "last_name": "Ng", "email": "bo@example.org"}, format="json"
    )
    api_client.delete(f"/api/customers/{loner.json()['id']}")
    return customer


def test_every_event_holds_the_data_its_catalogue_entry_lists(api_client):
    OutboxEvent.objects.all().delete()
    customer = every_kind_of_change(api_client)
    written = events()
    assert {event.type for event in written} == set(CATALOGUE)
    for event in written:
        spec = CATALOGUE[event.type]
        assert set(spec.data) - spec.optional <= set(event.data) <= set(spec.data), event.type
        resource = event.type.split(".")[0]
        assert event.subject == f"{resource}s/{event.data[f'{resource}_id']}"
    created = next(event for event in written if event.type == "customer.created")
    assert created.data["customer"] == customer  # as the API answered the POST


def test_a_new_products_created_event_comes_before_its_initial_stock(api_client):
    OutboxEvent.objects.all().delete()
    product = api_client.post(
        "/api/products", {"name": "Desk", "price": "99.00", "stock_quantity": 4}, format="json"
    ).json()
    assert [(event.type, event.subject) for event in events()] == [
        ("product.created", f"products/{product['id']}"),
        ("product.stock_changed", f"products/{product['id']}"),
    ]


def test_the_event_catalogue_in_the_docs_is_the_one_the_code_holds():
    text = DOCS.read_text()
    section = re.search(r"<!-- catalogue:start -->\n(.*)<!-- catalogue:end -->", text, re.DOTALL)
    assert section, "docs/events.md lost its catalogue markers"
    assert section.group(1) == catalogue_markdown(), (
        "docs/events.md is out of date: run `python manage.py event_catalogue --write`"
    )


# --- Relayed to RabbitMQ ----------------------------------------------------------------------------------------


@pytest.mark.broker
def test_the_relay_publishes_each_waiting_event_once_as_a_cloud_event(api_client, consumer, settings):
    OutboxEvent.objects.all().delete()
    every_kind_of_change(api_client)
    written = events()
    assert relay_once(settings, batch_size=7) == len(written)  # several rounds
    messages = consumer.receive(count=len(written))
    assert [message.id for message in messages] == [str(event.event_id) for event in written]
    for message, event in zip(messages, written):
        assert message.event == {
            "specversion": "1.0",
            "id": str(event.event_id),
            "source": "/order-service",
            "type": event.type,
            "subject": event.subject,
            "time": event.occurred_at.isoformat().replace("+00:00", "Z"),
            "datacontenttype": "application/json",
            "requestid": event.request_id,
            "data": event.data,
        }
        assert message.routing_key == event.type
        assert (message.properties.delivery_mode, message.properties.content_type, message.properties.message_id) == (
            2,
            "application/cloudevents+json",
            str(event.event_id),
        )
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()
    assert relay_once(settings) == 0
    assert len(consumer.receive(seconds=1)) == len(written)  # nothing twice


@pytest.mark.broker
def test_messages_the_broker_refuses_are_sent_again_and_those_it_took_are_not(consumer, settings):
    # A queue that takes one message and refuses more (the broker nacks them), beside the consumer's own.
    full = consumer.channel.queue_declare(
        "", exclusive=True, arguments={"x-max-length": 1, "x-overflow": "reject-publish"}
    ).method.queue
    consumer.channel.queue_bind(full, settings.EVENTS_EXCHANGE, routing_key="#")
    OutboxEvent.objects.all().delete()
    rows = [
        OutboxEvent.objects.create(type="order.updated", subject=f"orders/{n}", data={"order_id": n}, actor="t")
        for n in range(3)
    ]
    with pytest.raises(PublishFailed, match="the broker refused 2 message"):
        relay_once(settings)
    assert [event.published_at is not None for event in events()] == [True, False, False]
    consumer.channel.queue_delete(full)
    assert relay_once(settings) == 2
    received = Counter(message.id for message in consumer.receive(count=5))
    assert received == {str(rows[0].event_id): 1, str(rows[1].event_id): 2, str(rows[2].event_id): 2}


@pytest.mark.broker
def test_a_consumer_bound_to_some_types_gets_only_those(api_client, consumer, settings):
    orders_only = EventConsumer(settings.EVENTS_EXCHANGE, routing_keys=("order.*",))
    try:
        OutboxEvent.objects.all().delete()
        place_order()
        relay_once(settings)
        assert {message.routing_key for message in orders_only.receive(seconds=2)} == {"order.created"}
        assert {message.routing_key for message in consumer.receive(seconds=2)} == {
            "order.created",
            "product.created",  # the order's product, made for it
            "product.stock_changed",
        }
    finally:
        orders_only.channel.queue_delete(orders_only.queue)
        orders_only.connection.close()


def test_with_the_broker_unreachable_the_events_wait_and_orders_are_still_taken(api_client, settings):
    settings.EVENTS_BROKER_URL = "amqp://guest:guest@127.0.0.1:9/"  # nothing listens on the discard port
    customer, product = CustomerFactory(), ProductFactory(stock_quantity=5)
    response = api_client.post(
        "/api/orders",
        {"customer_id": customer.pk, "order_items": [{"product_id": product.pk, "quantity": 1}]},
        format="json",
    )
    assert response.status_code == 201
    waiting = OutboxEvent.objects.filter(published_at__isnull=True).count()
    with pytest.raises(pika.exceptions.AMQPConnectionError):
        Relay(broker_url=settings.EVENTS_BROKER_URL, exchange="unused").run(once=True)
    with pytest.raises(CommandError, match="publishing failed: AMQPConnectionError"):
        call_command("publish_events", "--once")
    assert OutboxEvent.objects.filter(published_at__isnull=True).count() == waiting > 0
    assert api_client.get("/health/ready").status_code == 200  # readiness does not depend on the broker


def test_metrics_show_the_backlog_and_its_age(anonymous_client, settings):
    settings.EVENTS_BROKER_URL = "amqp://guest:guest@127.0.0.1:9/"
    OutboxEvent.objects.all().delete()
    place_order()  # its product (created, with its initial stock), the order, the stock it took
    OutboxEvent.objects.update(occurred_at=timezone.now() - timedelta(minutes=5))
    exposition = anonymous_client.get("/metrics").content.decode()
    assert re.search(r"^orderservice_events_waiting 4\.0$", exposition, re.MULTILINE)
    assert (
        300
        <= float(re.search(r"^orderservice_events_oldest_waiting_seconds (\S+)$", exposition, re.MULTILINE).group(1))
        < 400
    )


def test_a_subjects_later_events_wait_while_another_relay_holds_an_earlier_one():
    held = OutboxEvent.objects.create(type="order.updated", subject="orders/1", data={}, actor="t")
    later = OutboxEvent.objects.create(type="order.status_changed", subject="orders/1", data={}, actor="t")
    other = OutboxEvent.objects.create(type="order.created", subject="orders/2", data={}, actor="t")
    assert publishable([later, other]) == [other]  # `held` is not in this batch: another relay has it
    assert publishable([held, later, other]) == [held, later, other]
    held.published_at = timezone.now()
    held.save()
    assert publishable([later, other]) == [later, other]


# --- Kept for their retention -----------------------------------------------------------------------------------


def aged(days: int, published: bool) -> OutboxEvent:
    moment = timezone.now() - timedelta(days=days)
    return OutboxEvent.objects.create(
        type="order.updated",
        subject="orders/1",
        data={},
        actor="t",
        occurred_at=moment,
        published_at=moment if published else None,
    )


def test_published_events_past_their_retention_are_deleted_and_waiting_ones_kept(settings):
    settings.EVENTS_RETENTION_DAYS = 30
    OutboxEvent.objects.all().delete()
    _old_published, old_waiting, recent = aged(31, True), aged(31, False), aged(29, True)
    assert trim_outbox(publishing=True) == 1
    assert set(OutboxEvent.objects.all()) == {old_waiting, recent}


def test_without_a_broker_the_outbox_is_an_audit_trail_trimmed_after_its_retention(settings, capsys):
    settings.EVENTS_BROKER_URL, settings.EVENTS_RETENTION_DAYS = "", 7
    OutboxEvent.objects.all().delete()
    aged(8, False), aged(8, True)
    kept = aged(6, False)
    call_command("publish_events", "--once")
    assert list(OutboxEvent.objects.all()) == [kept]
    assert "nothing is published" in capsys.readouterr().out


# --- The audit trail in the admin -------------------------------------------------------------------------------


def test_staff_read_the_events_and_filter_them_by_type_subject_actor_and_request(admin_client, api_client):
    order = place_order()
    api_client.put(
        f"/api/orders/{order.pk}/status", {"status": "Processing"}, format="json", HTTP_X_REQUEST_ID="req-audit-1"
    )
    listing = admin_client.get("/admin/orderservice/outboxevent/")
    assert listing.status_code == 200 and b"order.status_changed" in listing.content
    for query, expected in [
        ("?type=order.status_changed", {"order.status_changed"}),
        (f"?subject=orders/{order.pk}", {"order.created", "order.status_changed"}),
        ("?actor=token:test-user", {"order.status_changed"}),  # place_order acts as "system"
        ("?q=req-audit-1", {"order.status_changed"}),
    ]:
        page = admin_client.get(f"/admin/orderservice/outboxevent/{query}")
        assert page.status_code == 200
        shown = {event.type for event in page.context["cl"].result_list}
        assert shown == expected, query
    event = OutboxEvent.objects.get(type="order.status_changed")
    detail = admin_client.get(f"/admin/orderservice/outboxevent/{event.pk}/change/")
    assert detail.status_code == 200 and b"&quot;to_status&quot;: &quot;Processing&quot;" in detail.content


def test_nobody_adds_changes_or_deletes_an_event_in_the_admin(admin_client):
    place_order()
    event = OutboxEvent.objects.first()
    assert admin_client.get("/admin/orderservice/outboxevent/add/").status_code == 403
    assert admin_client.post(f"/admin/orderservice/outboxevent/{event.pk}/change/", {"type": "x"}).status_code == 403
    assert admin_client.post(f"/admin/orderservice/outboxevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert OutboxEvent.objects.get(pk=event.pk).type == event.type


def test_metrics_still_answer_when_the_outbox_cannot_be_read(anonymous_client, settings, monkeypatch):
    from django.db import OperationalError

    from orderservice.events import relay

    def unreachable():
        raise OperationalError("connection refused")

    settings.EVENTS_BROKER_URL = "amqp://guest:guest@127.0.0.1:9/"
    monkeypatch.setattr(relay, "waiting_events", unreachable)
    response = anonymous_client.get("/metrics")
    assert response.status_code == 200
    assert "orderservice_http_request_duration_seconds" in response.content.decode()
    assert "orderservice_events_waiting" not in response.content.decode()
