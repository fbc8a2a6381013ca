"""The relay behind `manage.py publish_events`: outbox rows to RabbitMQ, at least once, in commit order per subject.

Each round takes the oldest unpublished rows (on PostgreSQL `FOR UPDATE SKIP LOCKED`, so several relays share the
work without taking the same row), publishes each as a persistent CloudEvents 1.0 message to the topic exchange
(routing key = event type), waits for the broker's confirm, and only then marks the rows published. A relay killed
between the confirm and the mark publishes those rows again when it restarts: consumers drop duplicates by `id`.

While the broker or the database is unreachable it retries with a growing pause (1 s doubling up to 30 s); orders
are taken meanwhile and their events wait in the outbox. During a pause for an unreachable database it tries a
connection each second, and goes on as soon as one is taken, its pause back at 1 s. Rows published longer than
EVENTS_RETENTION_DAYS ago are deleted; without EVENTS_BROKER_URL nothing is published and every row is kept that
long (the audit trail).
"""

import time
from dataclasses import dataclass
from datetime import timedelta

import orjson
import pika
import pika.exceptions
import structlog
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.utils import timezone
from prometheus_client import Counter

from orderservice.api.database_errors import is_database_unavailable, one_line
from orderservice.models import OutboxEvent

logger = structlog.get_logger("orderservice.events.relay")

EVENTS_PUBLISHED = Counter(
    "orderservice_events_published_total", "Outbox events the broker confirmed, by type", ["type"]
)
EVENTS_PUBLISH_FAILURES = Counter(
    "orderservice_events_publish_failures_total",
    "Rounds of the relay that failed (broker or database unreachable, a message refused); each is retried",
)

FIRST_PAUSE, LONGEST_PAUSE = 1.0, 30.0  # seconds between retries while the broker or the database is down
IDLE_PAUSE = 0.5  # seconds between looks at an empty outbox
TRIM_EVERY = 600  # seconds between deletions of rows past their retention
TRIM_BATCH = 5_000  # rows per DELETE, so that trimming never holds a long transaction


def cloud_event(row: OutboxEvent) -> bytes:
    """The row as a CloudEvents 1.0 structured-mode JSON message."""
    return orjson.dumps(
        {
            "specversion": "1.0",
            "id": str(row.event_id),
            "source": settings.EVENTS_SOURCE,
            "type": row.type,
            "subject": row.subject,
            "time": row.occurred_at,
            "datacontenttype": "application/json",
            "requestid": row.request_id or None,  # an extension attribute: the X-Request-ID that caused it
            "data": row.data,
        },
        option=orjson.OPT_UTC_Z,
    )


def waiting_events() -> tuple[int, float]:
    """(rows not yet published, age in seconds of the oldest of them, 0 when none)."""
    waiting = OutboxEvent.objects.filter(published_at__isnull=True)
    oldest = waiting.order_by("position").values_list("occurred_at", flat=True).first()
    return waiting.count(), (timezone.now() - oldest).total_seconds() if oldest else 0.0


def trim_outbox(*, publishing: bool) -> int:
    """Delete rows older than EVENTS_RETENTION_DAYS (only published ones when publishing), a batch at a time."""
    cutoff = timezone.now() - timedelta(days=settings.EVENTS_RETENTION_DAYS)
    expired = OutboxEvent.objects.filter(occurred_at__lt=cutoff)
    if publishing:
        expired = expired.filter(published_at__isnull=False)
    deleted = 0
    while positions := list(expired.order_by("position").values_list("position", flat=True)[:TRIM_BATCH]):
        deleted += OutboxEvent.objects.filter(position__in=positions).delete()[0]
    return deleted


def _count(rows: list[OutboxEvent]) -> None:
    for row in rows:
        EVENTS_PUBLISHED.labels(row.type).inc()


def publishable(rows: list[OutboxEvent]) -> list[OutboxEvent]:
    """The rows of a batch that may go now: a subject with an earlier row still unpublished outside this batch
    (another relay holds it) waits for the next round, so each subject's events keep their order."""
    if not rows:
        return rows
    taken = {row.position for row in rows}
    held = (
        OutboxEvent.objects.filter(
            published_at__isnull=True, subject__in={row.subject for row in rows}, position__lt=max(taken)
        )
        .exclude(position__in=taken)
        .values_list("subject", "position")
    )
    first_held: dict[str, int] = {}
    for subject, position in held:
        first_held[subject] = min(position, first_held.get(subject, position))
    return [row for row in rows if row.position < first_held.get(row.subject, row.position + 1)]


