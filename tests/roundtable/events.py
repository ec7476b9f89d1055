"""The roundtable event both the roundtable tests and the browser journeys use.

Times are relative to now (the event is two months ahead, the call is open),
so "the call is open" and "the meeting slot is in the future" stay true
whenever tests run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils import timezone

from roundtable.enums import SessionKind
from roundtable.enums import SlotKind
from roundtable.models import CallForPitches
from roundtable.models import Event
from roundtable.models import Session
from roundtable.models import TimeSlot
from tests.factories import EventFactory
from tests.factories import SessionFactory
from tests.factories import TimeSlotFactory

NEW_YORK = ZoneInfo("America/New_York")


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=NEW_YORK)


@dataclass
class OpenEvent:
    event: Event
    call: CallForPitches
    opening: Session | None
    matchmaking: Session
    breakout: Session
    bilateral: Session
    day: dt.date


def open_event(*, breakout_capacity: int, opening: bool = False) -> OpenEvent:
    """The Global Roundtable, its call for pitches open: an elevator-pitch
    session at 10:30, a breakout at 14:00 (``breakout_capacity`` places) and
    bilateral meetings at 15:00; with ``opening``, an opening plenary at 10:00."""
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
    plenary = None
    if opening:
        plenary = SessionFactory(
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
        capacity=breakout_capacity,
    )
    bilateral = SessionFactory(
        event=event,
        kind=SessionKind.BILATERAL,
        title="Bilateral meetings",
        room="Room 1",
        starts_at=at(day, 15),
        ends_at=at(day, 16),
    )
    return OpenEvent(event, call, plenary, matchmaking, breakout, bilateral, day)


def meeting_slot(setup: OpenEvent, minute: int, table: int) -> TimeSlot:
    """A 20-minute meeting at a numbered table, 15:``minute`` on the event's day."""
    return TimeSlotFactory(
        session=setup.bilateral,
        kind=SlotKind.MEETING,
        starts_at=at(setup.day, 15, minute),
        ends_at=at(setup.day, 15, minute + 20),
        location=f"Table {table}",
    )
