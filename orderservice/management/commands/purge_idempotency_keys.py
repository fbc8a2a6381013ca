from django.core.management.base import BaseCommand
from django.utils import timezone

from orderservice.api.idempotency import key_lifetime
from orderservice.models import IdempotentRequest


class Command(BaseCommand):
    help = (
        "Delete every Idempotency-Key record older than IDEMPOTENCY_KEY_HOURS at once (optional: each POST "
        "with a key already deletes a batch of expired ones)."
    )

    def handle(self, *args, **options):
        deleted, _ = IdempotentRequest.objects.filter(created_at__lt=timezone.now() - key_lifetime()).delete()
        self.stdout.write(f"Deleted {deleted} expired idempotency key(s).")
