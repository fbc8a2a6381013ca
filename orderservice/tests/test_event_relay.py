"""`manage.py publish_events` as it runs in production, in its own process, against the real RabbitMQ: nothing lost
while the broker is away, nothing lost when the relay is killed mid-batch (duplicates allowed, same id), two relays
on PostgreSQL publishing each row once and each subject in order, and a clean stop on SIGTERM."""

import json
import re
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict

import pytest

from orderservice.testing.broker import BROKER_URL, EventConsumer, new_exchange_name
from orderservice.testing.live_service import (
    PROJECT_ROOT,
    Gunicorn,
    call,
    free_port,
    get,
    live_database,
    manage,
    on_sqlite,
    service_environment,
)
from orderservice.testing.tcp_proxy import TcpProxy
from orderservice.tests.test_database_outage import through
from orderservice.tests.test_metrics import sample

pytestmark = pytest.mark.broker
BROKER_PORT = int(re.search(r":(\d+)/", BROKER_URL).group(1))


@pytest.fixture
def live(tmp_path, jwks_server):
    """A migrated, seeded database of this run's kind, the environment that serves it and publishes its events to
    an exchange of the test's own, and a consumer of every event on that exchange."""
    with live_database(tmp_path) as database_url:
        exchange = new_exchange_name()
        environment = service_environment(
            database_url, jwks_server.url, EVENTS_BROKER_URL=BROKER_URL, EVENTS_EXCHANGE=exchange, LOG_LEVEL="INFO"
        )
        consumer = EventConsumer(exchange)
        try:
            yield environment, consumer
        finally:
            consumer.close()


class RelayProcess:
    """`python manage.py publish_events` in its own process; its output in `log`."""

    def __init__(self, environment: dict, tmp_path, *arguments: str):
        self.log_path = tmp_path / f"relay-{time.monotonic_ns()}.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "publish_events", *arguments],
                cwd=PROJECT_ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def log(self) -> str:
        return self.log_path.read_text()

    def published(self) -> int:
        return int(re.search(r"Published (\d+) event", self.log()).group(1))

    def wait(self) -> int:
        return self.process.wait(timeout=120)

    def stop(self, signal_number=signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal_number)
        return self.process.wait(timeout=30)


def outbox(environment: dict) -> list[dict]:
    """Every outbox row of the live database, in position order: id, subject, published or not."""
    return json.loads(
        manage(
            {**environment, "LOG_LEVEL": "WARNING"},
            "shell",
            "--no-imports",
            "-c",
            (
                "import json; from orderservice.models import OutboxEvent; "
                "print(json.dumps([{'id': str(e), 'subject': s, "
                "'published': p is not None} for e, s, p in OutboxEvent.objects.order_by('position')"
                ".values_list('event_id', 'subject', 'published_at')]))"
            ),
        )
    )


def fill_backlog(environment: dict, count: int, subjects: int) -> None:
    """`count` waiting events over `subjects` orders, each order's carrying its sequence number in `data.seq`."""
    manage(
        environment,
        "shell",
        "--no-imports",
        "-c",
        (
            "from orderservice.models import OutboxEvent as E; "
            f"E.objects.bulk_create([E(type='order.updated', subject=f'orders/{{n % {subjects}}}', "
            f"data={{'order_id': n % {subjects}, 'seq': n}}, actor='system') for n in range({count})], batch_size=1000)"
        ),
    )


