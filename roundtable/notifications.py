"""Roundtable's subjects in the notification outbox: meetings and pitches,
and its reminders (a meeting 24 hours ahead, a pitch awaiting confirmation).

Registered from ``RoundtableConfig.ready`` (matchmaking never imports roundtable).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.urls import reverse
from django.utils import formats
from django.utils import timezone
from django.utils.translation import gettext as _

from matchmaking.models import EventKind
from matchmaking.models import OutboxEvent
from matchmaking.models import User
from matchmaking.notifications import Description
from matchmaking.notifications import Subject
from matchmaking.notifications import register_subject
from matchmaking.notifications.reminders import Due
from matchmaking.notifications.reminders import highest_passed
from matchmaking.notifications.reminders import register_rule
from matchmaking.notifications.reminders import register_still
from matchmaking.notifications.subjects import is_reminder
from roundtable import selectors
from roundtable.enums import MeetingState
from roundtable.enums import PitchState
from roundtable.models import Commitment
from roundtable.models import Meeting
from roundtable.models import Pitch
from roundtable.services import commitments

# An accepted meeting is reminded to both sides this long before it starts.
MEETING_AHEAD = dt.timedelta(hours=24)
# An accepted pitch not yet confirmed: its presenter is reminded after these
# many days from the release of the decisions (until the event starts).
PITCH_CONFIRM_DAYS = (3, 7)


def meetings_soon(now: dt.datetime) -> list[Due]:
    """Accepted meetings starting within the next 24 hours (once per start time)."""
    rows = Meeting.objects.filter(
        state=MeetingState.ACCEPTED,
        starts_at__gt=now,
        starts_at__lte=now + MEETING_AHEAD,
    ).order_by("pk")
    return [
        Due(
            meeting,
            f"{meeting.pk}:{meeting.starts_at:%Y%m%dT%H%M}",
            {"reminder": "meeting", "hours": 24},
        )
        for meeting in rows
        if meeting.starts_at is not None
    ]


def pitches_unconfirmed(now: dt.datetime) -> list[Due]:
    """Accepted pitches whose presenter has not confirmed 3, then 7 days after
    the decisions went out, while the event is still ahead."""
    rows = (
        Pitch.objects.filter(
            state=PitchState.ACCEPTED,
            confirmed_at__isnull=True,
            event__call_for_pitches__decisions_released_at__isnull=False,
            event__starts_on__gt=timezone.localdate(now),
        )
        .select_related("event__call_for_pitches")
        .order_by("pk")
    )
    found = []
    for pitch in rows:
        released = pitch.event.call_for_pitches.decisions_released_at
        days = (
            None
            if released is None
            else (highest_passed(released, now, PITCH_CONFIRM_DAYS))
        )
        if days is not None:
            found.append(
                Due(pitch, f"{pitch.pk}:{days}d", {"reminder": "pitch", "days": days})
            )
    return found


def _meeting(event: OutboxEvent) -> Meeting | None:
    return (
        Meeting.objects.select_related("pitch", "member_state__country")
        .filter(pk=event.subject_id)
        .first()
    )


def _meeting_audience(event: OutboxEvent) -> list[User]:
    meeting = _meeting(event)
    if meeting is None:
        return []
    # The same people meetings_visible_to lets see the meeting.
    rule = (
        Q(memberships__member_state_id=meeting.member_state_id)
        | Q(memberships__provider_id=meeting.pitch.provider_id)
        | Q(pk=meeting.presenter_id)
        | Q(pk=meeting.pitch.presenter_id)
    )
    return list(User.objects.filter(rule, is_active=True).distinct().order_by("pk"))


def _meeting_may_see(user: User, event: OutboxEvent) -> bool:
    return selectors.meetings_visible_to(user=user).filter(pk=event.subject_id).exists()


def _meeting_describe(event: OutboxEvent) -> Description | None:
    meeting = _meeting(event)
    if meeting is None:
        return None
    names = {"state": meeting.member_state, "pitch": meeting.pitch.title}
    if is_reminder(event, "meeting") and meeting.starts_at is not None:
        # The reader's time zone is active when their mail is written.
        when = timezone.localtime(meeting.starts_at)
        title = _(
            "Reminder: your meeting %(state)s ↔ %(pitch)s is on %(when)s (%(zone)s)"
        ) % {
            **names,
            "when": formats.date_format(when, "DATETIME_FORMAT"),
            "zone": timezone.get_current_timezone_name(),
        }
    else:
        title = _("%(what)s: %(state)s ↔ %(pitch)s") % {
            **names,
            "what": EventKind(event.kind).label,
        }
    return Description(title=title, url=reverse("meeting-list"))


def _pitch_audience(event: OutboxEvent) -> list[User]:
    pitch = Pitch.objects.filter(pk=event.subject_id).first()
    if pitch is None:
        return []
    if is_reminder(event, "pitch") and pitch.presenter_id is not None:
        # The confirmation is the presenter's to give: the presenter alone,
        # unless the account is gone (then the provider's people).
        presenter = list(User.objects.filter(pk=pitch.presenter_id, is_active=True))
        if presenter:
            return presenter
    rule = Q(memberships__provider_id=pitch.provider_id) | Q(pk=pitch.presenter_id)
    return list(User.objects.filter(rule, is_active=True).distinct().order_by("pk"))


def _pitch_may_see(user: User, event: OutboxEvent) -> bool:
    return selectors.pitches_visible_to(user=user).filter(pk=event.subject_id).exists()


def _kind_and_title(event: OutboxEvent, title: str) -> str:
    """ "Meeting requested: <title>": what happened, and to what."""
    return _("%(what)s: %(need)s") % {
        "what": EventKind(event.kind).label,
        "need": title,
    }


def _pitch_describe(event: OutboxEvent) -> Description | None:
    pitch = Pitch.objects.filter(pk=event.subject_id).only("pk", "title").first()
    if pitch is None:
        return None
    if is_reminder(event, "pitch"):
        title = _("Action required: confirm that you will present %(pitch)s") % {
            "pitch": pitch.title
        }
    else:
        title = _kind_and_title(event, pitch.title)
    return Description(title=title, url=reverse("pitch-detail", args=[pitch.pk]))


def _commitment_audience(event: OutboxEvent) -> list[User]:
    commitment = Commitment.objects.filter(pk=event.subject_id).first()
    if commitment is None:
        return []
    return list(
        User.objects.filter(
            memberships__provider_id=commitment.provider_id, is_active=True
        )
        .distinct()
        .order_by("pk")
    )


def _commitment_may_see(user: User, event: OutboxEvent) -> bool:
    # Commitments are public: anyone may see one that still exists.
    return Commitment.objects.filter(pk=event.subject_id).exists()


def _commitment_describe(event: OutboxEvent) -> Description | None:
    commitment = (
        Commitment.objects.filter(pk=event.subject_id).only("ref", "title").first()
    )
    if commitment is None:
        return None
    if event.kind == EventKind.REMINDER:
        title = _("A progress report is due: %(commitment)s") % {
            "commitment": commitment.title
        }
    else:
        title = _kind_and_title(event, commitment.title)
    return Description(
        title=title, url=reverse("commitment-detail", args=[commitment.ref])
    )


def register() -> None:
    """Tell the outbox how to deliver events about meetings and pitches."""
    register_rule("meeting", meetings_soon)
    register_rule("pitch", pitches_unconfirmed)
    register_still(commitments.REMINDER, commitments.reports_still_due)
    register_subject(
        "meeting",
        Subject(
            audience=_meeting_audience,
            may_see=_meeting_may_see,
            describe=_meeting_describe,
        ),
    )
    register_subject(
        "commitment",
        Subject(
            audience=_commitment_audience,
            may_see=_commitment_may_see,
            describe=_commitment_describe,
        ),
    )
    register_subject(
        "pitch",
        Subject(
            audience=_pitch_audience, may_see=_pitch_may_see, describe=_pitch_describe
        ),
    )
