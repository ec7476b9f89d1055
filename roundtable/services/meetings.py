"""Bilateral meetings: requests, answers, expiry and the match a meeting records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import cast

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db import transaction
from django.db.models import Max
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from matchmaking import notifications
from matchmaking import selectors as mm_selectors
from matchmaking import services as mm_services
from matchmaking.audit import set_change_reason
from matchmaking.enums import ACTIVE_NEED_STATUSES
from matchmaking.enums import MatchOrigin
from matchmaking.enums import MatchStatus
from matchmaking.models import Category
from matchmaking.models import EventKind
from matchmaking.models import Match
from matchmaking.models import MemberState
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.models import User
from roundtable import selectors
from roundtable.enums import REQUESTABLE_PITCH_STATES
from roundtable.enums import MeetingState
from roundtable.enums import SlotKind
from roundtable.models import Event
from roundtable.models import Meeting
from roundtable.models import Pitch
from roundtable.models import TimeSlot
from roundtable.services.common import MEETING_REQUEST_TTL
from roundtable.services.common import _illegal
from roundtable.services.common import _locked_pitch
from roundtable.services.common import _queue_mail
from roundtable.services.common import _require_curator
from roundtable.services.pitches import _is_public
from roundtable.services.pitches import _pitch_contacts


def _request_expiry(pitch: Pitch, now: dt.datetime) -> dt.datetime:
    """Answer within the TTL, and before the event's last meeting slot starts."""
    last = (
        TimeSlot.objects.filter(session__event_id=pitch.event_id, kind=SlotKind.MEETING)
        .aggregate(last=Max("starts_at"))
        .get("last")
    )
    expiry = now + MEETING_REQUEST_TTL
    if last is not None:
        if last <= now:
            raise ValidationError(_("No meeting slots remain at this event."))
        expiry = min(expiry, last)
    return expiry


def _match_for(meeting: Meeting) -> Match | None:
    if not (meeting.need_id and meeting.programme_id):
        return None
    return Match.objects.filter(
        need_id=meeting.need_id, programme_id=meeting.programme_id
    ).first()


def _taken_up_at_roundtable(match: Match) -> None:
    """An engine suggestion a meeting first takes up counts as the roundtable's
    (the conversion funnel's origin)."""
    if match.origin == MatchOrigin.ENGINE:
        Match.objects.filter(pk=match.pk).update(origin=MatchOrigin.ROUNDTABLE)
        match.origin = MatchOrigin.ROUNDTABLE


def _need_visible_to_both(need: Need, *, user: User, pitch: Pitch) -> bool:
    """The requester may see the need, and so may the pitch's provider: the
    meeting shows it to the presenter's side."""
    return (
        mm_selectors.needs_visible_to(user=user, with_tags=False)
        .filter(pk=need.pk)
        .exists()
        and mm_selectors.needs_visible_to_provider(provider_id=pitch.provider_id)
        .filter(pk=need.pk)
        .exists()
    )


@transaction.atomic
def request_meeting(
    *,
    user: User,
    pitch: Pitch,
    member_state: MemberState,
    message: str = "",
    need: Need | None = None,
    programme: Programme | None = None,
) -> Meeting:
    """A member state's delegate asks the presenter of a pitch for a meeting.

    Naming a need of the state and a programme of the pitch ties the meeting
    to their match: a suggested match moves to "interest expressed".
    """
    if member_state.pk not in mm_selectors.member_state_ids(user=user):
        raise PermissionDenied
    pitch = _locked_pitch(pitch)
    if pitch.state not in REQUESTABLE_PITCH_STATES or not _is_public(pitch):
        raise _illegal(pitch, _("asked for a meeting"))
    if need is not None and (
        need.member_state_id != member_state.pk
        or need.status not in ACTIVE_NEED_STATUSES
        or not _need_visible_to_both(need, user=user, pitch=pitch)
    ):
        raise ValidationError({"need": _("Choose an open need of your state.")})
    if programme is not None and not pitch.programmes.filter(pk=programme.pk).exists():
        raise ValidationError(
            {"programme": _("Choose a programme presented in this pitch.")}
        )
    if Meeting.objects.filter(
        pitch=pitch,
        member_state=member_state,
        state__in=(MeetingState.REQUESTED, MeetingState.ACCEPTED),
    ).exists():
        raise ValidationError(
            _("Your delegation already has a meeting with this presenter.")
        )
    now = timezone.now()
    meeting = Meeting(
        pitch=pitch,
        member_state=member_state,
        requested_by=user,
        need=need,
        programme=programme,
        message=message,
        expires_at=_request_expiry(pitch, now),
    )
    meeting.full_clean()
    meeting.save()
    notifications.record(EventKind.MEETING_REQUESTED, meeting, actor=user)
    match = _match_for(meeting)
    if match is not None and match.status == MatchStatus.SUGGESTED:
        _taken_up_at_roundtable(match)
        mm_services.transition_match(
            user=user,
            match=match,
            action="express_interest",
            note=_("Meeting requested at %(event)s.") % {"event": pitch.event.name},
        )
    _queue_mail(
        lambda: (
            _("Meeting request: %(state)s") % {"state": member_state},
            _(
                "The delegation of %(state)s asks to meet you about your pitch "
                '"%(title)s".\n\n%(message)s\n\nPlease answer by %(expires)s.'
            )
            % {
                "state": member_state,
                "title": pitch.title,
                "message": message,
                "expires": timezone.localtime(meeting.expires_at).isoformat(
                    timespec="minutes"
                ),
            },
        ),
        _pitch_contacts(pitch),
        category=Category.MEETINGS,
    )
    return meeting


