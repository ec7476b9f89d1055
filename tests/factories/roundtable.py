"""Factories of the roundtable models."""

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from roundtable.enums import SessionKind, SlotKind
from roundtable.models import Event, Pitch, Session, SessionReport, TimeSlot

from .matchmaking import ProviderFactory

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
