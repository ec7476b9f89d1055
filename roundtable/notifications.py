"""Roundtable's subjects in the notification outbox: meetings and pitches.

Registered from ``RoundtableConfig.ready`` (matchmaking never imports roundtable).
"""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from matchmaking.models import EventKind, OutboxEvent, User
from matchmaking.notifications import Description, Subject, register_subject
from roundtable import selectors
from roundtable.models import Commitment, Meeting, Pitch


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
    return Description(
        title=_("%(what)s: %(state)s ↔ %(pitch)s")
        % {
            "what": EventKind(event.kind).label,
            "state": meeting.member_state,
            "pitch": meeting.pitch.title,
        },
        url=reverse("meeting-list"),
    )


def _pitch_audience(event: OutboxEvent) -> list[User]:
    pitch = Pitch.objects.filter(pk=event.subject_id).first()
    if pitch is None:
        return []
    rule = Q(memberships__provider_id=pitch.provider_id) | Q(pk=pitch.presenter_id)
    return list(User.objects.filter(rule, is_active=True).distinct().order_by("pk"))


def _pitch_may_see(user: User, event: OutboxEvent) -> bool:
    return selectors.pitches_visible_to(user=user).filter(pk=event.subject_id).exists()


def _pitch_describe(event: OutboxEvent) -> Description | None:
    pitch = Pitch.objects.filter(pk=event.subject_id).only("pk", "title").first()
    if pitch is None:
        return None
    return Description(
        title=_("%(what)s: %(need)s")
        % {"what": EventKind(event.kind).label, "need": pitch.title},
        url=reverse("pitch-detail", args=[pitch.pk]),
    )


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
        title = _("%(what)s: %(need)s") % {
            "what": EventKind(event.kind).label,
            "need": commitment.title,
        }
    return Description(
        title=title, url=reverse("commitment-detail", args=[commitment.ref])
    )


def register() -> None:
    """Tell the outbox how to deliver events about meetings and pitches."""
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
