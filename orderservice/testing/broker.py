"""The real RabbitMQ on this machine (TEST_BROKER_URL, default amqp://guest:guest@127.0.0.1:5672/), seen as a
consumer of the service's events sees it."""

import json
import os
import time
import uuid
from dataclasses import dataclass

import pika

from orderservice.testing import tiers

BROKER_URL = os.environ.get("TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")


def new_exchange_name() -> str:
    """An exchange of the test's own, so that runs and tests never see each other's events."""
    return f"orderservice-test-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class Message:
    routing_key: str
    properties: pika.BasicProperties
    event: dict  # the CloudEvent

    @property
    def id(self) -> str:
        return self.event["id"]


class EventConsumer:
    """A queue of its own bound to `exchange` (a topic exchange, declared as the relay declares it) for
    `routing_keys`; `receive` collects what arrives. `close` deletes the queue and the exchange."""

    def __init__(self, exchange: str, routing_keys: tuple[str, ...] = ("#",), broker_url: str = BROKER_URL):
        tiers.require("broker", "consumes from RabbitMQ")
        self.exchange = exchange
        self.connection = pika.BlockingConnection(pika.URLParameters(broker_url))
        self.channel = self.connection.channel()
        self.channel.exchange_declare(exchange, exchange_type="topic", durable=True)
        self.queue = self.channel.queue_declare("", exclusive=True).method.queue
        for routing_key in routing_keys:
            self.channel.queue_bind(self.queue, exchange, routing_key=routing_key)
        self.messages: list[Message] = []

    def receive(self, count: int | None = None, seconds: float = 10, quiet: float = 0.5) -> list[Message]:
        """Everything received so far: waits until `count` messages in all have arrived (or `seconds` passed), or
        without a count until nothing has arrived for `quiet` seconds."""
        deadline = time.monotonic() + seconds
        # Acknowledged one by one: those delivered but not yet handed out when `cancel` ends the loop go back to
        # the queue (with auto_ack they would be dropped).
        for method, properties, body in self.channel.consume(self.queue, inactivity_timeout=quiet):
            if method is not None:
                self.messages.append(Message(method.routing_key, properties, json.loads(body)))
                self.channel.basic_ack(method.delivery_tag)
            if count is not None and len(self.messages) >= count:
                break
            if time.monotonic() > deadline or (method is None and count is None):
                break
        self.channel.cancel()
        return list(self.messages)

    def close(self) -> None:
        if self.connection.is_open:
            self.channel.exchange_delete(self.exchange)
            self.connection.close()
