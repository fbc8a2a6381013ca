from django.core.management.base import BaseCommand
from django.utils import timezone

from orderservice.api.idempotency import key_lifetime
from orderservice.models import IdempotentRequest


class Command(BaseCommand):
    help = "Delete Idempotency-Key records older than IDEMPOTENCY_KEY_HOURS (run it daily, e.g. from cron)."

    def handle(self, *args, **options):
        deleted, _ = IdempotentRequest.objects.filter(created_at__lt=timezone.now() - key_lifetime()).delete()
        self.stdout.write(f"Deleted {deleted} expired idempotency key(s).")