class ConfirmedPublisher:
    """A channel in confirm mode that sends a whole batch, then waits for the broker's confirms of all of it.

    pika's BlockingChannel waits for each message's confirm before sending the next: a broker round trip and a
    disk write per event (about 1,200 a second here). The batch is sent on the channel underneath it instead
    (pika's asynchronous Channel, which BlockingChannel wraps), confirms counted as they come: about 10× that.
    """

    CONFIRM_TIMEOUT = 30.0  # seconds to wait for a batch's confirms before the round counts as failed

    def __init__(self, connection: pika.BlockingConnection, exchange: str):
        self.connection = connection
        self.channel = connection.channel()
        self.channel.exchange_declare(exchange, exchange_type="topic", durable=True)
        self.exchange = exchange
        self._unconfirmed: set[int] = set()
        self._acked: set[int] = set()
        self._last_tag = 0  # the broker numbers a channel's messages 1, 2, 3, … once confirms are on
        # The asynchronous pika Channel the blocking one wraps: a private attribute, which pika's stubs leave out.
        self._async_channel = self.channel._impl  # type: ignore[attr-defined]
        self._async_channel.confirm_delivery(ack_nack_callback=self._on_confirm)
        self.connection.process_data_events(time_limit=0)

    @property
    def is_open(self) -> bool:
        return self.channel.is_open

    def publish(self, messages: list[tuple[str, bytes, pika.BasicProperties]]) -> tuple[list[bool], str | None]:
        """Send every (routing key, body, properties) and wait for the broker's confirms. Returns which messages it
        accepted (acked), and why not all, if not: some refused (nacked), the channel or connection lost, or no
        answer in time. The accepted ones are safe with the broker whatever happened to the others."""
        first = self._last_tag + 1
        for routing_key, body, properties in messages:
            self._async_channel.basic_publish(self.exchange, routing_key, body, properties)
            self._last_tag += 1
            self._unconfirmed.add(self._last_tag)
        tags = range(first, self._last_tag + 1)
        batch = set(tags)
        problem = None
        deadline = time.monotonic() + self.CONFIRM_TIMEOUT
        try:
            while self._unconfirmed & batch:
                if self.channel.is_closed:
                    problem = "the broker closed the channel before confirming"
                    break
                if time.monotonic() > deadline:
                    unconfirmed = len(self._unconfirmed & batch)
                    problem = f"{unconfirmed} messages unconfirmed after {self.CONFIRM_TIMEOUT:.0f} s"
                    break
                self.connection.process_data_events(time_limit=0.05)
        except (pika.exceptions.AMQPError, OSError) as error:
            problem = f"{type(error).__name__}: {error or 'connection lost'}"
        accepted = [tag in self._acked for tag in tags]
        self._acked.difference_update(tags)
        if problem is None and not all(accepted):
            problem = f"the broker refused {accepted.count(False)} message(s)"
        return accepted, problem

    def _on_confirm(self, frame) -> None:
        method = frame.method
        confirmed = (
            {tag for tag in self._unconfirmed if tag <= method.delivery_tag}
            if method.multiple
            else {method.delivery_tag}
        )
        self._unconfirmed -= confirmed
        if isinstance(method, pika.spec.Basic.Ack):
            self._acked |= confirmed


class PublishFailed(pika.exceptions.AMQPError):
    """Some rows of a round were not confirmed by the broker (those that were are marked published)."""

    def __str__(self):
        return self.args[0]


class StopFlag:
    """Set by SIGTERM: a plain attribute and short sleeps, because `threading.Event.set()` in a signal handler can
    deadlock against the `Event.wait()` it interrupts (both take the Event's lock)."""

    def __init__(self):
        self._set = False

    def set(self) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set

    def wait(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while not self._set and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 0.1))
        return self._set


@dataclass
class RelayRound:
    published: int
    waiting: bool  # a full batch was taken: more rows may be waiting


