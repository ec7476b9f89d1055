"""Reminders: what waits too long for someone, recorded once as an outbox event.

Each rule (``register_rule``) lists the reminders due at a moment: an object,
the threshold it passed, and a key naming both. ``send_reminders`` (run by
``manage.py run_notifications``) records a ``reminder`` event for each key not
recorded before (``OutboxEvent.once_key``, unique), so running it again, or
on two servers at once, never reminds twice; the events then travel like any
other (centre, mail per the reminders setting, digests, webhooks), each
recipient's visibility checked at delivery. A rule only lists what is still
waiting: once answered (the interest, the confirmation, an agreed match)
nothing more is due. A digest built later asks again (``still_waiting``) and
leaves out what has been answered meanwhile. Roundtable registers its rules
(meetings, pitches) and its commitment reports' check from its own module.
Rules here: interest unanswered after 3 and 7 days (to the provider's people),
a need 14 days before its "needed by" date with no agreed match (to its focal
point).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from typing import Any

from django.db import IntegrityError
from django.db import models
from django.db import transaction
from django.db.models import Max
from django.db.models import Q
from django.utils import timezone

from matchmaking.enums import ACTIVE_NEED_STATUSES
from matchmaking.enums import CAPACITY_MATCH_STATUSES
from matchmaking.enums import MatchStatus
from matchmaking.models import EventKind
from matchmaking.models import Match
from matchmaking.models import Need
from matchmaking.models import OutboxEvent
from matchmaking.notifications.outbox import record_many
from matchmaking.notifications.outbox import subject_type_of

logger = logging.getLogger(__name__)

# Interest waiting for the provider's answer: reminded after these many days.
INTEREST_DAYS = (3, 7)
# A need's "needed by" date this close with no agreed match: its focal point hears.
NEEDED_BY_DAYS = 14


@dataclass(frozen=True)
class Due:
    """One reminder due: about ``obj``, once per ``key``."""

    obj: models.Model
    key: str
    payload: dict[str, Any] = field(default_factory=dict)


Rule = Callable[[datetime], Sequence[Due]]
RULES: dict[str, Rule] = {}
# Reminders recorded outside the rules (a commitment's progress report), by
# their payload's "reminder": which of these events still wait at a moment.
StillCheck = Callable[[Sequence[OutboxEvent], datetime], set[int]]
STILL: dict[str, StillCheck] = {}


def register_rule(name: str, rule: Rule) -> None:
    """Compute reminders with ``rule(now)`` too (its keys start with ``name``)."""
    RULES[name] = rule


def register_still(reminder: str, check: StillCheck) -> None:
    """``check(events, now)``: the ids of the ``reminder`` events still due."""
    STILL[reminder] = check


def still_waiting(events: Sequence[OutboxEvent], now: datetime) -> set[int]:
    """The reminder events among ``events`` whose object still waits at ``now``.

    A rule's reminder still waits while the rule lists its object (at any
    threshold): interest not answered, a meeting still ahead, a need still
    without an agreed match before its date. Each rule runs once, whatever the
    number of events. A reminder nothing can check again is kept.
    """
    listed: dict[str, set[tuple[str, int]]] = {}
    by_check: dict[str, list[OutboxEvent]] = {}
    waiting = set()
    for event in events:
        rule = event.payload.get("rule")
        if rule in RULES:
            if rule not in listed:
                listed[rule] = {
                    (subject_type_of(d.obj), d.obj.pk) for d in RULES[rule](now)
                }
            if (event.subject_type, event.subject_id) in listed[rule]:
                waiting.add(event.pk)
        elif event.payload.get("reminder") in STILL:
            by_check.setdefault(event.payload["reminder"], []).append(event)
        else:
            waiting.add(event.pk)
    for reminder, group in by_check.items():
        waiting |= STILL[reminder](group, now)
    return waiting


def highest_passed(since: datetime, now: datetime, days: Sequence[int]) -> int | None:
    """The largest threshold (in days) passed since ``since``, if any.

    Only the highest is reminded: a run after a long pause sends the 7-day
    reminder alone, not the 3-day one too.
    """
    passed = [d for d in days if since + timedelta(days=d) <= now]
    return max(passed) if passed else None


def interest_unanswered(now: datetime) -> list[Due]:
    """Interest the provider has not answered after 3, then 7 days."""
    rows = (
        Match.objects.filter(
            status=MatchStatus.INTEREST, need__status__in=ACTIVE_NEED_STATUSES
        )
        .annotate(
            since=Max("events__at", filter=Q(events__to_status=MatchStatus.INTEREST))
        )
        .only("pk", "updated_at")
        .order_by("pk")
    )
    found = []
    for match in rows:
        since = match.since or match.updated_at
        days = highest_passed(since, now, INTEREST_DAYS)
        if days is not None:
            found.append(
                Due(
                    match,
                    f"interest:{match.pk}:{days}d",
                    {"reminder": "interest", "days": days, "side": "provider"},
                )
            )
    return found


def needed_by_near(now: datetime) -> list[Due]:
    """Open needs due within 14 days that no match has been agreed for."""
    today = timezone.localdate(now)
    rows = (
        Need.objects.filter(
            status__in=ACTIVE_NEED_STATUSES,
            needed_by__gte=today,
            needed_by__lte=today + timedelta(days=NEEDED_BY_DAYS),
        )
        .exclude(matches__status__in=CAPACITY_MATCH_STATUSES)
        .only("pk", "needed_by")
        .order_by("pk")
    )
    return [
        Due(
            need,
            f"needed_by:{need.pk}:{need.needed_by.isoformat()}:{NEEDED_BY_DAYS}d",
            {
                "reminder": "needed_by",
                "days": NEEDED_BY_DAYS,
                "date": need.needed_by.isoformat(),
            },
        )
        for need in rows
        if need.needed_by is not None
    ]


def send_reminders(*, now: datetime | None = None) -> int:
    """Record every reminder due and not recorded before; how many."""
    now = now or timezone.now()
    due: list[Due] = []
    for name, rule in RULES.items():
        due += [
            Due(d.obj, f"reminder:{name}:{d.key}", {**d.payload, "rule": name})
            for d in rule(now)
        ]
    if not due:
        return 0
    try:
        with transaction.atomic():
            done = set(
                OutboxEvent.objects.filter(
                    once_key__in=[d.key for d in due]
                ).values_list("once_key", flat=True)
            )
            fresh = {d.key: d for d in due if d.key not in done}.values()
            by_type: dict[str, list[Due]] = {}
            for d in fresh:
                by_type.setdefault(subject_type_of(d.obj), []).append(d)
            for group in by_type.values():
                record_many(
                    EventKind.REMINDER,
                    [d.obj for d in group],
                    payloads=[d.payload for d in group],
                    once_keys=[d.key for d in group],
                )
    except IntegrityError:
        # Another run recorded some of these in between: it sent them, and the
        # next run records what is left.
        logger.info("reminders recorded by a concurrent run; retrying next time")
        return 0
    return sum(len(g) for g in by_type.values())
