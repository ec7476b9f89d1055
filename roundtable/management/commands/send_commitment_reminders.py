"""Remind committing organisations whose progress report is due (run daily)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from roundtable import services


class Command(BaseCommand):
    help = (
        "Record a reminder (notification centre and the outbox's other "
        "channels) for every open commitment whose progress report is due; "
        "each due date is reminded once."
    )

    def handle(self, *args: object, **options: object) -> None:
        count = services.send_due_reminders()
        self.stdout.write(f"{count} reminder{'s' if count != 1 else ''} recorded.")
