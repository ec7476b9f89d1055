"""The outbox's webhooks channel: an event becomes deliveries, sent afterwards."""

from __future__ import annotations

from django.core.checks import Tags
from django.core.checks import register as register_check

from matchmaking.notifications import Delivery
from matchmaking.notifications import register_channel
from matchmaking.webhooks import checks
from matchmaking.webhooks import delivery as deliveries


def webhooks(delivery: Delivery) -> None:
    """Rows only (in the outbox's transaction); the sending is a task after it.

    Endpoints of the event's recipients (people who should hear about it and
    may see its subject now) subscribed to its kind get one delivery each.
    """
    webhooks_batch([delivery])


def webhooks_batch(batch: list[Delivery]) -> None:
    """The webhooks channel for many events: one read of the endpoints."""
    deliveries.record_events(
        [(d.event, [user.pk for user in d.recipients]) for d in batch]
    )


def register() -> None:
    """Plug webhooks into the outbox (called from the app's ``ready()``), and
    their deploy check into ``manage.py check``."""
    register_channel("webhooks", webhooks, batch=webhooks_batch)
    register_check(checks.loopback_webhooks, Tags.security, deploy=True)
