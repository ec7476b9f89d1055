"""Delivering recorded events to every registered channel (run by the worker).

At least once: an event is marked delivered in the same transaction as the
rows its channels wrote (notifications, mail outbox rows, webhook deliveries),
so a crash before the commit leaves it undelivered for the next sweep, and a
channel recognises a redelivered event by its key (unique rows per event).
A failing channel is retried alone; the others' rows stay.

Events go in batches (``BATCH`` per transaction): their audiences are read
together and each channel writes its rows for the whole batch at once. If
anything in a batch fails, the batch is rolled back and its events are
delivered one by one (the failing channel of the failing event alone).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from matchmaking.models import OutboxEvent
from matchmaking.notifications.registry import BATCH_CHANNELS
from matchmaking.notifications.registry import CHANNELS
from matchmaking.notifications.registry import Delivery
from matchmaking.notifications.registry import deliveries_of

logger = logging.getLogger(__name__)

# After this many failed attempts an event waits for an operator (logged).
MAX_ATTEMPTS = 20
# Events delivered together, in one transaction.
BATCH = 250


def _deliver_batch(ids: Sequence[int]) -> int:
    """Deliver these events together; raises (nothing written) if any part fails."""
    with transaction.atomic():
        events = list(
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(pk__in=list(ids), delivered_at__isnull=True)
            .order_by("id")
        )
        if not events:
            return 0
        deliveries = deliveries_of(events)
        for name, channel in CHANNELS.items():
            todo = [d for d in deliveries if name not in d.event.channels_done]
            batch = BATCH_CHANNELS.get(name)
            if batch is not None:
                batch(todo)
            else:
                for delivery in todo:
                    channel(delivery)
        # One UPDATE per set of channels taken (usually one for the batch): a
        # bulk_update of 250 rows is a CASE per column and per row.
        now = timezone.now()
        groups: dict[tuple[str, ...], list[int]] = {}
        for event in events:
            done = (
                *event.channels_done,
                *(name for name in CHANNELS if name not in event.channels_done),
            )
            groups.setdefault(done, []).append(event.pk)
        for done, pks in groups.items():
            OutboxEvent.objects.filter(pk__in=pks).update(
                channels_done=list(done),
                attempts=F("attempts") + 1,
                last_error="",
                delivered_at=now,
            )
        return len(events)


def _deliver_one(pk: int) -> bool:
    with transaction.atomic():
        event = (
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, delivered_at__isnull=True)
            .first()
        )
        if event is None:  # delivered already, or another worker holds it
            return False
        delivery = Delivery(event)
        done = list(event.channels_done)
        errors = []
        for name, channel in CHANNELS.items():
            if name in done:
                continue
            try:
                with transaction.atomic():  # a failing channel's rows go alone
                    channel(delivery)
            except Exception as exc:
                logger.exception("channel %s failed on event %s", name, event.pk)
                errors.append(f"{name}: {exc!r}")
            else:
                done.append(name)
        event.channels_done = done
        event.attempts += 1
        event.last_error = "; ".join(errors)[:500]
        if not errors:
            event.delivered_at = timezone.now()
        event.save(
            update_fields=["channels_done", "attempts", "last_error", "delivered_at"]
        )
        if errors and event.attempts >= MAX_ATTEMPTS:
            logger.error("event %s gave up after %s attempts", event.pk, MAX_ATTEMPTS)
        return not errors


def deliver(event_ids: Sequence[int]) -> int:
    """Deliver these events (in batches); how many went out."""
    ids = list(event_ids)
    delivered = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        if len(chunk) == 1:
            delivered += _deliver_one(chunk[0])
            continue
        try:
            delivered += _deliver_batch(chunk)
        except Exception:
            logger.warning("batch of %s events failed: one by one", len(chunk))
            delivered += sum(_deliver_one(pk) for pk in chunk)
    return delivered


def sweep(*, older_than: timedelta | None = None, limit: int = 1000) -> int:
    """Deliver events left undelivered (a crashed worker, a failed channel)."""
    if older_than is None:
        older_than = timedelta(seconds=settings.NOTIFICATIONS_SWEEP_AFTER_SECONDS)
    ids = list(
        OutboxEvent.objects.filter(
            delivered_at__isnull=True,
            attempts__lt=MAX_ATTEMPTS,
            created_at__lte=timezone.now() - older_than,
        )
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    return deliver(ids)
