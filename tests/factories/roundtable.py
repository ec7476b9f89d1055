"""Factories of the roundtable models."""

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from roundtable.enums import MeetingState
from roundtable.enums import SessionKind
from roundtable.enums import SlotKind
from roundtable.models import AgendaVersion
from roundtable.models import BreakoutRegistration
from roundtable.models import CallForPitches
from roundtable.models import Event
from roundtable.models import Meeting
from roundtable.models import Pitch
from roundtable.models import Review
from roundtable.models import Session
from roundtable.models import SessionReport
from roundtable.models import TimeSlot

from .matchmaking import MemberStateFactory
from .matchmaking import ProviderFactory
from .matchmaking import UserFactory

START = dt.datetime(2027, 3, 1, 14, 0, tzinfo=dt.UTC)


class EventFactory(DjangoModelFactory):
    class Meta:
        model = Event

    slug = factory.Sequence(lambda n: f"roundtable-{n}")
    name = "Global Roundtable on ICT security capacity building"
    timezone = "America/New_York"
    starts_on = dt.date(2027, 3, 1)
    ends_on = dt.date(2027, 3, 2)


class SessionFactory(DjangoModelFactory):
    class Meta:
        model = Session

    event = factory.SubFactory(EventFactory)
    kind = SessionKind.MATCHMAKING
    title = "Matchmaking session"
    starts_at = START
    ends_at = START + dt.timedelta(hours=2)


class PitchFactory(DjangoModelFactory):
    class Meta:
        model = Pitch

    event = factory.SubFactory(EventFactory)
    provider = factory.SubFactory(ProviderFactory)
    presenter_name = "Ada Presenter"
    title = factory.Sequence(lambda n: f"Pitch {n}")
    abstract = "Three minutes on our national CSIRT programme."


class TimeSlotFactory(DjangoModelFactory):
    class Meta:
        model = TimeSlot

    session = factory.SubFactory(SessionFactory)
    kind = SlotKind.PITCH
    starts_at = START
    ends_at = START + dt.timedelta(minutes=3)


class SessionReportFactory(DjangoModelFactory):
    class Meta:
        model = SessionReport

    session = factory.SubFactory(SessionFactory)
    summary = "Participants agreed on next steps."


class CallForPitchesFactory(DjangoModelFactory):
    class Meta:
        model = CallForPitches

    event = factory.SubFactory(EventFactory)
    opens_at = START - dt.timedelta(days=120)
    closes_at = START - dt.timedelta(days=30)


class ReviewFactory(DjangoModelFactory):
    class Meta:
        model = Review

    pitch = factory.SubFactory(PitchFactory)
    curator = factory.SubFactory(UserFactory, is_curator=True)
    relevance = 4
    clarity = 3
    feasibility = 4
    reach = 2


class AgendaVersionFactory(DjangoModelFactory):
    class Meta:
        model = AgendaVersion

    event = factory.SubFactory(EventFactory)
    number = factory.Sequence(lambda n: n + 1)
    published_at = START - dt.timedelta(days=7)
    snapshot = factory.LazyFunction(lambda: {"sessions": []})


class MeetingFactory(DjangoModelFactory):
    class Meta:
        model = Meeting

    pitch = factory.SubFactory(PitchFactory)
    member_state = factory.SubFactory(MemberStateFactory)
    requested_by = factory.SubFactory(UserFactory)
    state = MeetingState.REQUESTED
    expires_at = START - dt.timedelta(days=1)


class BreakoutRegistrationFactory(DjangoModelFactory):
    class Meta:
        model = BreakoutRegistration

    session = factory.SubFactory(SessionFactory, kind=SessionKind.BREAKOUT)
    user = factory.SubFactory(UserFactory)
