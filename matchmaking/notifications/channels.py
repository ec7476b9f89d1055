"""Built-in channels: the notification centre (mail joins in mail.py)."""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from matchmaking.models import Notification
from matchmaking.notifications.registry import Delivery


def centre(delivery: Delivery) -> None:
    """One notification per recipient; a redelivered event adds none."""
    centre_batch([delivery])


def centre_batch(deliveries: list[Delivery]) -> None:
    """The centre's rows of many events, in one statement."""
    pairs = list(
        dict.fromkeys(
            (user.pk, delivery.event.pk)
            for delivery in deliveries
            for user in delivery.recipients
        )
    )
    insert_notifications(pairs)


def insert_notifications(pairs: list[tuple[int, int]]) -> None:
    """Notification rows for these (user id, event id) pairs, in this order; a
    pair already there is skipped (a redelivered event).

    Plain SQL rather than ``bulk_create``: a fan-out writes about ten rows per
    event, and building a model object and a parameter list per row was a
    third of its time. No value here comes from a person (ids and the clock).
    """
    if not pairs:
        return
    meta = Notification._meta
    table, user, event, created = (
        connection.ops.quote_name(str(name))
        for name in (
            meta.db_table,
            meta.get_field("user").column,
            meta.get_field("event").column,
            meta.get_field("created_at").column,
        )
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} ({user}, {event}, {created}) "  # noqa: S608  # nosec B608
                "SELECT u, e, %s FROM unnest(%s::bigint[], %s::bigint[]) "
                "WITH ORDINALITY AS t(u, e, n) ORDER BY n ON CONFLICT DO NOTHING",
                [now, [u for u, _e in pairs], [e for _u, e in pairs]],
            )
        else:
            cursor.executemany(
                f"INSERT INTO {table} ({user}, {event}, {created}) "  # noqa: S608  # nosec B608
                "VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                [(u, e, now) for u, e in pairs],
            )
