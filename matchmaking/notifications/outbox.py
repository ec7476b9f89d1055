"""Recording events: one outbox row per event, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from django.db import models
from django.db import transaction

from matchmaking.models import EventKind
from matchmaking.models import OutboxEvent
from matchmaking.models import User
from matchmaking.notifications.tasks import deliver_events_task


def _enqueue(ids: list[int]) -> None:
    deliver_events_task.enqueue(ids)


def subject_type_of(obj: models.Model) -> str:
    """The subject type an object's events carry ("match", "need", "meeting")."""
    return obj._meta.model_name or type(obj).__name__.lower()


def record(
    kind: EventKind | str,
    obj: models.Model,
    *,
    actor: User | None = None,
    payload: dict[str, Any] | None = None,
) -> OutboxEvent:
    """Record that ``kind`` happened to ``obj``; delivered once the transaction commits.

    Call it inside the transaction that makes the change: a rollback takes the
    event with it, so nobody hears about a change that did not happen.
    """
    event = OutboxEvent.objects.create(
        kind=kind,
        subject_type=subject_type_of(obj),
        subject_id=obj.pk,
        actor=actor if actor is not None and actor.is_authenticated else None,
        payload=payload or {},
    )
    transaction.on_commit(partial(_enqueue, [event.pk]))
    return event


def record_many(
    kind: EventKind | str,
    objs: Iterable[models.Model],
    *,
    payloads: Iterable[dict[str, Any]] | None = None,
    once_keys: Iterable[str] | None = None,
) -> list[int]:
    """Record one event per object in one insert (engine runs, reminders).

    ``once_keys`` (unique): an event that must happen once only; recording one
    whose key exists raises IntegrityError (the caller filters them first).
    """
    objs = list(objs)
    if not objs:
        return []
    payload_list = list(payloads) if payloads is not None else [{} for _ in objs]
    key_list: list[str | None] = (
        list(once_keys) if once_keys is not None else [None for _ in objs]
    )
    rows = OutboxEvent.objects.bulk_create(
        [
            OutboxEvent(
                kind=kind,
                subject_type=subject_type_of(obj),
                subject_id=obj.pk,
                payload=payload,
                once_key=once_key,
            )
            for obj, payload, once_key in zip(objs, payload_list, key_list, strict=True)
        ],
        batch_size=500,
    )
    ids = [row.pk for row in rows]
    if any(pk is None for pk in ids):
        # Backends that return no ids on bulk insert: the sweep delivers them.
        transaction.on_commit(partial(_enqueue, []))
        return []
    transaction.on_commit(partial(_enqueue, ids))
    return ids