def wait_for(consumer: EventConsumer, count: int, seconds: float = 90) -> list:
    """The messages received, once `count` distinct events have arrived (or the time is up)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        messages = consumer.receive(seconds=1, quiet=0.3)
        if len({message.id for message in messages}) >= count:
            return consumer.receive(seconds=1, quiet=0.5)  # and any duplicate right behind them
    return consumer.messages


def assert_each_subject_in_order(messages, order_of: dict[str, int]) -> None:
    """Each subject's events, as a consumer that drops an id it has seen gets them, in commit order. (A batch sent
    again after a failure repeats events already received: at least once, and dropped by their id.)"""
    last_seen: dict[str, int] = {}
    seen: set[str] = set()
    for message in messages:
        if message.id in seen:
            continue
        seen.add(message.id)
        position = order_of[message.id]
        assert position >= last_seen.get(message.event["subject"], -1), f"{message.event['subject']} out of order"
        last_seen[message.event["subject"]] = position


@pytest.mark.live
def test_orders_placed_while_the_broker_is_away_have_every_event_delivered_once_it_is_back(live, tmp_path, jwks_server):
    environment, consumer = live
    manage(environment, "loaddata", "seed")
    proxy = TcpProxy(("127.0.0.1", BROKER_PORT))
    relay = RelayProcess({**environment, "EVENTS_BROKER_URL": f"amqp://guest:guest@127.0.0.1:{proxy.port}/"}, tmp_path)
    service = Gunicorn(environment, workers=2)
    token = jwks_server.token()
    statuses = Counter()

    def place_orders(count: int) -> None:
        for n in range(count):
            status, order = call(
                service.url,
                "POST",
                "/api/orders",
                token,
                {"customer_id": 1 + n % 2, "order_items": [{"product_id": 2, "quantity": 1}]},
            )
            statuses[status] += 1
            if n % 4 == 0 and status == 201:  # some orders change later, on the same subject
                statuses[
                    call(service.url, "PUT", f"/api/orders/{order['id']}/status", token, {"status": "Processing"})[0]
                ] += 1

    try:
        place_orders(8)
        proxy.cut()
        place_orders(16)  # the broker is unreachable: the orders are taken, their events wait
        waiting = sum(not row["published"] for row in outbox(environment))
        proxy.restore()
        place_orders(8)
        rows = outbox(environment)
        messages = wait_for(consumer, len(rows))
        relay_output = relay.log()
    finally:
        relay.stop()
        service.stop()
        proxy.cut()

    received = Counter(message.id for message in messages)
    print(
        f"\n[{'sqlite' if on_sqlite() else 'postgresql'}] broker away: requests={dict(statuses)} "
        f"events created={len(rows)} waiting while away={waiting} received={len(received)} "
        f"duplicates={sum(received.values()) - len(received)}"
    )
    assert set(statuses) == {200, 201}
    assert waiting >= 16  # at least an order.created per order placed while away
    assert set(received) == {row["id"] for row in rows}  # every event, none invented
    assert all(row["published"] for row in outbox(environment))
    assert_each_subject_in_order(messages, {row["id"]: n for n, row in enumerate(rows)})
    assert "events.relay_failed" in relay_output and "Traceback" not in relay_output


def test_a_relay_killed_mid_batch_loses_nothing_when_it_starts_again(live, tmp_path):
    environment, consumer = live
    fill_backlog(environment, 3000, subjects=300)
    relay = RelayProcess(environment, tmp_path, "--batch-size", "200")
    deadline = time.monotonic() + 60
    while len(consumer.receive(seconds=0.2, quiet=0.05)) < 500 and time.monotonic() < deadline:
        pass
    relay.stop(signal.SIGKILL)  # somewhere inside a batch: published, not yet marked
    before_restart = len(consumer.messages)
    unmarked = sum(not row["published"] for row in outbox(environment))
    assert RelayProcess(environment, tmp_path, "--once").wait() == 0  # until the outbox is empty
    rows = outbox(environment)
    messages = wait_for(consumer, len(rows))

    received = Counter(message.id for message in messages)
    duplicates = sum(received.values()) - len(received)
    print(
        f"\n[{'sqlite' if on_sqlite() else 'postgresql'}] relay killed: events created=3000 "
        f"received before the kill={before_restart} unmarked at the kill={unmarked} received={len(received)} "
        f"duplicates={duplicates}"
    )
    assert set(received) == {row["id"] for row in rows} and len(rows) == 3000
    assert all(row["published"] for row in rows)
    assert duplicates <= 200  # at most the batch in flight, each sent again with its id
    assert max(received.values()) <= 2


@pytest.mark.skipif(
    on_sqlite(),
    reason="several relays share the work through PostgreSQL's FOR UPDATE SKIP LOCKED; on SQLite one relay runs",
)
def test_two_relays_on_postgres_publish_each_event_once_and_each_subject_in_order(live, tmp_path):
    environment, consumer = live
    fill_backlog(environment, 6000, subjects=1500)
    relays = [RelayProcess(environment, tmp_path, "--batch-size", "100") for _ in range(2)]
    messages = wait_for(consumer, 6000)
    for relay in relays:
        assert relay.stop() == 0
    rows = outbox(environment)

    received = Counter(message.id for message in messages)
    shares = [relay.published() for relay in relays]
    print(
        f"\n[postgresql] two relays: events=6000 received={len(received)} "
        f"duplicates={sum(received.values()) - len(received)} published by each={shares}"
    )
    assert set(received) == {row["id"] for row in rows} and len(received) == 6000
    assert max(received.values()) == 1  # no event published by both
    assert sum(shares) == 6000 and min(shares) > 0  # both worked, side by side
    sequences = defaultdict(list)
    for message in messages:
        sequences[message.event["subject"]].append(message.event["data"]["seq"])
    assert all(seqs == sorted(seqs) for seqs in sequences.values())


def test_the_relay_reports_its_metrics_and_stops_cleanly_on_sigterm(live, tmp_path):
    environment, consumer = live
    port = free_port()
    relay = RelayProcess(environment, tmp_path, "--metrics-port", str(port))
    fill_backlog(environment, 10, subjects=2)
    wait_for(consumer, 10)
    exposition = get(f"http://127.0.0.1:{port}", "/metrics")[2]
    assert sample(exposition, "orderservice_events_published_total", type="order.updated") == 10
    assert "orderservice_events_waiting 0.0" in exposition
    assert "orderservice_events_publish_failures_total 0.0" in exposition
    began = time.monotonic()
    assert relay.stop(signal.SIGTERM) == 0
    assert time.monotonic() - began < 5
    assert relay.published() == 10 and "Traceback" not in relay.log()


def relay_failures(relay: RelayProcess) -> list[dict]:
    """The relay's `events.relay_failed` lines so far (it logs JSON lines here)."""
    lines = [json.loads(line) for line in relay.log().splitlines() if line.startswith("{")]
    return [line for line in lines if line["event"] == "events.relay_failed"]


