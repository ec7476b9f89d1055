"""Periodic notification work: deliver what is left in the outbox (run from cron)."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand

from matchmaking.notifications import dispatch


class Command(BaseCommand):
    help = (
        "Deliver every outbox event still undelivered (a crashed worker, a "
        "failed channel). Run it every few minutes beside the task worker."
    )

    def handle(self, *args: object, **options: object) -> None:
        swept = dispatch.sweep(older_than=timedelta(0))
        self.stdout.write(f"events delivered: {swept}")
