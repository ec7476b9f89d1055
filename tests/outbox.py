"""Helpers for tests of the outbox: run the reminders as the timer does, who heard."""

from __future__ import annotations

from matchmaking.models import Notification
from matchmaking.models import OutboxEvent
from matchmaking.notifications import dispatch
from matchmaking.notifications.reminders import send_reminders


def remind_and_deliver() -> int:
    """Record the reminders due, deliver every undelivered event; how many reminders."""
    count = send_reminders()
    dispatch.deliver(
        list(
            OutboxEvent.objects.filter(delivered_at__isnull=True).values_list(
                "id", flat=True
            )
        )
    )
    return count


def told(event_id: int) -> list[str]:
    """The usernames whose notification centre holds the event."""
    return sorted(
        Notification.objects.filter(event_id=event_id).values_list(
            "user__username", flat=True
        )
    )