@pytest.mark.skipif(on_sqlite(), reason="SQLite has no connection to cut: its database is a file")
def test_the_relay_goes_on_within_seconds_of_the_database_coming_back_and_backs_off_afresh(live, tmp_path):
    environment, consumer = live
    postgres_port = int(re.search(r":(\d+)/", environment["DATABASE_URL"]).group(1))
    proxy = TcpProxy(("127.0.0.1", postgres_port))
    relay = RelayProcess(
        {**environment, "DATABASE_URL": through(proxy, environment["DATABASE_URL"]), "LOG_FORMAT": "json"}, tmp_path
    )
    try:
        fill_backlog(environment, 2, subjects=2)
        assert len(wait_for(consumer, 2)) == 2

        proxy.cut()
        deadline = time.monotonic() + 30
        while [line["retry_in_seconds"] for line in relay_failures(relay)] != [1.0, 2.0, 4.0, 8.0]:
            assert time.monotonic() < deadline, relay.log()
            time.sleep(0.1)
        fill_backlog(environment, 2, subjects=2)  # straight to the database, past the cut
        proxy.restore()
        back = time.monotonic()
        assert len({message.id for message in wait_for(consumer, 4, seconds=30)}) == 4
        caught_up = time.monotonic() - back

        failed_before = len(relay_failures(relay))
        proxy.cut()  # a second outage backs off from 1 s again
        while len(relay_failures(relay)) == failed_before:
            assert time.monotonic() < back + 60, relay.log()
            time.sleep(0.1)
        second_outage = relay_failures(relay)[failed_before]
    finally:
        relay.stop()
        proxy.cut()

    print(f"\n[postgresql] database back after an 8 s pause had begun: events published {caught_up:.1f} s later")
    assert caught_up < 4  # not the rest of the 8 s pause
    assert second_outage["retry_in_seconds"] == 1.0
    assert second_outage["error"].startswith("OperationalError: ") and "\n" not in second_outage["error"]
    assert "Traceback" not in relay.log()
