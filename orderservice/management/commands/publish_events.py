import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from prometheus_client import REGISTRY, start_http_server

from orderservice.events.relay import OutboxCollector, Relay, StopFlag, trim_outbox


class Command(BaseCommand):
    help = (
        "Relay the event outbox to RabbitMQ (EVENTS_BROKER_URL, topic exchange EVENTS_EXCHANGE) as CloudEvents, "
        "until SIGTERM or Ctrl-C; with --once, until the outbox is empty. Without EVENTS_BROKER_URL it only "
        "deletes rows older than EVENTS_RETENTION_DAYS."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once",
            action="store_true",
            help="publish what is waiting, trim, and exit (non-zero when the broker is unreachable)",
        )
        parser.add_argument("--batch-size", type=int, default=500, help="rows per round (default 500)")
        parser.add_argument(
            "--metrics-port", type=int, default=None, help="serve the relay's Prometheus metrics on this port"
        )
        parser.add_argument(
            "--metrics-address",
            default="127.0.0.1",
            help="the address to serve them on (default 127.0.0.1; 0.0.0.0 in a container)",
        )

    def handle(self, *args, once: bool, batch_size: int, metrics_port: int | None, metrics_address: str, **options):
        if not 1 <= batch_size <= 10_000:
            raise CommandError("--batch-size must be between 1 and 10000")
        stop = StopFlag()
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signal_number, lambda *_: stop.set())  # finish the round, then exit
        if metrics_port is not None:
            REGISTRY.register(OutboxCollector())
            start_http_server(metrics_port, addr=metrics_address)

        if not settings.EVENTS_BROKER_URL:
            self.stdout.write(
                f"EVENTS_BROKER_URL is not set: nothing is published; the outbox is the audit trail, "
                f"kept {settings.EVENTS_RETENTION_DAYS} days."
            )
            while True:
                self.stdout.write(f"Deleted {trim_outbox(publishing=False)} event(s) past their retention.")
                if once or stop.wait(600):
                    return

        relay = Relay(
            broker_url=settings.EVENTS_BROKER_URL, exchange=settings.EVENTS_EXCHANGE, batch_size=batch_size, stop=stop
        )
        try:
            published = relay.run(once=once)
        except Exception as error:  # --once: the broker or the database is unreachable; cron tries again
            raise CommandError(f"publishing failed: {type(error).__name__}: {error}") from error
        self.stdout.write(f"Published {published} event(s).")
