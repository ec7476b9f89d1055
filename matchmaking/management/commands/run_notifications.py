"""Periodic notification work (cron, every few minutes to hourly)."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand

from matchmaking.models import MailMode
from matchmaking.notifications import dispatch
from matchmaking.notifications.digests import build_digests
from matchmaking.notifications.mail import send_pending


class Command(BaseCommand):
    help = (
        "Deliver outbox events still undelivered (a crashed worker, a failed "
        "channel), build the daily and weekly digests that are due (each once "
        "per person and period) and send the mails that are due, retries "
        "included. Run it every few minutes beside the task worker."
    )

    def handle(self, *args: object, **options: object) -> None:
        swept = dispatch.sweep(older_than=timedelta(0))
        daily = build_digests(period=MailMode.DAILY)
        weekly = build_digests(period=MailMode.WEEKLY)
        sent = send_pending()
        self.stdout.write(
            f"events delivered: {swept}, digests: {daily} daily, {weekly} weekly, "
            f"mails sent: {sent}"
        )