def _locked_meeting(meeting: Meeting) -> Meeting:
    return (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("pitch")
        .get(pk=meeting.pk)
    )


def _can_answer(user: User, pitch: Pitch) -> bool:
    return (
        user.is_authenticated
        and user.is_active
        and selectors.answers_meeting_requests(user=user, pitch=pitch)
    )


def _person_busy(user_id: int, starts_at: dt.datetime, ends_at: dt.datetime) -> bool:
    return Meeting.objects.filter(
        Q(presenter_id=user_id) | Q(requested_by_id=user_id),
        state=MeetingState.ACCEPTED,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    ).exists()


def _slot_free_for(slot: TimeSlot, people: Iterable[int]) -> bool:
    if Meeting.objects.filter(slot=slot, state=MeetingState.ACCEPTED).exists():
        return False
    return not any(_person_busy(pk, slot.starts_at, slot.ends_at) for pk in people)


@transaction.atomic
def accept_meeting(
    *, user: User, meeting: Meeting, slot: TimeSlot | None = None
) -> Meeting:
    """The presenter accepts and the meeting takes a free table.

    Bookings of one event are serialised by locking the event row (and the
    chosen slot), so concurrent acceptances cannot take the same table or book
    a person twice; the database's unique constraints are the backstop.
    """
    pitch = Pitch.objects.select_related("event").get(pk=meeting.pitch_id)
    if not _can_answer(user, pitch):
        raise PermissionDenied
    Event.objects.select_for_update().get(pk=pitch.event_id)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.state != MeetingState.REQUESTED:
        raise _illegal(meeting, _("accepted"))
    now = timezone.now()
    if meeting.expires_at <= now:
        raise ValidationError(_("This request has expired."))
    presenter_id = pitch.presenter_id or user.pk
    people = {presenter_id, meeting.requested_by_id}
    free = TimeSlot.objects.filter(
        session__event_id=pitch.event_id, kind=SlotKind.MEETING, starts_at__gt=now
    ).order_by("starts_at", "location", "id")
    if slot is not None:
        chosen = free.select_for_update(of=("self",)).filter(pk=slot.pk).first()
        if chosen is None:
            raise ValidationError(
                {"slot": _("Choose a future meeting slot of this event.")}
            )
        if not _slot_free_for(chosen, people):
            raise ValidationError(
                {"slot": _("This slot is taken, or one of you is busy then.")}
            )
    else:
        chosen = next((s for s in free if _slot_free_for(s, people)), None)
        if chosen is None:
            raise ValidationError(_("No meeting slot is free for both of you."))
    meeting.state = MeetingState.ACCEPTED
    meeting.presenter_id = presenter_id
    meeting.slot = chosen
    meeting.starts_at = chosen.starts_at
    meeting.ends_at = chosen.ends_at
    meeting.responded_at = now
    set_change_reason(meeting, "accepted")
    try:
        with transaction.atomic():
            meeting.save(
                update_fields=[
                    "state",
                    "presenter",
                    "slot",
                    "starts_at",
                    "ends_at",
                    "responded_at",
                    "updated_at",
                ]
            )
    except IntegrityError:
        raise ValidationError(
            _("This slot is taken, or one of you is busy then.")
        ) from None
    _advance_match(meeting, acceptor=user)
    notifications.record(EventKind.MEETING_ACCEPTED, meeting, actor=user)
    _queue_mail(
        lambda: (
            _("Meeting accepted: %(title)s") % {"title": pitch.title},
            _("%(presenter)s will meet your delegation at %(when)s, %(where)s.")
            % {
                "presenter": pitch.presenter_name,
                "when": timezone.localtime(chosen.starts_at).isoformat(
                    timespec="minutes"
                ),
                "where": chosen.location,
            },
        ),
        [meeting.requested_by.email],
        category=Category.MEETINGS,
    )
    return meeting


