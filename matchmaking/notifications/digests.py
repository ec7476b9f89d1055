"""Daily and weekly digests: one mail per person and period, in their language
and time zone, listing what they chose to read in a digest.

A digest covers the person's previous local day (or ISO week) and is keyed by
it, so building it again (cron every hour, a crash) sends nothing twice. Each
line is checked against what the reader may see when the digest is built, and
a reminder against whether it still waits (answered since: left out).
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
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.safestring import mark_safe

from matchmaking import selectors
from matchmaking.models import CATEGORY_OF_KIND
from matchmaking.models import DEFAULT_MAIL_MODES
from matchmaking.models import Category
from matchmaking.models import EventKind
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
from matchmaking.notifications.reminders import still_waiting

PERIODS = (MailMode.DAILY, MailMode.WEEKLY)


@dataclass(frozen=True)
class Line:
    """One digest line, rendered once for every reader of the same language
    and time zone (an event reaches about ten people: rendering each line in
    each digest's template loop was most of the digests' time)."""

    html: SafeString
    text: str


def _line(description: registry.Description | None) -> Line | None:
    if description is None:
        return None
    url = absolute(description.url)
    return Line(
        html=format_html('<li><a href="{}">{}</a></li>', url, description.title),
        text=f"- {description.title}\n  {url}\n",
    )


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
    # Ids and times only: a model object per line (with its event and its
    # reader joined in) was most of the reading; each event and each person
    # is read once below.
    by_user: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for user_id, event_id, created_at in (
        Notification.objects.filter(created_at__gte=now - span, created_at__lt=now)
        .order_by("user_id", "id")
        .values_list("user_id", "event_id", "created_at")
    ):
        by_user[user_id].append((event_id, created_at))
    if not by_user:
        return 0
    ids = list(by_user)
    users = (
        User.objects.filter(is_active=True)
        .exclude(email="")
        .only(*registry.RECIPIENT_FIELDS)
        .in_bulk(ids)
    )
    chosen: dict[int, dict[str, str]] = defaultdict(dict)
    for user_id, category, mode in NotificationPreference.objects.filter(
        user_id__in=ids
    ).values_list("user_id", "category", "mode"):
        chosen[user_id][category] = mode
    zones = dict(
        Profile.objects.filter(user_id__in=ids).values_list("user_id", "time_zone")
    )
    events = OutboxEvent.objects.in_bulk(
        sorted(
            {
                event_id
                for user_id, lines in by_user.items()
                if user_id in users
                for event_id, _created_at in lines
            }
        )
    )
    # Each person's lines first; then visibility asked once per organisation
    # and every subject read in one go (thousands of people, thousands of lines).
    todo: dict[int, tuple[User, zoneinfo.ZoneInfo, Window, list[OutboxEvent]]] = {}
    for user_id, notifications in by_user.items():
        user = users.get(user_id)
        if user is None:
            continue
        modes = {**DEFAULT_MAIL_MODES, **chosen[user_id]}
        local = zone(zones.get(user_id, "UTC"))
        span_of = window(period, now, local)
        lines = [
            events[event_id]
            for event_id, created_at in notifications
            if span_of.start <= created_at < span_of.end
            and modes.get(CATEGORY_OF_KIND.get(events[event_id].kind, ""), "") == period
        ]
        if lines:
            todo[user_id] = (user, local, span_of, lines)
    # A reminder answered since it was recorded is not waiting any more.
    reminders_of = [
        e for *_r, lines in todo.values() for e in lines if e.kind == EventKind.REMINDER
    ]
    if reminders_of:
        waiting = still_waiting(reminders_of, now)
        for user_id, (user, local, span_of, lines) in list(todo.items()):
            kept = [e for e in lines if e.kind != EventKind.REMINDER or e.pk in waiting]
            if kept:
                todo[user_id] = (user, local, span_of, kept)
            else:
                del todo[user_id]
    visible = registry.visible_subjects_of_many(
        {pk: (user, lines) for pk, (user, _l, _s, lines) in todo.items()},
        selectors.visibility_signatures(users=[user for user, *_rest in todo.values()]),
    )
    registry.preload({e.pk: e for *_r, lines in todo.values() for e in lines}.values())
    mails = []
    rendered: dict[tuple[int, str], Line | None] = {}
    for user_id, (user, local, span_of, events_of) in todo.items():
        with timezone.override(local):
            mail = _digest_mail(
                user, period, span_of, events_of, rendered, visible[user_id]
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
    events: Iterable[OutboxEvent],
    lines: dict[tuple[int, str], Line | None],
    visible: set[int],
) -> MailMessage | None:
    """The digest mail, in the user's language (their time zone is active);
    ``visible``: the events whose subjects the user may see now."""
    language = language_of(user)
    sections: dict[str, list[Line]] = defaultdict(list)
    with translation.override(language):
        for event in events:
            if event.pk not in visible:
                continue
            key = (event.pk, f"{language}:{timezone.get_current_timezone_name()}")
            if key not in lines:
                lines[key] = _line(registry.describe(event))
            line = lines[key]
            if line is None:
                continue
            sections[CATEGORY_OF_KIND.get(event.kind, "")].append(line)
        if not sections:
            return None
        ordered = [
            (
                Category(c).label,
                # Each line is format_html's: joined as they are (escaping
                # them once more per reader was a tenth of the digests' time).
                mark_safe("".join(line.html for line in sections[c])),  # noqa: S308  # nosec B308 B703
                "".join(line.text for line in sections[c]),
            )
            for c in Category.values
            if c in sections
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
