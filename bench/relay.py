"""How fast `publish_events` empties a backlog: 10,000 waiting outbox rows published to the real RabbitMQ (publisher
confirms, persistent messages, a durable queue bound to the exchange so the broker really stores them), timed from
the first round to the outbox being empty. In-process, so Django's start-up is not counted.

    python bench/relay.py                        # SQLite in a temporary directory
    python bench/relay.py --database postgres    # a throwaway database on 127.0.0.1:5432
    python bench/relay.py --events 10000 --batch-sizes 100,200,1000 --rounds 2

Needs RabbitMQ at BENCH_BROKER_URL (default amqp://guest:guest@127.0.0.1:5672/).
"""

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pika

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]
from run import fresh_database  # noqa: E402  (bench/run.py: a SQLite file, or a PostgreSQL database dropped after)

BROKER_URL = os.environ.get("BENCH_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--batch-sizes", default="200,500,1000")
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args()

    with contextlib.ExitStack() as cleanup:
        workdir = Path(cleanup.enter_context(tempfile.TemporaryDirectory()))
        os.environ["DATABASE_URL"] = fresh_database(options.database, workdir, cleanup)
        os.environ.setdefault("LOG_LEVEL", "WARNING")
        os.environ["DJANGO_SETTINGS_MODULE"] = "orderservice.settings"
        cleanup.callback(close_connections)  # before the database is dropped (the stack unwinds last-in first)
        measure(options)


def close_connections() -> None:
    from django.db import connections

    connections.close_all()


def measure(options) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from orderservice.events.relay import Relay
    from orderservice.models import OutboxEvent

    call_command("migrate", verbosity=0)
    exchange, queue = f"bench-relay-{uuid.uuid4().hex[:8]}", f"bench-relay-{uuid.uuid4().hex[:8]}"
    connection = pika.BlockingConnection(pika.URLParameters(BROKER_URL))
    channel = connection.channel()
    channel.exchange_declare(exchange, exchange_type="topic", durable=True)
    channel.queue_declare(queue, durable=True)
    channel.queue_bind(queue, exchange, routing_key="#")
    print("| database | batch size | events | seconds | events/s |\n|---|--:|--:|--:|--:|")
    try:
        for batch_size in [int(size) for size in options.batch_sizes.split(",")]:
            rates = []
            for _ in range(options.rounds):
                OutboxEvent.objects.all().delete()
                channel.queue_purge(queue)
                OutboxEvent.objects.bulk_create(
                    [
                        OutboxEvent(
                            type="order.status_changed",
                            subject=f"orders/{n % 1000}",
                            actor="bench",
                            data={"order_id": n % 1000, "from_status": "Pending", "to_status": "Processing"},
                        )
                        for n in range(options.events)
                    ],
                    batch_size=2000,
                )
                began = time.perf_counter()
                published = Relay(broker_url=BROKER_URL, exchange=exchange, batch_size=batch_size).run(once=True)
                seconds = time.perf_counter() - began
                assert published == options.events, published
                rates.append(published / seconds)
                print(
                    f"| {options.database} | {batch_size} | {published} | {seconds:.2f} | {published / seconds:,.0f} |"
                )
            print(f"| {options.database} | {batch_size} | median | | {statistics.median(rates):,.0f} |")
        depth = channel.queue_declare(queue, durable=True, passive=True).method.message_count
        print(f"\nmessages in the bound queue after the last round: {depth}")
    finally:
        channel.queue_delete(queue)
        channel.exchange_delete(exchange)
        connection.close()


if __name__ == "__main__":
    main()
