"""The .ics exports parsed back with the icalendar library."""

from __future__ import annotations

import datetime as dt

import icalendar
from django.contrib.auth.models import AnonymousUser

from roundtable import selectors
from roundtable import services
from roundtable.enums import PitchState
from roundtable.ical import agenda_calendar
from roundtable.ical import meetings_calendar
from tests.roundtable.conftest import close_call
from tests.roundtable.conftest import make_pitch
from tests.roundtable.events import NEW_YORK

STAMP = dt.datetime(2027, 1, 1, 12, tzinfo=dt.UTC)


def parsed(data: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(data)


def events_of(
    cal: icalendar.Calendar,
) -> list[tuple[str, str, dt.datetime, dt.datetime]]:
    return [
        (
            str(e["uid"]),
            str(e["summary"]),
            e.decoded("dtstart"),
            e.decoded("dtend"),
        )
        for e in cal.walk("VEVENT")
    ]


def test_the_event_calendar_has_one_event_per_session_in_new_york_time(cast):
    agenda = selectors.agenda_data(user=AnonymousUser(), event=cast.event)
    cal = parsed(agenda_calendar(agenda, stamp=STAMP))
    day = cast.day
    assert events_of(cal) == [
        (
            f"session-{cast.opening.pk}@grt.roundtable",
            "Opening plenary",
            dt.datetime.combine(day, dt.time(10), tzinfo=NEW_YORK),
            dt.datetime.combine(day, dt.time(10, 30), tzinfo=NEW_YORK),
        ),
        (
            f"session-{cast.matchmaking.pk}@grt.roundtable",
            "Elevator pitches",
            dt.datetime.combine(day, dt.time(10, 30), tzinfo=NEW_YORK),
            dt.datetime.combine(day, dt.time(11, 30), tzinfo=NEW_YORK),
        ),
        (
            f"session-{cast.breakout.pk}@grt.roundtable",
            "ICT policies and governance structures",
            dt.datetime.combine(day, dt.time(14), tzinfo=NEW_YORK),
            dt.datetime.combine(day, dt.time(15), tzinfo=NEW_YORK),
        ),
        (
            f"session-{cast.bilateral.pk}@grt.roundtable",
            "Bilateral meetings",
            dt.datetime.combine(day, dt.time(15), tzinfo=NEW_YORK),
            dt.datetime.combine(day, dt.time(16), tzinfo=NEW_YORK),
        ),
    ]
    first = cal.walk("VEVENT")[0]
    assert first["dtstart"].params["TZID"] == "America/New_York"
    assert str(first["location"]) == "Room 4, UN Headquarters"
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["America/New_York"]
    assert str(cal["x-wr-calname"]) == "Global Roundtable"
    assert first.decoded("dtstamp") == STAMP


def test_a_session_calendar_lists_the_session_and_its_pitches(cast):
    close_call(cast, release=True)
    make_pitch(cast, state=PitchState.CONFIRMED)
    services.schedule_pitches(user=cast.curator, session=cast.matchmaking)
    version = services.publish_agenda(user=cast.curator, event=cast.event)
    cal = parsed(agenda_calendar(version.snapshot, session_id=cast.matchmaking.pk))
    rows = [
        (summary, start.astimezone(NEW_YORK).strftime("%H:%M"))
        for _uid, summary, start, _end in events_of(cal)
    ]
    assert rows == [
        ("Elevator pitches", "10:30"),
        ("Pitch: From a decree to a working CSIRT (Nordic Cyber Centre)", "10:30"),
    ]
    assert str(cal["x-wr-calname"]) == "Global Roundtable: Elevator pitches"
    published = dt.datetime.fromisoformat(version.snapshot["published_at"])
    assert cal.walk("VEVENT")[0].decoded("dtstamp") == published.astimezone(
        dt.UTC
    ).replace(microsecond=0)


def test_a_persons_meetings_calendar(cast):
    close_call(cast, release=True)
    pitch = make_pitch(cast, state=PitchState.SCHEDULED)
    meeting = services.request_meeting(
        user=cast.delegate, pitch=pitch, member_state=cast.state, message="CSIRT"
    )
    services.accept_meeting(user=cast.presenter, meeting=meeting)
    schedule = selectors.meeting_schedule_of(user=cast.delegate, event=cast.event)
    cal = parsed(
        meetings_calendar(
            schedule, name="My meetings", tz=cast.event.timezone, stamp=STAMP
        )
    )
    slot = cast.meeting_slots[0]
    assert events_of(cal) == [
        (
            f"meeting-{meeting.pk}@grt.roundtable",
            "Meeting: Senegal and Ingrid Solberg (Nordic Cyber Centre)",
            slot.starts_at,
            slot.ends_at,
        )
    ]
    event = cal.walk("VEVENT")[0]
    assert str(event["location"]) == "Table 1, Room 1, UN Headquarters"
    assert str(event["description"]) == (
        "About the pitch “From a decree to a working CSIRT”.\nCSIRT"
    )
    empty = parsed(meetings_calendar([], name="None", tz="UTC", stamp=STAMP))
    assert (events_of(empty), empty.walk("VTIMEZONE")) == ([], [])
