"""Commitments made at the roundtable: recording, state changes, progress
reports and the reminders when a report falls due."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from matchmaking import notifications
from matchmaking import selectors as mm_selectors
from matchmaking.funding.rates import RateTable
from matchmaking.models import EventKind
from matchmaking.models import OutboxEvent
from matchmaking.models import Programme
from matchmaking.models import User
from roundtable.enums import OPEN_COMMITMENT_STATES
from roundtable.enums import CommitmentState
from roundtable.models import Commitment
from roundtable.models import CommitmentReport
from roundtable.models import Meeting
from roundtable.models import Pitch
from roundtable.services.common import _require_provider_member

COMMITMENT_FIELDS = (
    "title",
    "description",
    "theme",
    "amount",
    "currency",
    "in_kind",
    "due_on",
    "for_ldcs",
    "for_sids",
    "report_every_months",
)
COMMITMENT_M2M = ("topics", "assistance_types", "countries", "regions", "programmes")
MAX_EVIDENCE_LINKS = 10
REMINDER = "commitment-report"
# Which moves a state may make (one service, explicit).
_MOVES: dict[str, tuple[str, ...]] = {
    CommitmentState.ANNOUNCED: (
        CommitmentState.IN_PROGRESS,
        CommitmentState.DELIVERED,
        CommitmentState.WITHDRAWN,
    ),
    CommitmentState.IN_PROGRESS: (CommitmentState.DELIVERED, CommitmentState.WITHDRAWN),
    CommitmentState.DELIVERED: (CommitmentState.IN_PROGRESS,),
    CommitmentState.WITHDRAWN: (),
}


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it has fewer)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


def can_report(*, user: User, commitment: Commitment) -> bool:
    """Users of the committing organisation (and curators) report and edit."""
    return mm_selectors.is_curator(user) or (
        commitment.provider_id in mm_selectors.provider_ids(user=user)
    )


def _usd(commitment: Commitment) -> Decimal | None:
    if commitment.amount is None:
        return None
    return RateTable([commitment.currency]).to_usd(
        commitment.amount,
        commitment.currency,
        commitment.created_at.date() if commitment.created_at else timezone.localdate(),
    )


def _check_links(
    *,
    programmes: Iterable[Programme],
    provider_id: int,
    pitch: Pitch | None,
    meeting: Meeting | None,
) -> None:
    errors: dict[str, str] = {}
    if pitch is not None and pitch.provider_id != provider_id:
        errors["pitch"] = _("The pitch is another organisation's.")
    if meeting is not None and meeting.pitch.provider_id != provider_id:
        errors["meeting"] = _("The meeting is about another organisation's pitch.")
    if any(p.provider_id != provider_id for p in programmes):
        errors["programmes"] = _("Only the committing organisation's programmes.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def record_commitment(
    *,
    user: User,
    provider_id: int,
    data: dict[str, Any],
    pitch: Pitch | None = None,
    meeting: Meeting | None = None,
) -> Commitment:
    """A provider's user records what the organisation commits to."""
    if not mm_selectors.is_curator(user):
        _require_provider_member(user, provider_id)
    programmes = list(data.get("programmes") or [])
    _check_links(
        programmes=programmes, provider_id=provider_id, pitch=pitch, meeting=meeting
    )
    if meeting is not None and pitch is None:
        pitch = meeting.pitch
    commitment = Commitment(
        provider_id=provider_id,
        pitch=pitch,
        meeting=meeting,
        event_id=pitch.event_id if pitch else None,
        session_id=pitch.session_id if pitch else None,
        created_by=user,
        **{f: data[f] for f in COMMITMENT_FIELDS if f in data},
    )
    if meeting is not None and meeting.programme_id and meeting.need_id:
        commitment.match = (
            meeting.need.matches.filter(programme_id=meeting.programme_id).first()
            if meeting.need
            else None
        )
    today = timezone.localdate()
    commitment.next_report_due = add_months(today, commitment.report_every_months)
    commitment.full_clean(exclude=["next_report_due"])
    commitment.amount_usd = _usd(commitment)
    commitment.save()
    for name in COMMITMENT_M2M:
        if name in data:
            getattr(commitment, name).set(data[name])
    return commitment


