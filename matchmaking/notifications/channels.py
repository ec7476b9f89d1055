"""Built-in channels: the notification centre (mail joins in mail.py)."""

from __future__ import annotations

from matchmaking.models import Notification
from matchmaking.notifications.registry import Delivery


def centre(delivery: Delivery) -> None:
    """One notification per recipient; a redelivered event adds none."""
    Notification.objects.bulk_create(
        [Notification(user=user, event=delivery.event) for user in delivery.recipients],
        ignore_conflicts=True,
    )
