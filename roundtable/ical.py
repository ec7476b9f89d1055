"""iCalendar (.ics) exports: the whole event, one session, a person's meetings.

Built with the ``icalendar`` library from plain entries. Times are written in
the event's time zone (``DTSTART;TZID=...``) with a matching VTIMEZONE, so a
calendar shows New York sessions at New York time wherever it is opened.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from roundtable.models import Meeting

PRODID = "-//Cyber capacity-building matchmaking//Global Roundtable//EN"
ICAL_CONTENT_TYPE = "text/calendar; charset=utf-8"


@dataclass(frozen=True)
class CalendarEntry:
    """One VEVENT."""

    uid: str
    summary: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    location: str = ""
    description: str = ""


def build_calendar(
    entries: Iterable[CalendarEntry],
    *,
    name: str,
    tz: str,
    stamp: dt.datetime | None = None,
) -> bytes:
    """A VCALENDAR with one VEVENT per entry, times in ``tz`` with its VTIMEZONE."""
    # Imported here, not at the top: the library (83 modules, about 70 ms of
    # CPU) would otherwise load in every web worker as it starts, through the
    # URLconf, for the few requests that download a calendar.
    import icalendar

    zone = ZoneInfo(tz)
    stamp = (stamp or timezone.now()).astimezone(dt.UTC).replace(microsecond=0)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", tz)
    for entry in entries:
        event = icalendar.Event()
        event.add("uid", entry.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", entry.starts_at.astimezone(zone))
        event.add("dtend", entry.ends_at.astimezone(zone))
        event.add("summary", entry.summary)
        if entry.location:
            event.add("location", entry.location)
        if entry.description:
            event.add("description", entry.description)
        cal.add_component(event)
    if tz != "UTC":
        cal.add_missing_timezones()
    return cal.to_ical()


def _when(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def _where(*parts: str) -> str:
    return ", ".join(p for p in parts if p)


def agenda_entries(
    agenda: Mapping[str, Any], *, session_id: int | None = None
) -> list[CalendarEntry]:
    """Entries of an agenda (``selectors.agenda_data`` or a published snapshot).

    The whole event: one entry per session. One session: the session and
    one entry per pitch on its running order.
    """
    event = agenda["event"]
    domain = f"{event['slug']}.roundtable"
    entries = []
    for session in agenda["sessions"]:
        if session_id is not None and session["id"] != session_id:
            continue
        entries.append(
            CalendarEntry(
                uid=f"session-{session['id']}@{domain}",
                summary=session["title"],
                starts_at=_when(session["starts_at"]),
                ends_at=_when(session["ends_at"]),
                location=_where(session["room"], event["venue"]),
                description=session["description"],
            )
        )
        if session_id is None:
            continue
        for slot in session["slots"]:
            pitch = slot.get("pitch")
            if not pitch:
                continue
            entries.append(
                CalendarEntry(
                    uid=f"slot-{slot['id']}@{domain}",
                    summary=f"Pitch: {pitch['title']} ({pitch['provider']})",
                    starts_at=_when(slot["starts_at"]),
                    ends_at=_when(slot["ends_at"]),
                    location=_where(session["room"], event["venue"]),
                    description=f"{pitch['presenter']}, {pitch['provider']}",
                )
            )
    return entries


def agenda_calendar(
    agenda: Mapping[str, Any],
    *,
    session_id: int | None = None,
    stamp: dt.datetime | None = None,
) -> bytes:
    """The .ics of an event's agenda, or of one of its sessions."""
    event = agenda["event"]
    name = event["name"]
    if session_id is not None:
        titles = [s["title"] for s in agenda["sessions"] if s["id"] == session_id]
        name = f"{name}: {titles[0]}" if titles else name
    if stamp is None and agenda.get("published_at"):
        stamp = dt.datetime.fromisoformat(agenda["published_at"])
    return build_calendar(
        agenda_entries(agenda, session_id=session_id),
        name=name,
        tz=event["timezone"],
        stamp=stamp,
    )


def meeting_entries(meetings: Iterable[Meeting]) -> list[CalendarEntry]:
    """Accepted meetings (with pitch, state, slot loaded) as entries."""
    entries = []
    for meeting in meetings:
        if meeting.starts_at is None or meeting.ends_at is None:
            continue
        pitch = meeting.pitch
        entries.append(
            CalendarEntry(
                uid=f"meeting-{meeting.pk}@{pitch.event.slug}.roundtable",
                summary=(
                    f"Meeting: {meeting.member_state} and {pitch.presenter_name} "
                    f"({pitch.provider.name})"
                ),
                starts_at=meeting.starts_at,
                ends_at=meeting.ends_at,
                location=_where(
                    meeting.slot.location if meeting.slot else "",
                    meeting.slot.session.room if meeting.slot else "",
                    pitch.event.venue,
                ),
                description=f"About the pitch “{pitch.title}”.\n"
                f"{meeting.message}".strip(),
            )
        )
    return entries


def meetings_calendar(
    meetings: Iterable[Meeting],
    *,
    name: str,
    tz: str,
    stamp: dt.datetime | None = None,
) -> bytes:
    """The .ics of a person's meeting schedule."""
    return build_calendar(meeting_entries(meetings), name=name, tz=tz, stamp=stamp)