def _advance_match(meeting: Meeting, *, acceptor: User) -> None:
    """An accepted meeting is an introduction: move the need's match along."""
    match = _match_for(meeting)
    if match is None:
        return
    note = _("Follow-up meeting booked at the roundtable.")
    if match.status == MatchStatus.SUGGESTED:
        _taken_up_at_roundtable(match)
        match = mm_services.transition_match(
            user=meeting.requested_by, match=match, action="express_interest", note=note
        )
    if match.status == MatchStatus.INTEREST and "introduce" in (
        mm_services.allowed_match_actions(user=acceptor, match=match)
    ):
        mm_services.transition_match(
            user=acceptor, match=match, action="introduce", note=note
        )


def _close_meeting(meeting: Meeting, state: MeetingState, reason: str) -> None:
    """The meeting ends in ``state`` (declined, cancelled) with the reason given."""
    meeting.state = state
    set_change_reason(meeting, state.value)
    meeting.response_note = reason
    meeting.responded_at = timezone.now()
    meeting.save(update_fields=["state", "response_note", "responded_at", "updated_at"])


@transaction.atomic
def decline_meeting(*, user: User, meeting: Meeting, reason: str = "") -> Meeting:
    """The presenter declines a request."""
    meeting = _locked_meeting(meeting)
    if not _can_answer(user, meeting.pitch):
        raise PermissionDenied
    if meeting.state != MeetingState.REQUESTED:
        raise _illegal(meeting, _("declined"))
    _close_meeting(meeting, MeetingState.DECLINED, reason)
    notifications.record(
        EventKind.MEETING_CANCELLED, meeting, actor=user, payload={"state": "declined"}
    )
    _queue_mail(
        lambda: (
            _("Meeting request declined: %(title)s") % {"title": meeting.pitch.title},
            reason or _("The presenter cannot meet your delegation this time."),
        ),
        [meeting.requested_by.email],
        category=Category.MEETINGS,
    )
    return meeting


@transaction.atomic
def cancel_meeting(*, user: User, meeting: Meeting, reason: str = "") -> Meeting:
    """Either side calls off a requested or accepted meeting; its table is freed."""
    meeting = _locked_meeting(meeting)
    requester_side = meeting.member_state_id in mm_selectors.member_state_ids(user=user)
    presenter_side = _can_answer(user, meeting.pitch) or meeting.presenter_id == user.pk
    if not (requester_side or presenter_side or mm_selectors.is_curator(user)):
        raise PermissionDenied
    if meeting.state not in (MeetingState.REQUESTED, MeetingState.ACCEPTED):
        raise _illegal(meeting, _("cancelled"))
    _close_meeting(meeting, MeetingState.CANCELLED, reason)
    notifications.record(
        EventKind.MEETING_CANCELLED, meeting, actor=user, payload={"state": "cancelled"}
    )
    return meeting


def expire_meeting_requests(*, now: dt.datetime | None = None) -> int:
    """Requests left unanswered past their deadline expire; returns how many."""
    now = now or timezone.now()
    return Meeting.objects.filter(
        state=MeetingState.REQUESTED, expires_at__lte=now
    ).update(state=MeetingState.EXPIRED, updated_at=now)


@transaction.atomic
def record_meeting_match(*, user: User, meeting: Meeting, note: str) -> Match:
    """A curator turns a meeting about a need and a programme into a match."""
    _require_curator(user)
    if not (meeting.need_id and meeting.programme_id):
        raise ValidationError(_("This meeting names no need and programme."))
    existing = _match_for(meeting)
    if existing is not None:
        return existing
    # Both are set (checked by id above, without loading them).
    return mm_services.propose_match(
        user=user,
        need=cast("Need", meeting.need),
        programme=cast("Programme", meeting.programme),
        note=note,
        origin=MatchOrigin.ROUNDTABLE,
    )
