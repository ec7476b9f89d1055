"""The cast of the roundtable tests, and the PostgreSQL-only marker's hook.

The event itself is tests/roundtable/events.py (the browser journeys use it too).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from matchmaking.enums import MatchStatus
from matchmaking.models import Country
from roundtable.enums import PitchState
from roundtable.models import CallForPitches
from roundtable.models import Pitch
from tests.factories import MatchFactory
from tests.factories import MembershipFactory
from tests.factories import MemberStateFactory
from tests.factories import NeedFactory
from tests.factories import ProgrammeFactory
from tests.factories import ProviderFactory
from tests.factories import UserFactory
from tests.roundtable import pdfs
from tests.roundtable.events import meeting_slot
from tests.roundtable.events import open_event


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


@pytest.fixture
def cast(db) -> Cast:
    setup = open_event(breakout_capacity=2, opening=True)
    event, call, day = setup.event, setup.call, setup.day
    meeting_slots = [
        meeting_slot(setup, minute, table) for minute in (0, 30) for table in (1, 2)
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
        opening=setup.opening,
        matchmaking=setup.matchmaking,
        bilateral=setup.bilateral,
        breakout=setup.breakout,
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
