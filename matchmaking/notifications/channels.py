"""Built-in channels: the notification centre (mail joins in mail.py)."""

from __future__ import annotations

from matchmaking.models import Notification
from matchmaking.notifications.registry import Delivery


def centre(delivery: Delivery) -> None:
    """One notification per recipient; a redelivered event adds none."""
    centre_batch([delivery])


def centre_batch(deliveries: list[Delivery]) -> None:
    """The centre's rows of many events, in one insert."""
    Notification.objects.bulk_create(
        [
            Notification(user=user, event=delivery.event)
            for delivery in deliveries
            for user in delivery.recipients
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
