"""The cast of the roundtable tests, and the PostgreSQL-only marker's hook.

Times are relative to now (the event is two months ahead), so "the call is
open" and "the meeting slot is in the future" stay true whenever tests run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from matchmaking.enums import MatchStatus
from matchmaking.models import Country
from roundtable.enums import PitchState, SessionKind, SlotKind
from roundtable.models import CallForPitches, Pitch
from tests.factories import (
    EventFactory,
    MatchFactory,
    MembershipFactory,
    MemberStateFactory,
    NeedFactory,
    ProgrammeFactory,
    ProviderFactory,
    SessionFactory,
    TimeSlotFactory,
    UserFactory,
)
from tests.roundtable import pdfs

NEW_YORK = ZoneInfo("America/New_York")


def pytest_runtest_setup(item):
    """Tests marked ``postgres`` (races, locks) only mean something on PostgreSQL."""
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploaded decks go to a fresh folder per test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@dataclass
class Cast:
    event: object
    call: CallForPitches
    opening: object
    matchmaking: object
    bilateral: object
    breakout: object
    meeting_slots: list
    provider: object
    other_provider: object
    presenter: object
    colleague: object
    other_member: object
    programme: object
    other_programme: object
    state: object
    other_state: object
    delegate: object
    other_delegate: object
    need: object
    curator: object
    second_curator: object
    outsider: object
    day: dt.date


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=NEW_YORK)


@pytest.fixture
def cast(db) -> Cast:
    now = timezone.now()
    day = (now + dt.timedelta(days=60)).date()
    event = EventFactory(
        slug="grt",
        name="Global Roundtable",
        venue="UN Headquarters",
        timezone="America/New_York",
        starts_on=day,
        ends_on=day,
    )
    call = CallForPitches.objects.create(
        event=event,
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=10),
    )
    opening = SessionFactory(
        event=event,
        kind=SessionKind.OPENING,
        title="Opening plenary",
        room="Room 4",
        starts_at=at(day, 10),
        ends_at=at(day, 10, 30),
    )
    matchmaking = SessionFactory(
        event=event,
        kind=SessionKind.MATCHMAKING,
        title="Elevator pitches",
        room="Room 4",
        starts_at=at(day, 10, 30),
        ends_at=at(day, 11, 30),
    )
    breakout = SessionFactory(
        event=event,
        kind=SessionKind.BREAKOUT,
        title="ICT policies and governance structures",
        room="Room 11",
        starts_at=at(day, 14),
        ends_at=at(day, 15),
        capacity=2,
    )
    bilateral = SessionFactory(
        event=event,
        kind=SessionKind.BILATERAL,
        title="Bilateral meetings",
        room="Room 1",
        starts_at=at(day, 15),
        ends_at=at(day, 16),
    )
    meeting_slots = [
        TimeSlotFactory(
            session=bilateral,
            kind=SlotKind.MEETING,
            starts_at=at(day, 15, minute),
            ends_at=at(day, 15, minute + 20),
            location=f"Table {table}",
        )
        for minute in (0, 30)
        for table in (1, 2)
    ]
    provider = ProviderFactory(ref="nordic", name="Nordic Cyber Centre")
    other_provider = ProviderFactory(ref="kestrel", name="Kestrel Cloud")
    presenter = UserFactory(
        username="presenter", first_name="Ingrid", last_name="Solberg"
    )
    colleague = UserFactory(username="colleague")
    other_member = UserFactory(username="kestrel-member")
    for user in (presenter, colleague):
        MembershipFactory(user=user, member_state=None, provider=provider)
    MembershipFactory(user=other_member, member_state=None, provider=other_provider)
    programme = ProgrammeFactory(
        ref="csirt-launchpad",
        title="CSIRT Launchpad",
        provider=provider,
        topics=["csirt-establishment", "incident-response"],
    )
    other_programme = ProgrammeFactory(
        ref="gov-cloud",
        title="Government cloud",
        provider=other_provider,
        topics=["critical-infrastructure"],
    )
    state = MemberStateFactory(country=Country.objects.get(iso3="SEN"))
    other_state = MemberStateFactory(country=Country.objects.get(iso3="KEN"))
    delegate = UserFactory(username="delegate")
    other_delegate = UserFactory(username="kenya-delegate")
    MembershipFactory(user=delegate, member_state=state)
    MembershipFactory(user=other_delegate, member_state=other_state)
    need = NeedFactory(
        ref="sen-csirt", title="A national CSIRT for Senegal", member_state=state
    )
    curator = UserFactory(username="curator", is_curator=True)
    second_curator = UserFactory(username="curator2", is_curator=True)
    outsider = UserFactory(username="outsider")
    return Cast(
        event=event,
        call=call,
        opening=opening,
        matchmaking=matchmaking,
        bilateral=bilateral,
        breakout=breakout,
        meeting_slots=meeting_slots,
        provider=provider,
        other_provider=other_provider,
        presenter=presenter,
        colleague=colleague,
        other_member=other_member,
        programme=programme,
        other_programme=other_programme,
        state=state,
        other_state=other_state,
        delegate=delegate,
        other_delegate=other_delegate,
        need=need,
        curator=curator,
        second_curator=second_curator,
        outsider=outsider,
        day=day,
    )


def make_pitch(
    cast: Cast,
    *,
    state: str = PitchState.DRAFT,
    provider=None,
    programmes=None,
    title: str = "From a decree to a working CSIRT",
    deck: bool = True,
) -> Pitch:
    """A pitch of the cast's provider (or another) in the given state."""
    provider = provider or cast.provider
    pitch = Pitch.objects.create(
        event=cast.event,
        provider=provider,
        presenter=cast.presenter if provider == cast.provider else None,
        presenter_name="Ingrid Solberg",
        title=title,
        abstract="How a country gets a CSIRT in 18 months.",
        state=state,
    )
    pitch.programmes.set(
        programmes
        if programmes is not None
        else [cast.programme if provider == cast.provider else cast.other_programme]
    )
    if deck:
        pitch.slide_deck.save("deck.pdf", ContentFile(pdfs.pdf(3)), save=False)
        pitch.slide_count = 3
        pitch.save(update_fields=["slide_deck", "slide_count"])
    return pitch


def close_call(cast: Cast, *, release: bool = False) -> None:
    """Move the call's closing into the past (and release its decisions)."""
    now = timezone.now()
    cast.call.opens_at = now - dt.timedelta(days=20)
    cast.call.closes_at = now - dt.timedelta(minutes=1)
    cast.call.decisions_released_at = now if release else None
    cast.call.save()


def suggested_match(cast: Cast):
    return MatchFactory(
        need=cast.need,
        programme=cast.programme,
        score=0.82,
        status=MatchStatus.SUGGESTED,
        reasons=[
            {"code": "shared_topics", "params": {}, "text": "Both concern CSIRTs"}
        ],
    )
