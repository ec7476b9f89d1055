"""Daily and weekly digests: one mail per person and period, in their language
and time zone, listing what they chose to read in a digest.

A digest covers the person's previous local day (or ISO week) and is keyed by
it, so building it again (cron every hour, a crash) sends nothing twice. Each
line is checked against what the reader may see when the digest is built.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils import translation

from matchmaking import selectors
from matchmaking.models import CATEGORY_OF_KIND
from matchmaking.models import DEFAULT_MAIL_MODES
from matchmaking.models import Category
from matchmaking.models import MailMessage
from matchmaking.models import MailMode
from matchmaking.models import Notification
from matchmaking.models import NotificationPreference
from matchmaking.models import OutboxEvent
from matchmaking.models import Profile
from matchmaking.models import User
from matchmaking.notifications import registry
from matchmaking.notifications.mail import absolute
from matchmaking.notifications.mail import language_of
from matchmaking.notifications.mail import queue_mails
from matchmaking.notifications.mail import render_mail
from matchmaking.notifications.mail import unsubscribe_url
from matchmaking.notifications.mail import zone

PERIODS = (MailMode.DAILY, MailMode.WEEKLY)


@dataclass(frozen=True)
class Window:
    key: str  # the period's name in the key: a date or an ISO week
    start: datetime
    end: datetime


def window(period: str, now: datetime, tz: zoneinfo.ZoneInfo) -> Window:
    """The last complete local day (or ISO week) before ``now``."""
    today = now.astimezone(tz).date()
    if period == MailMode.DAILY:
        first, last = today - timedelta(days=1), today
        name = first.isoformat()
    else:
        last = today - timedelta(days=today.weekday())  # this week's Monday
        first = last - timedelta(days=7)
        year, week, _day = first.isocalendar()
        name = f"{year}-W{week:02d}"
    return Window(
        key=name,
        start=datetime.combine(first, time.min, tzinfo=tz),
        end=datetime.combine(last, time.min, tzinfo=tz),
    )


def build_digests(*, period: str, now: datetime | None = None) -> int:
    """Queue the period's digest of everyone who has lines for it; how many."""
    now = now or timezone.now()
    span = timedelta(days=2 if period == MailMode.DAILY else 15)
    rows = list(
        Notification.objects.filter(created_at__gte=now - span, created_at__lt=now)
        .select_related("event", "user")
        .order_by("user_id", "id")
    )
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for row in rows:
        by_user[row.user_id].append(row)
    if not by_user:
        return 0
    ids = list(by_user)
    chosen: dict[int, dict[str, str]] = defaultdict(dict)
    for user_id, category, mode in NotificationPreference.objects.filter(
        user_id__in=ids
    ).values_list("user_id", "category", "mode"):
        chosen[user_id][category] = mode
    zones = dict(
        Profile.objects.filter(user_id__in=ids).values_list("user_id", "time_zone")
    )
    # Each person's lines first; then visibility asked once per organisation
    # and every subject read in one go (thousands of people, thousands of lines).
    events: dict[int, OutboxEvent] = {}
    todo: dict[int, tuple[User, zoneinfo.ZoneInfo, Window, list[Notification]]] = {}
    for user_id, notifications in by_user.items():
        user = notifications[0].user
        if not (user.is_active and user.email):
            continue
        modes = {**DEFAULT_MAIL_MODES, **chosen[user_id]}
        local = zone(zones.get(user_id, "UTC"))
        span_of = window(period, now, local)
        lines = [
            n
            for n in notifications
            if span_of.start <= n.created_at < span_of.end
            and modes.get(CATEGORY_OF_KIND.get(n.event.kind, ""), "") == period
        ]
        for n in lines:  # one event object per event, shared by its readers
            n.event = events.setdefault(n.event_id, n.event)
        if lines:
            todo[user_id] = (user, local, span_of, lines)
    visible = registry.visible_subjects_of_many(
        {
            pk: (user, [n.event for n in lines])
            for pk, (user, _l, _s, lines) in todo.items()
        },
        selectors.visibility_signatures(users=[user for user, *_rest in todo.values()]),
    )
    registry.preload(events.values())
    mails = []
    descriptions: dict[tuple[int, str], registry.Description | None] = {}
    for user_id, (user, local, span_of, lines) in todo.items():
        with timezone.override(local):
            mail = _digest_mail(
                user, period, span_of, lines, descriptions, visible[user_id]
            )
        if mail is not None:
            mails.append(mail)
    keys = {m.key for m in mails}
    done = set(MailMessage.objects.filter(key__in=keys).values_list("key", flat=True))
    fresh = [m for m in mails if m.key not in done]
    queue_mails(fresh)
    return len(fresh)


def _digest_mail(
    user: User,
    period: str,
    span: Window,
    notifications: Iterable[Notification],
    descriptions: dict[tuple[int, str], registry.Description | None],
    visible: set[int],
) -> MailMessage | None:
    """The digest mail, in the user's language (their time zone is active);
    ``visible``: the events whose subjects the user may see now."""
    language = language_of(user)
    sections: dict[str, list[dict[str, str]]] = defaultdict(list)
    with translation.override(language):
        for n in notifications:
            if n.event.pk not in visible:
                continue
            key = (n.event.pk, f"{language}:{timezone.get_current_timezone_name()}")
            if key not in descriptions:
                descriptions[key] = registry.describe(n.event)
            line = descriptions[key]
            if line is None:
                continue
            category = CATEGORY_OF_KIND.get(n.event.kind, "")
            sections[category].append({"title": line.title, "url": absolute(line.url)})
        if not sections:
            return None
        ordered = [
            (Category(c).label, sections[c]) for c in Category.values if c in sections
        ]
        count = sum(len(v) for v in sections.values())
        context: dict[str, Any] = {
            "user": user,
            "heading": MailMode(period).label,
            "count": count,
            "sections": ordered,
            "site_url": settings.SITE_URL,
            "centre_url": absolute(reverse("notification-list")),
            # One link turns off the category with the most lines.
            "unsubscribe_url": unsubscribe_url(
                user=user, category=max(sections, key=lambda c: len(sections[c]))
            ),
        }
        rendered = render_mail("digest", context)
    return MailMessage(
        key=f"digest:{period}:{user.pk}:{span.key}",
        user=user,
        category=max(sections, key=lambda c: len(sections[c])),
        to=user.email,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        next_attempt_at=timezone.now(),
    )
