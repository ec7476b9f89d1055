"""Periodic webhook work: send every delivery whose retry is due (run from cron)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from matchmaking.webhooks import delivery


class Command(BaseCommand):
    help = (
        "Send the webhook deliveries that are due (retries with a task backend "
        "that cannot defer). Run it every minute beside the task worker."
    )

    def handle(self, *args: object, **options: object) -> None:
        tried = delivery.deliver_due()
        self.stdout.write(f"webhook deliveries tried: {tried}")
