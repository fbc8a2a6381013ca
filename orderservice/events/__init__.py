"""Business events: written to the outbox in the transaction of each change (outbox), described in one catalogue
(catalogue), relayed to RabbitMQ as CloudEvents by `manage.py publish_events` (relay)."""