class Relay:
    """Publishes the outbox until `stop` is set (`run`), or until it is empty (`run(once=True)`)."""

    def __init__(self, *, broker_url: str, exchange: str, batch_size: int = 500, stop: StopFlag | None = None):
        self.broker_url, self.exchange, self.batch_size = broker_url, exchange, batch_size
        self.stop = stop or StopFlag()
        self._connection: pika.BlockingConnection | None = None
        self._publisher: ConfirmedPublisher | None = None
        self._next_trim = 0.0

    # --- The loop ---------------------------------------------------------------------------------------------

    def run(self, *, once: bool = False) -> int:
        """Publish until stopped (or, with `once`, until the outbox is empty); returns how many were published.
        With `once`, a failure is raised instead of retried."""
        published, pause = 0, FIRST_PAUSE
        try:
            while not self.stop.is_set():
                try:
                    self._trim_when_due()  # first: old rows go also while the broker is away
                    this_round = self.publish_round()
                    published += this_round.published
                    if not this_round.waiting:
                        if once:
                            break
                        self._idle(IDLE_PAUSE)  # a broker gone meanwhile raises here too
                except (pika.exceptions.AMQPError, OSError, DatabaseError) as error:
                    EVENTS_PUBLISH_FAILURES.inc()
                    self._disconnect()
                    if isinstance(error, DatabaseError):
                        close_old_connections()  # a broken connection is replaced in the next round
                    if once:
                        raise
                    logger.warning(
                        "events.relay_failed",
                        error=f"{type(error).__name__}: {one_line(error) or 'no answer'}",
                        retry_in_seconds=pause,
                    )
                    reconnected = False
                    if is_database_unavailable(error):
                        reconnected = self._wait_for_the_database(pause)
                    else:
                        self.stop.wait(pause)
                    # Reconnected, the next outage backs off from the start again.
                    pause = FIRST_PAUSE if reconnected else min(pause * 2, LONGEST_PAUSE)
                    continue
                pause = FIRST_PAUSE
        finally:
            self._disconnect()
        return published

    def publish_round(self) -> RelayRound:
        """One batch: take, publish with confirms, mark published. On PostgreSQL all in one transaction, whose row
        locks keep other relays off these rows until they are marked; on SQLite (one relay) the rows are read
        outside one, so that the database's single write lock is held only to mark them."""
        publisher = self._open_publisher()
        waiting = OutboxEvent.objects.filter(published_at__isnull=True).order_by("position")
        if connection.features.has_select_for_update_skip_locked:
            with transaction.atomic(durable=True):
                batch = list(waiting.select_for_update(skip_locked=True)[: self.batch_size])
                rows = publishable(batch)
                published, problem = self._publish(publisher, rows)
        else:
            batch = rows = list(waiting[: self.batch_size])
            published, problem = self._publish(publisher, rows)
        _count(published)  # committed
        if problem:  # the round fails after marking what the broker did confirm: the rest is tried again
            raise PublishFailed(problem)
        # A full batch means more may be waiting; one whose rows all wait for another relay's is a pause.
        return RelayRound(len(published), waiting=len(batch) == self.batch_size and bool(rows))

    def _publish(self, publisher: ConfirmedPublisher, rows: list[OutboxEvent]) -> tuple[list[OutboxEvent], str | None]:
        """Publish the rows and mark those the broker confirmed; returns them, and why the others were not (they stay
        waiting, to be tried again after a pause: a refused message is retried, not skipped)."""
        if not rows:
            return rows, None
        accepted, problem = publisher.publish(
            [
                (
                    row.type,
                    cloud_event(row),
                    pika.BasicProperties(
                        content_type="application/cloudevents+json",
                        delivery_mode=pika.DeliveryMode.Persistent,
                        message_id=str(row.event_id),
                        type=row.type,
                        app_id=settings.EVENTS_SOURCE,
                    ),
                )
                for row in rows
            ]
        )
        published = [row for row, ok in zip(rows, accepted) if ok]
        if published:
            OutboxEvent.objects.filter(position__in=[row.position for row in published]).update(
                published_at=timezone.now()
            )
        return published, problem

    # --- Broker -----------------------------------------------------------------------------------------------

    def _open_publisher(self) -> ConfirmedPublisher:
        if self._publisher is not None and self._publisher.is_open:
            return self._publisher
        self._disconnect()
        parameters = pika.URLParameters(self.broker_url)
        parameters.connection_attempts, parameters.socket_timeout = 1, 5
        parameters.blocked_connection_timeout = 30  # a broker out of memory or disk blocks publishers: give up, retry
        self._connection = pika.BlockingConnection(parameters)
        self._publisher = ConfirmedPublisher(self._connection, self.exchange)
        logger.info("events.relay_connected", exchange=self.exchange)
        return self._publisher

    def _disconnect(self) -> None:
        connection_, self._connection, self._publisher = self._connection, None, None
        if connection_ is not None and connection_.is_open:
            try:
                connection_.close()
            except (pika.exceptions.AMQPError, OSError):
                pass  # already gone

    def _idle(self, seconds: float) -> None:
        """Wait, answering the broker's heartbeats meanwhile; wakes at once when stopped."""
        deadline = time.monotonic() + seconds
        while not self.stop.is_set() and (left := deadline - time.monotonic()) > 0:
            if self._connection is not None and self._connection.is_open:
                self._connection.process_data_events(time_limit=min(left, 0.1))
            else:
                self.stop.wait(min(left, 0.1))

    def _wait_for_the_database(self, seconds: float) -> bool:
        """Wait up to `seconds`, trying a connection each FIRST_PAUSE: True as soon as the database takes one again
        (rather than sleeping out a 30 s pause it came back early in), False when the time is up or the relay stops."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self.stop.wait(min(FIRST_PAUSE, left)):
                return False
            if _database_answers():
                return True
        return False

    def _trim_when_due(self) -> None:
        if time.monotonic() >= self._next_trim:
            if deleted := trim_outbox(publishing=True):
                logger.info("events.outbox_trimmed", deleted=deleted)
            self._next_trim = time.monotonic() + TRIM_EVERY


def _database_answers() -> bool:
    """Whether the database takes a connection and answers on it; a connection that does not is closed."""
    try:
        connection.ensure_connection()
        if connection.is_usable():
            return True
    except DatabaseError:
        pass
    connection.close()
    return False


class OutboxCollector:
    """`orderservice_events_waiting` and `orderservice_events_oldest_waiting_seconds`, read from the outbox when
    scraped (the relay's metrics, and /metrics when EVENTS_BROKER_URL is set): a relay that is down or behind
    shows here, wherever it runs."""

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        count, age = waiting_events()
        yield GaugeMetricFamily("orderservice_events_waiting", "Outbox events not yet published", value=count)
        yield GaugeMetricFamily(
            "orderservice_events_oldest_waiting_seconds",
            "Age of the oldest outbox event not yet published (0 when none)",
            value=age,
        )
