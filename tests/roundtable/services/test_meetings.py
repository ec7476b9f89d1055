"""Follow-up meetings: requests, answers, booking without double booking,
expiry, and how a meeting moves a match along."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError
from django.db import transaction
from django.utils import timezone

from matchmaking.enums import MatchStatus
from matchmaking.enums import Visibility
from matchmaking.models import Match
from matchmaking.models import MatchEvent
from roundtable import selectors
from roundtable import services
from roundtable.enums import MeetingState
from roundtable.enums import PitchState
from roundtable.models import Meeting
from tests.factories import NeedFactory
from tests.roundtable.conftest import close_call
from tests.roundtable.conftest import make_pitch
from tests.roundtable.conftest import suggested_match

M = MeetingState


@pytest.fixture
def pitch(cast):
    close_call(cast, release=True)
    return make_pitch(cast, state=PitchState.SCHEDULED)


@pytest.fixture
def other_pitch(cast, pitch):
    return make_pitch(
        cast, state=PitchState.SCHEDULED, provider=cast.other_provider, title="Cloud"
    )


def request(cast, pitch, **kwargs):
    return services.request_meeting(
        user=kwargs.pop("user", cast.delegate),
        pitch=pitch,
        member_state=kwargs.pop("member_state", cast.state),
        message=kwargs.pop("message", "Can we talk about our CSIRT?"),
        **kwargs,
    )


def make_meeting(cast, pitch, state: str) -> Meeting:
    meeting = request(cast, pitch)
    if state == M.ACCEPTED:
        services.accept_meeting(user=cast.presenter, meeting=meeting)
    elif state != M.REQUESTED:
        Meeting.objects.filter(pk=meeting.pk).update(state=state)
    meeting.refresh_from_db()
    return meeting


def act(action: str, cast, meeting: Meeting):
    if action == "accept":
        return services.accept_meeting(user=cast.presenter, meeting=meeting)
    if action == "decline":
        return services.decline_meeting(
            user=cast.presenter, meeting=meeting, reason="Fully booked."
        )
    if action == "cancel":
        return services.cancel_meeting(user=cast.delegate, meeting=meeting)
    raise AssertionError(action)


MEETING_TRANSITIONS = {
    "accept": ({M.REQUESTED}, M.ACCEPTED),
    "decline": ({M.REQUESTED}, M.DECLINED),
    "cancel": ({M.REQUESTED, M.ACCEPTED}, M.CANCELLED),
}


@pytest.mark.parametrize("state", list(MeetingState))
@pytest.mark.parametrize("action", list(MEETING_TRANSITIONS))
def test_each_meeting_transition_is_legal_only_from_its_states(
    cast, pitch, action, state
):
    sources, target = MEETING_TRANSITIONS[action]
    meeting = make_meeting(cast, pitch, state)
    before = Meeting.objects.values().get(pk=meeting.pk)
    if state in sources:
        act(action, cast, meeting)
        meeting.refresh_from_db()
        assert meeting.state == target
    else:
        with pytest.raises(ValidationError) as refused:
            act(action, cast, meeting)
        assert "state" in refused.value.message_dict
        assert Meeting.objects.values().get(pk=meeting.pk) == before


@pytest.mark.parametrize("state", list(MeetingState))
def test_only_unanswered_requests_past_their_deadline_expire(cast, pitch, state):
    meeting = make_meeting(cast, pitch, state)
    later = meeting.expires_at + dt.timedelta(seconds=1)
    assert (
        services.expire_meeting_requests(
            now=meeting.expires_at - dt.timedelta(seconds=1)
        )
        == 0
    )
    expired = services.expire_meeting_requests(now=later)
    meeting.refresh_from_db()
    if state == M.REQUESTED:
        assert (expired, meeting.state) == (1, M.EXPIRED)
    else:
        assert (expired, meeting.state) == (0, state)


def test_the_command_expires_requests(cast, pitch):
    meeting = request(cast, pitch)
    Meeting.objects.filter(pk=meeting.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    call_command("expire_meeting_requests")
    meeting.refresh_from_db()
    assert meeting.state == M.EXPIRED


def test_an_expired_request_cannot_be_accepted(cast, pitch):
    meeting = request(cast, pitch)
    Meeting.objects.filter(pk=meeting.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    with pytest.raises(ValidationError) as refused:
        services.accept_meeting(user=cast.presenter, meeting=meeting)
    assert refused.value.messages == ["This request has expired."]


def test_a_request_answers_within_72_hours(cast, pitch):
    before = timezone.now()
    meeting = request(cast, pitch)
    assert before + dt.timedelta(hours=72) <= meeting.expires_at
    assert meeting.expires_at <= timezone.now() + dt.timedelta(hours=72)


def test_accepting_books_the_first_free_table_for_both_people(cast, pitch):
    meeting = request(cast, pitch)
    services.accept_meeting(user=cast.presenter, meeting=meeting)
    meeting.refresh_from_db()
    assert (meeting.state, meeting.slot, meeting.presenter) == (
        M.ACCEPTED,
        cast.meeting_slots[0],
        cast.presenter,
    )
    assert (meeting.starts_at, meeting.ends_at) == (
        cast.meeting_slots[0].starts_at,
        cast.meeting_slots[0].ends_at,
    )
    assert (
        list(selectors.free_meeting_slots(event=cast.event)) == (cast.meeting_slots[1:])
    )


def test_no_person_is_booked_twice_at_the_same_time(cast, pitch, other_pitch):
    # Kenya meets the presenter first; Senegal's meeting with the same
    # presenter goes to the next round, although table 2 is free at 15:00.
    first = request(
        cast, pitch, user=cast.other_delegate, member_state=cast.other_state
    )
    services.accept_meeting(user=cast.presenter, meeting=first)
    second = request(cast, pitch)
    services.accept_meeting(user=cast.presenter, meeting=second)
    # The Senegal delegate is now busy at 15:30: Kestrel's meeting goes to 15:00.
    third = request(cast, other_pitch)
    services.accept_meeting(user=cast.other_member, meeting=third)
    booked = [
        (m.member_state.country.iso3, m.pitch.title, m.slot.location, m.starts_at)
        for m in Meeting.objects.order_by("starts_at", "slot__location")
    ]
    slots = cast.meeting_slots
    assert booked == [
        ("KEN", pitch.title, "Table 1", slots[0].starts_at),
        ("SEN", "Cloud", "Table 2", slots[1].starts_at),
        ("SEN", pitch.title, "Table 1", slots[2].starts_at),
    ]


def test_a_taken_table_or_a_busy_person_refuses_the_chosen_slot(
    cast, pitch, other_pitch
):
    first = request(cast, pitch)
    services.accept_meeting(
        user=cast.presenter, meeting=first, slot=cast.meeting_slots[0]
    )
    other = request(
        cast, other_pitch, user=cast.other_delegate, member_state=cast.other_state
    )
    for slot in (cast.meeting_slots[0],):
        with pytest.raises(ValidationError) as refused:
            services.accept_meeting(user=cast.other_member, meeting=other, slot=slot)
        assert refused.value.message_dict == {
            "slot": ["This slot is taken, or one of you is busy then."]
        }
    second = request(cast, other_pitch)  # Senegal again, busy at 15:00
    with pytest.raises(ValidationError):
        services.accept_meeting(
            user=cast.other_member, meeting=second, slot=cast.meeting_slots[1]
        )
    other.refresh_from_db()
    second.refresh_from_db()
    assert (other.state, second.state) == (M.REQUESTED, M.REQUESTED)


def test_the_database_refuses_two_meetings_in_one_slot(cast, pitch, other_pitch):
    first = request(cast, pitch)
    services.accept_meeting(user=cast.presenter, meeting=first)
    first.refresh_from_db()
    other = request(
        cast, other_pitch, user=cast.other_delegate, member_state=cast.other_state
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.filter(pk=other.pk).update(
            state=M.ACCEPTED,
            slot=first.slot,
            presenter=cast.other_member,
            starts_at=first.starts_at,
            ends_at=first.ends_at,
        )


def test_when_every_table_is_taken_the_presenter_is_told(cast, pitch):
    cast.meeting_slots[0].session.slots.all().delete()
    meeting = request(cast, pitch)
    with pytest.raises(ValidationError) as refused:
        services.accept_meeting(user=cast.presenter, meeting=meeting)
    assert refused.value.messages == ["No meeting slot is free for both of you."]


def test_only_the_states_own_delegates_request_and_only_the_presenter_answers(
    cast, pitch
):
    with pytest.raises(PermissionDenied):
        request(cast, pitch, user=cast.other_delegate)
    meeting = request(cast, pitch)
    for user in (cast.delegate, cast.colleague, cast.other_member, cast.curator):
        with pytest.raises(PermissionDenied):
            services.accept_meeting(user=user, meeting=meeting)
        with pytest.raises(PermissionDenied):
            services.decline_meeting(user=user, meeting=meeting)
    with pytest.raises(PermissionDenied):
        services.cancel_meeting(user=cast.other_delegate, meeting=meeting)
    meeting.refresh_from_db()
    assert meeting.state == M.REQUESTED


def test_one_open_request_per_state_and_pitch(cast, pitch):
    request(cast, pitch)
    with pytest.raises(ValidationError) as refused:
        request(cast, pitch)
    assert refused.value.messages == [
        "Your delegation already has a meeting with this presenter."
    ]


@pytest.mark.parametrize(
    "state", [PitchState.SUBMITTED, PitchState.REJECTED, PitchState.WITHDRAWN]
)
def test_meetings_are_asked_only_of_public_pitches(cast, state):
    close_call(cast, release=True)
    pitch = make_pitch(cast, state=state)
    with pytest.raises(ValidationError):
        request(cast, pitch)
    assert not Meeting.objects.exists()


def test_the_need_must_be_the_states_and_the_programme_the_pitchs(cast, pitch):
    foreign = NeedFactory(member_state=cast.other_state)
    with pytest.raises(ValidationError) as refused:
        request(cast, pitch, need=foreign)
    assert refused.value.message_dict == {
        "need": ["Choose an open need of your state."]
    }
    with pytest.raises(ValidationError) as refused:
        request(cast, pitch, programme=cast.other_programme)
    assert refused.value.message_dict == {
        "programme": ["Choose a programme presented in this pitch."]
    }


def test_a_meeting_moves_its_match_from_suggested_to_introduced(cast, pitch):
    match = suggested_match(cast)
    meeting = request(cast, pitch, need=cast.need, programme=cast.programme)
    match.refresh_from_db()
    # The roundtable took the engine's suggestion up (the funnel's origin).
    assert (match.status, match.origin) == (MatchStatus.INTEREST, "roundtable")
    services.accept_meeting(user=cast.presenter, meeting=meeting)
    match.refresh_from_db()
    assert match.status == MatchStatus.INTRODUCED
    assert list(
        MatchEvent.objects.filter(match=match).values_list(
            "from_status", "to_status", "actor__username"
        )
    ) == [
        ("suggested", "interest", "delegate"),
        ("interest", "introduced", "presenter"),
    ]


def test_a_curator_creates_the_match_a_meeting_is_about(cast, pitch):
    meeting = request(cast, pitch, need=cast.need, programme=cast.programme)
    assert not Match.objects.exists()
    with pytest.raises(PermissionDenied):
        services.record_meeting_match(user=cast.presenter, meeting=meeting, note="x")
    match = services.record_meeting_match(
        user=cast.curator, meeting=meeting, note="Met at the roundtable."
    )
    assert (match.need, match.programme, match.origin, match.status) == (
        cast.need,
        cast.programme,
        "roundtable",
        MatchStatus.SUGGESTED,
    )


def test_requests_and_answers_are_mailed(
    cast, pitch, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        meeting = request(cast, pitch)
    with django_capture_on_commit_callbacks(execute=True):
        services.decline_meeting(user=cast.presenter, meeting=meeting, reason="Sorry.")
    assert [(m.subject, m.to) for m in mailoutbox] == [
        ("Meeting request: Senegal", ["presenter@example.org"]),
        (f"Meeting request declined: {pitch.title}", ["delegate@example.org"]),
    ]
    assert mailoutbox[1].body == "Sorry."


def test_withdrawing_a_pitch_cancels_its_open_requests(cast, pitch):
    meeting = request(cast, pitch)
    services.withdraw_pitch(user=cast.presenter, pitch=pitch)
    meeting.refresh_from_db()
    assert (meeting.state, meeting.response_note) == (
        M.CANCELLED,
        "The pitch was withdrawn.",
    )


def test_each_side_sees_its_meetings_and_schedule(cast, pitch, other_pitch):
    mine = request(cast, pitch)
    services.accept_meeting(user=cast.presenter, meeting=mine)
    theirs = request(
        cast, other_pitch, user=cast.other_delegate, member_state=cast.other_state
    )

    def visible(user):
        return sorted(m.pk for m in selectors.meetings_visible_to(user=user))

    assert visible(cast.delegate) == [mine.pk]
    assert visible(cast.presenter) == [mine.pk]
    assert visible(cast.other_member) == [theirs.pk]
    assert visible(cast.curator) == sorted([mine.pk, theirs.pk])
    assert visible(cast.outsider) == []
    assert [m.pk for m in selectors.meeting_schedule_of(user=cast.delegate)] == [
        mine.pk
    ]
    assert [m.pk for m in selectors.meeting_schedule_of(user=cast.other_delegate)] == []


# --- a need named in a request (issue 14, finding 10) -------------------------------


def test_a_need_the_presenters_provider_may_not_see_is_refused(cast, pitch):
    need = cast.need
    need.visibility = Visibility.CONFIDENTIAL
    need.save(update_fields=["visibility"])

    with pytest.raises(ValidationError) as refused:
        request(cast, pitch, need=need)

    assert refused.value.message_dict == {
        "need": ["Choose an open need of your state."]
    }
    assert not Meeting.objects.exists()

    need.shared_with.set([pitch.provider])
    meeting = request(cast, pitch, need=need)
    assert meeting.need == need


def test_the_presenter_side_sees_a_named_need_only_if_it_may_see_the_need(cast, pitch):
    meeting = request(cast, pitch, need=cast.need)
    # The state makes the need confidential after asking.
    type(cast.need).objects.filter(pk=cast.need.pk).update(
        visibility=Visibility.CONFIDENTIAL
    )

    seen = {
        user.username: selectors.meetings_visible_to(user=user).get(pk=meeting.pk)
        for user in (cast.presenter, cast.delegate, cast.curator)
    }

    assert {name: m.need_shown for name, m in seen.items()} == {
        "presenter": False,
        "delegate": True,
        "curator": True,
    }
