"""Periodic notification work (cron or the systemd timer, every few minutes)."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand

from matchmaking.models import MailMode
from matchmaking.notifications import dispatch
from matchmaking.notifications.digests import build_digests
from matchmaking.notifications.mail import send_pending
from matchmaking.notifications.reminders import send_reminders
from matchmaking.notifications.secretariat import build_secretariat_digests


class Command(BaseCommand):
    help = (
        "Record the reminders that are due (each once), deliver outbox events "
        "still undelivered (a crashed worker, a failed channel), build the "
        "daily and weekly digests and the secretariat's weekly digest that are "
        "due (each once per person and period) and send the mails that are "
        "due, retries included. Run it every few minutes beside the task "
        "worker (deploy/systemd/cbm-notifications.timer)."
    )

    def handle(self, *args: object, **options: object) -> None:
        reminders = send_reminders()
        swept = dispatch.sweep(older_than=timedelta(0))
        daily = build_digests(period=MailMode.DAILY)
        weekly = build_digests(period=MailMode.WEEKLY)
        secretariat = build_secretariat_digests()
        sent = send_pending()
        self.stdout.write(
            f"reminders: {reminders}, events delivered: {swept}, digests: "
            f"{daily} daily, {weekly} weekly, {secretariat} secretariat, "
            f"mails sent: {sent}"
        )
