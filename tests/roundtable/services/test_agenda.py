"""Scheduling accepted pitches, manual reordering, versioned publication,
the JSON agenda, and who may download a deck."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError

from roundtable import selectors
from roundtable import services
from roundtable.enums import PitchState
from roundtable.enums import SlotKind
from roundtable.models import AgendaVersion
from roundtable.models import Pitch
from roundtable.models import TimeSlot
from tests.factories import MembershipFactory
from tests.factories import ProgrammeFactory
from tests.factories import ProviderFactory
from tests.factories import ReviewFactory
from tests.factories import UserFactory
from tests.roundtable.conftest import close_call
from tests.roundtable.conftest import make_pitch

S = PitchState


def add_pitch(cast, n: int, *, state=S.CONFIRMED, topics=("csirt-establishment",)):
    provider = ProviderFactory(ref=f"p{n}", name=f"Provider {n}")
    programme = ProgrammeFactory(provider=provider, topics=list(topics))
    return make_pitch(
        cast,
        state=state,
        provider=provider,
        programmes=[programme],
        title=f"Pitch {n}",
        deck=False,
    )


def running_order(session) -> list[tuple[str, str]]:
    return [
        (
            slot.starts_at.astimezone(session.starts_at.tzinfo).strftime("%H:%M"),
            slot.pitch.title,
        )
        for slot in TimeSlot.objects.filter(session=session, kind=SlotKind.PITCH)
        .select_related("pitch")
        .order_by("starts_at")
    ]


def test_schedule_groups_by_theme_best_reviewed_first_and_reports_overflow(cast):
    close_call(cast, release=True)
    add_pitch(cast, 1, topics=("national-strategy",))
    csirt_low = add_pitch(cast, 2)
    csirt_high = add_pitch(cast, 3)
    add_pitch(cast, 4, topics=("cybercrime-legislation",), state=S.ACCEPTED)
    ReviewFactory(pitch=csirt_high, relevance=5, clarity=5, feasibility=5, reach=5)
    ReviewFactory(pitch=csirt_low, relevance=2, clarity=2, feasibility=2, reach=2)
    add_pitch(cast, 5, state=S.SUBMITTED)
    add_pitch(cast, 6, state=S.REJECTED)
    # 30 minutes from 10:30 with a 10-minute introduction: 5 slots of 3+1 min.
    plan = services.schedule_pitches(
        user=cast.curator, session=cast.matchmaking, lead_in_seconds=600
    )
    assert plan.overflow == ()
    assert running_order(cast.matchmaking) == [
        ("10:40", "Pitch 1"),
        ("10:44", "Pitch 3"),
        ("10:48", "Pitch 2"),
        ("10:52", "Pitch 4"),
    ]
    states = dict(Pitch.objects.values_list("title", "state"))
    assert states == {
        "Pitch 1": S.SCHEDULED,
        "Pitch 2": S.SCHEDULED,
        "Pitch 3": S.SCHEDULED,
        "Pitch 4": S.ACCEPTED,  # holds its place until the presenter confirms
        "Pitch 5": S.SUBMITTED,
        "Pitch 6": S.REJECTED,
    }
    assert set(
        Pitch.objects.filter(state=S.SCHEDULED).values_list("session", flat=True)
    ) == {cast.matchmaking.pk}


def test_re_ordering_keeps_the_running_orders_lead_in(cast):
    close_call(cast, release=True)
    add_pitch(cast, 1)
    services.schedule_pitches(
        user=cast.curator, session=cast.matchmaking, lead_in_seconds=600
    )
    add_pitch(cast, 2)
    # Again, as the agenda page's button does (no lead-in given).
    services.schedule_pitches(user=cast.curator, session=cast.matchmaking)
    assert [start for start, _title in running_order(cast.matchmaking)] == [
        "10:40",
        "10:44",
    ]


def test_pitches_that_do_not_fit_overflow_and_lose_their_scheduled_state(cast):
    close_call(cast, release=True)
    pitches = [add_pitch(cast, n) for n in range(1, 20)]
    plan = services.schedule_pitches(user=cast.curator, session=cast.matchmaking)
    # 60 minutes: 15 slots of 3 minutes with a 1-minute changeover.
    assert len(plan.placements) == 15
    assert plan.overflow == tuple(p.pk for p in pitches[15:])
    cast.matchmaking.ends_at = cast.matchmaking.starts_at.replace(minute=45)
    cast.matchmaking.save()
    plan = services.schedule_pitches(user=cast.curator, session=cast.matchmaking)
    assert len(plan.placements) == 4
    assert Pitch.objects.filter(state=S.SCHEDULED).count() == 4
    assert Pitch.objects.filter(state=S.CONFIRMED).count() == 15
    assert TimeSlot.objects.filter(session=cast.matchmaking).count() == 4
    last = TimeSlot.objects.filter(session=cast.matchmaking).order_by("-ends_at")[0]
    assert last.ends_at <= cast.matchmaking.ends_at


def test_staged_acceptances_are_not_scheduled(cast):
    close_call(cast)
    add_pitch(cast, 1, state=S.ACCEPTED)
    plan = services.schedule_pitches(user=cast.curator, session=cast.matchmaking)
    assert (plan.placements, plan.overflow) == ((), ())


def test_only_curators_schedule_and_only_into_matchmaking_sessions(cast):
    with pytest.raises(PermissionDenied):
        services.schedule_pitches(user=cast.presenter, session=cast.matchmaking)
    with pytest.raises(ValidationError) as refused:
        services.schedule_pitches(user=cast.curator, session=cast.breakout)
    assert refused.value.messages == ["Pitches are scheduled in a matchmaking session."]


def test_moving_a_pitch_swaps_it_with_the_one_in_its_new_slot(cast):
    close_call(cast, release=True)
    first, _second, third = (add_pitch(cast, n) for n in (1, 2, 3))
    services.schedule_pitches(user=cast.curator, session=cast.matchmaking)
    slots = list(
        TimeSlot.objects.filter(session=cast.matchmaking).order_by("starts_at")
    )
    services.move_pitch(user=cast.curator, pitch=third, slot=slots[0])
    assert [t for _, t in running_order(cast.matchmaking)] == [
        "Pitch 3",
        "Pitch 2",
        "Pitch 1",
    ]
    late = add_pitch(cast, 4)  # confirmed, without a slot
    services.move_pitch(user=cast.curator, pitch=late, slot=slots[1])
    assert [t for _, t in running_order(cast.matchmaking)] == [
        "Pitch 3",
        "Pitch 4",
        "Pitch 1",
    ]
    states = dict(Pitch.objects.values_list("title", "state"))
    assert (states["Pitch 4"], states["Pitch 2"]) == (S.SCHEDULED, S.CONFIRMED)
    with pytest.raises(ValidationError):
        services.move_pitch(user=cast.curator, pitch=first, slot=cast.meeting_slots[0])


def test_publishing_freezes_numbered_versions_of_the_public_agenda(cast):
    close_call(cast, release=True)
    pitch = make_pitch(cast, state=S.CONFIRMED)
    services.schedule_pitches(user=cast.curator, session=cast.matchmaking)
    first = services.publish_agenda(user=cast.curator, event=cast.event, note="First")
    second = services.publish_agenda(user=cast.curator, event=cast.event)
    assert [v.number for v in selectors.agenda_versions_of(event=cast.event)] == [2, 1]
    assert selectors.published_agenda(event=cast.event) == second
    snapshot = first.snapshot
    assert (snapshot["version"], snapshot["event"]["slug"]) == (1, "grt")
    assert [s["title"] for s in snapshot["sessions"]] == [
        "Opening plenary",
        "Elevator pitches",
        "ICT policies and governance structures",
        "Bilateral meetings",
    ]
    pitches = snapshot["sessions"][1]["slots"]
    assert pitches == [
        {
            "id": TimeSlot.objects.get(pitch=pitch).pk,
            "kind": "pitch",
            "starts_at": cast.matchmaking.starts_at.isoformat(),
            "ends_at": (
                cast.matchmaking.starts_at + dt.timedelta(minutes=3)
            ).isoformat(),
            "location": "",
            "pitch": {
                "id": pitch.pk,
                "title": "From a decree to a working CSIRT",
                "presenter": "Ingrid Solberg",
                "provider": "Nordic Cyber Centre",
                "provider_ref": "nordic",
                "theme": "Cyber Incident Management and Critical Infrastructure "
                "Protection",
            },
        }
    ]
    assert snapshot["sessions"][3]["slots"] == []  # meeting tables are not listed
    with pytest.raises(PermissionDenied):
        services.publish_agenda(user=cast.presenter, event=cast.event)
    assert AgendaVersion.objects.count() == 2


def test_the_public_agenda_hides_staged_decisions(cast):
    close_call(cast)
    staged = make_pitch(cast, state=S.ACCEPTED)
    TimeSlot.objects.create(
        session=cast.matchmaking,
        starts_at=cast.matchmaking.starts_at,
        ends_at=cast.matchmaking.starts_at.replace(minute=33),
        pitch=staged,
    )
    anonymous = selectors.agenda_data(user=AnonymousUser(), event=cast.event)
    curator = selectors.agenda_data(user=cast.curator, event=cast.event)
    assert anonymous["sessions"][1]["slots"][0]["pitch"] is None
    assert curator["sessions"][1]["slots"][0]["pitch"]["id"] == staged.pk
    assert list(selectors.pitches_visible_to(user=AnonymousUser())) == []
    close_call(cast, release=True)
    assert list(selectors.pitches_visible_to(user=AnonymousUser())) == [staged]


@pytest.mark.parametrize(
    ("who", "before", "after"),
    [
        ("curator", True, True),
        ("presenter", True, True),
        ("colleague", True, True),
        ("other_member", False, True),
        ("delegate", False, True),
        ("outsider", False, True),
        ("anonymous", False, True),
    ],
)
def test_decks_are_downloadable_by_all_only_once_the_agenda_shows_them(
    cast, who, before, after
):
    close_call(cast, release=True)
    pitch = make_pitch(cast, state=S.CONFIRMED)
    user = AnonymousUser() if who == "anonymous" else getattr(cast, who)
    assert selectors.can_download_slide_deck(user=user, pitch=pitch) is before
    services.schedule_pitches(user=cast.curator, session=cast.matchmaking)
    assert selectors.can_download_slide_deck(user=user, pitch=pitch) is before
    services.publish_agenda(user=cast.curator, event=cast.event)
    assert selectors.can_download_slide_deck(user=user, pitch=pitch) is after


def test_a_withdrawn_pitch_deck_is_private_again(cast):
    close_call(cast, release=True)
    pitch = make_pitch(cast, state=S.CONFIRMED)
    services.schedule_pitches(user=cast.curator, session=cast.matchmaking)
    services.publish_agenda(user=cast.curator, event=cast.event)
    services.withdraw_pitch(user=cast.presenter, pitch=pitch)
    pitch.refresh_from_db()
    assert selectors.can_download_slide_deck(user=cast.delegate, pitch=pitch) is False
    assert selectors.can_download_slide_deck(user=cast.presenter, pitch=pitch) is True


def test_a_submitted_pitchs_deck_is_for_curators_and_owners(cast):
    pitch = make_pitch(cast, state=S.SUBMITTED)
    stranger = UserFactory(username="stranger-member")
    MembershipFactory(user=stranger, member_state=None, provider=cast.other_provider)
    allowed = {
        name: selectors.can_download_slide_deck(user=getattr(cast, name), pitch=pitch)
        for name in ("curator", "presenter", "colleague", "other_member", "delegate")
    }
    assert allowed == {
        "curator": True,
        "presenter": True,
        "colleague": True,
        "other_member": False,
        "delegate": False,
    }
