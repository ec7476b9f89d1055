"""The notification centre: a person's notifications, unread count, marking read.

Every line is built when it is shown, in the reader's language, after checking
they may still see its subject: a need made confidential since is not named.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from matchmaking.models import Notification
from matchmaking.models import User
from matchmaking.notifications import registry


@dataclass(frozen=True)
class Entry:
    """One line of the centre (title and url empty: no longer visible to the reader)."""

    notification: Notification
    title: str
    url: str

    @property
    def visible(self) -> bool:
        return bool(self.url)


def notifications_of(*, user: User) -> QuerySet[Notification]:
    """The user's notifications, newest first, with their events."""
    return (
        Notification.objects.filter(user=user).select_related("event").order_by("-id")
    )


def unread_count(*, user: User) -> int:
    """How many of the user's notifications are unread."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def entries(*, user: User, notifications: Iterable[Notification]) -> list[Entry]:
    """The lines to show, each checked against what the user may see now."""
    found = []
    for notification in notifications:
        line = None
        if registry.may_see(user, notification.event):
            line = registry.describe(notification.event)
        found.append(
            Entry(
                notification=notification,
                title=line.title if line else "",
                url=line.url if line else "",
            )
        )
    return found


def mark_read(*, user: User, ids: Sequence[int] | None = None) -> int:
    """Mark the user's notifications read (``ids`` None: all); how many changed."""
    rows = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.update(read_at=timezone.now())