@transaction.atomic
def set_commitment_state(
    *, user: User, commitment: Commitment, state: str
) -> Commitment:
    """Move a commitment to another state, if that move is allowed."""
    if not can_report(user=user, commitment=commitment):
        raise PermissionDenied
    locked = Commitment.objects.select_for_update().get(pk=commitment.pk)
    if state not in _MOVES.get(locked.state, ()):
        raise ValidationError(
            {
                "state": _("A commitment %(from)s cannot become %(to)s.")
                % {
                    "from": locked.get_state_display().lower(),
                    "to": str(CommitmentState(state).label).lower()
                    if state in CommitmentState.values
                    else state,
                }
            }
        )
    locked.state = state
    if state == CommitmentState.DELIVERED:
        locked.share_delivered = 100
    locked.save(update_fields=["state", "share_delivered", "updated_at"])
    return locked


def clean_evidence_links(links: Iterable[str]) -> list[str]:
    """At most 10 http(s) URLs, each checked; a ValidationError names the bad one."""
    cleaned = [link.strip() for link in links if link and link.strip()]
    if len(cleaned) > MAX_EVIDENCE_LINKS:
        raise ValidationError(
            {"evidence_links": _("At most %(limit)d.") % {"limit": MAX_EVIDENCE_LINKS}}
        )
    check = URLValidator(schemes=["http", "https"])
    for link in cleaned:
        try:
            check(link)
        except ValidationError:
            raise ValidationError(
                {"evidence_links": _("%(link)s is not a web address.") % {"link": link}}
            ) from None
    return cleaned


@transaction.atomic
def report_progress(
    *,
    user: User,
    commitment: Commitment,
    narrative: str,
    share_delivered: int,
    spend: Decimal | None = None,
    evidence_links: Iterable[str] = (),
) -> CommitmentReport:
    """The committing organisation reports progress; the next report falls
    due one interval later, and the commitment's state follows the share."""
    if not can_report(user=user, commitment=commitment):
        raise PermissionDenied
    locked = Commitment.objects.select_for_update().get(pk=commitment.pk)
    if locked.state not in OPEN_COMMITMENT_STATES:
        raise ValidationError(
            {"state": _("Only announced or in-progress commitments take reports.")}
        )
    report = CommitmentReport(
        commitment=locked,
        narrative=narrative,
        share_delivered=share_delivered,
        spend=spend,
        evidence_links=clean_evidence_links(evidence_links),
        author=user,
    )
    report.full_clean()
    report.save()
    today = timezone.localdate()
    locked.share_delivered = share_delivered
    locked.state = (
        CommitmentState.DELIVERED
        if share_delivered == 100
        else CommitmentState.IN_PROGRESS
    )
    locked.next_report_due = add_months(
        max(today, locked.next_report_due), locked.report_every_months
    )
    locked.save(
        update_fields=["share_delivered", "state", "next_report_due", "updated_at"]
    )
    return report


@transaction.atomic
def send_due_reminders(*, today: dt.date | None = None) -> int:
    """Remind committing organisations whose progress report is due (once per
    due date): an outbox event each, delivered to the provider's users."""
    today = today or timezone.localdate()
    due = list(
        Commitment.objects.select_for_update(skip_locked=True)
        .filter(state__in=OPEN_COMMITMENT_STATES, next_report_due__lte=today)
        .exclude(reminded_for__gte=F("next_report_due"))
        .order_by("pk")
    )
    if not due:
        return 0
    notifications.record_many(
        EventKind.REMINDER,
        due,
        payloads=[
            {"reminder": REMINDER, "due": c.next_report_due.isoformat()} for c in due
        ],
    )
    for commitment in due:
        commitment.reminded_for = commitment.next_report_due
    Commitment.objects.bulk_update(due, ["reminded_for"])
    return len(due)


def reports_still_due(events: Iterable[OutboxEvent], now: dt.datetime) -> set[int]:
    """The progress-report reminders among ``events`` still waiting at ``now``:
    the commitment is open and no report has moved its due date past the one
    reminded (a digest built later leaves the others out)."""
    events = list(events)
    due_now = dict(
        Commitment.objects.filter(
            pk__in={e.subject_id for e in events}, state__in=OPEN_COMMITMENT_STATES
        ).values_list("pk", "next_report_due")
    )
    return {
        e.pk
        for e in events
        if e.subject_id in due_now
        and due_now[e.subject_id] is not None
        and due_now[e.subject_id].isoformat() <= str(e.payload.get("due", ""))
    }
