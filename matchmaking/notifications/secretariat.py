"""The secretariat's weekly digest: what curators should look at each Monday.

One mail per curator and ISO week (their previous local week, in their time
zone and language), keyed by the week so building it again sends nothing
twice: the needs published that week, the needs that became unmet that week
(a ``need.unmet`` event) and are still unmet, and the matches that stalled.
A match is **stalled** when interest has waited for the provider's answer
more than 7 days (``STALLED_INTEREST_DAYS``), or when it was introduced more
than 30 days ago (``STALLED_INTRODUCED_DAYS``) with no step since: its last
status change (the match history), counted at the end of the week. Every
line goes through the curator's selectors. A curator who set "Secretariat
alerts" to no e-mail gets none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.db.models import Q
from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import formats
from django.utils import timezone
from django.utils import translation
from django.utils.translation import gettext as _

from matchmaking import selectors
from matchmaking.enums import MatchStatus
from matchmaking.enums import NeedStatus
from matchmaking.models import Category
from matchmaking.models import EventKind
from matchmaking.models import MailMessage
from matchmaking.models import MailMode
from matchmaking.models import Match
from matchmaking.models import Need
from matchmaking.models import OutboxEvent
from matchmaking.models import User
from matchmaking.notifications.digests import Window
from matchmaking.notifications.digests import window
from matchmaking.notifications.mail import absolute
from matchmaking.notifications.mail import language_of
from matchmaking.notifications.mail import queue_mails
from matchmaking.notifications.mail import render_mail
from matchmaking.notifications.mail import unsubscribe_url
from matchmaking.notifications.mail import zone_of
from matchmaking.notifications.preferences import mail_modes_for

STALLED_INTEREST_DAYS = 7
STALLED_INTRODUCED_DAYS = 30
# Lines shown per section; the count says how many there are in all.
MAX_LINES = 50


@dataclass(frozen=True)
class Section:
    heading: str
    count: int
    lines: list[dict[str, str]]


def stalled_matches(*, user: User, at: datetime) -> QuerySet[Match]:
    """Matches the user may see that stalled by ``at`` (see the module's rule)."""
    return (
        selectors.matches_visible_to(user=user)
        .annotate(
            last_step=Coalesce(Max("events__at"), "updated_at"),
        )
        .filter(
            Q(
                status=MatchStatus.INTEREST,
                last_step__lt=at - timedelta(days=STALLED_INTEREST_DAYS),
            )
            | Q(
                status=MatchStatus.INTRODUCED,
                last_step__lt=at - timedelta(days=STALLED_INTRODUCED_DAYS),
            )
        )
        .select_related("need", "programme")
        .order_by("last_step", "pk")
    )


def _need_line(need: Need) -> dict[str, str]:
    return {
        "title": f"{need.title} ({need.member_state})",
        "url": absolute(reverse("need-detail", args=[need.ref])),
    }


def _sections(user: User, span: Window) -> list[Section]:
    needs = selectors.needs_visible_to(user=user, with_tags=False).select_related(
        "member_state__country"
    )
    new = needs.filter(created_at__gte=span.start, created_at__lt=span.end).exclude(
        status=NeedStatus.DRAFT
    )
    unmet_ids = OutboxEvent.objects.filter(
        kind=EventKind.NEED_UNMET,
        subject_type="need",
        created_at__gte=span.start,
        created_at__lt=span.end,
    ).values("subject_id")
    unmet = needs.filter(pk__in=unmet_ids).exclude(unmet_reason="")
    stalled = stalled_matches(user=user, at=span.end)
    sections = [
        Section(
            heading=heading,
            count=rows.count(),
            lines=[_need_line(need) for need in rows[:MAX_LINES]],
        )
        for heading, rows in (
            (_("New needs"), new.order_by("created_at", "pk")),
            (_("Needs newly without a match"), unmet.order_by("pk")),
        )
    ]
    sections.append(
        Section(
            heading=_("Stalled matches"),
            count=stalled.count(),
            lines=[_stalled_line(m, span.end) for m in stalled[:MAX_LINES]],
        )
    )
    return sections


def _stalled_line(match: Match, at: datetime) -> dict[str, str]:
    days = (at - match.last_step).days  # type: ignore[attr-defined]
    if match.status == MatchStatus.INTEREST:
        state = _("interest unanswered for %(days)s days") % {"days": days}
    else:
        state = _("introduced, no step for %(days)s days") % {"days": days}
    return {
        "title": f"{match.need.title} ↔ {match.programme.title}: {state}",
        "url": absolute(reverse("match-detail", args=[match.pk])),
    }


def _digest(user: User, span: Window) -> MailMessage | None:
    with translation.override(language_of(user)), timezone.override(zone_of(user)):
        sections = _sections(user, span)
        if not any(s.count for s in sections):
            return None
        last_day = timezone.localtime(span.end - timedelta(seconds=1))
        context: dict[str, Any] = {
            "user": user,
            "week": span.key,
            "start": formats.date_format(timezone.localtime(span.start), "DATE_FORMAT"),
            "end": formats.date_format(last_day, "DATE_FORMAT"),
            "sections": sections,
            "more": MAX_LINES,
            "site_url": settings.SITE_URL,
            "unsubscribe_url": unsubscribe_url(user=user, category=Category.CURATION),
        }
        rendered = render_mail("secretariat", context)
    return MailMessage(
        key=f"secretariat:{user.pk}:{span.key}",
        user=user,
        category=Category.CURATION,
        to=user.email,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        next_attempt_at=timezone.now(),
    )


def build_secretariat_digests(*, now: datetime | None = None) -> int:
    """Queue last week's secretariat digest of every curator who has none; how many."""
    now = now or timezone.now()
    curators = list(
        User.objects.filter(Q(is_curator=True) | Q(is_superuser=True), is_active=True)
        .exclude(email="")
        .order_by("pk")
    )
    modes = mail_modes_for(users=curators, category=Category.CURATION)
    spans = {u.pk: window(MailMode.WEEKLY, now, zone_of(u)) for u in curators}
    keys = {f"secretariat:{pk}:{span.key}" for pk, span in spans.items()}
    done = set(MailMessage.objects.filter(key__in=keys).values_list("key", flat=True))
    mails = []
    for user in curators:
        span = spans[user.pk]
        if modes[user.pk] == MailMode.NEVER or (
            f"secretariat:{user.pk}:{span.key}" in done
        ):
            continue
        mail = _digest(user, span)
        if mail is not None:
            mails.append(mail)
    queue_mails(mails)
    return len(mails)
