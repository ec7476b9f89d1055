"""A roundtable event for the browser tests, on top of the web pages' ``world``.

Times are relative to now (the event is two months ahead, the call is open),
so "the call is open" and "the meeting slot is in the future" stay true.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from roundtable.enums import SessionKind, SlotKind
from roundtable.models import CallForPitches, Event, Session
from tests.factories import EventFactory, SessionFactory, TimeSlotFactory

NEW_YORK = ZoneInfo("America/New_York")


@dataclass
class Roundtable:
    event: Event
    call: CallForPitches
    matchmaking: Session
    bilateral: Session
    breakout: Session


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=NEW_YORK)


@pytest.fixture
def roundtable(world, media_root) -> Roundtable:
    """An event with an open call, pitch, bilateral and breakout sessions."""
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
    matchmaking = SessionFactory(
        event=event,
        kind=SessionKind.MATCHMAKING,
        title="Elevator pitches",
        room="Room 4",
        starts_at=at(day, 10, 30),
        ends_at=at(day, 11, 30),
    )
    bilateral = SessionFactory(
        event=event,
        kind=SessionKind.BILATERAL,
        title="Bilateral meetings",
        room="Room 1",
        starts_at=at(day, 15),
        ends_at=at(day, 16),
    )
    for minute in (0, 30):
        TimeSlotFactory(
            session=bilateral,
            kind=SlotKind.MEETING,
            starts_at=at(day, 15, minute),
            ends_at=at(day, 15, minute + 20),
            location=f"Table {minute // 30 + 1}",
        )
    breakout = SessionFactory(
        event=event,
        kind=SessionKind.BREAKOUT,
        title="ICT policies and governance structures",
        room="Room 11",
        starts_at=at(day, 14),
        ends_at=at(day, 15),
        capacity=10,
    )
    return Roundtable(
        event=event,
        call=call,
        matchmaking=matchmaking,
        bilateral=bilateral,
        breakout=breakout,
    )


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded decks go to a fresh folder per test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
