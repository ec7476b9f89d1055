"""The HTML pages and downloads: the journey from a submitted deck to a booked
meeting, and what others get (404) on the way."""

from __future__ import annotations

import datetime as dt
import re

import icalendar
import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from roundtable import selectors
from roundtable import services
from roundtable.enums import MeetingState
from roundtable.enums import PitchState
from roundtable.enums import SlotKind
from roundtable.models import Event
from roundtable.models import Meeting
from roundtable.models import Pitch
from tests.factories.roundtable import EventFactory
from tests.factories.roundtable import TimeSlotFactory
from tests.roundtable import pdfs
from tests.roundtable.conftest import close_call
from tests.roundtable.conftest import make_pitch
from tests.roundtable.conftest import suggested_match
from tests.roundtable.events import at


def test_the_journey_from_a_pitch_to_a_booked_meeting(client, cast):
    match = suggested_match(cast)
    # A provider submits a pitch with a 3-page PDF.
    client.force_login(cast.presenter)
    response = client.post(
        reverse("pitch-create", args=["grt"]),
        {
            "provider": cast.provider.pk,
            "title": "A CSIRT in 18 months",
            "abstract": "From a decree to a working team.",
            "presenter": cast.presenter.pk,
            "presenter_name": "",
            "programmes": [cast.programme.pk],
            "duration_seconds": 180,
            "slide_deck": SimpleUploadedFile("../deck.pdf", pdfs.pdf(3)),
            "submit": "1",
        },
    )
    pitch = Pitch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("pitch-detail", args=[pitch.pk])
    assert (pitch.state, pitch.slide_count, pitch.presenter_name) == (
        PitchState.SUBMITTED,
        3,
        "Ingrid Solberg",
    )
    # A curator reviews and accepts it; decisions are released after the call.
    client.force_login(cast.curator)
    action = reverse("pitch-action", args=[pitch.pk])
    assert client.post(action, {"action": "start_review"}).status_code == 302
    client.post(
        reverse("pitch-review", args=[pitch.pk]),
        {"relevance": 5, "clarity": 4, "feasibility": 4, "reach": 3, "comment": "Good"},
    )
    client.post(action, {"action": "accept"})
    close_call(cast)
    client.post(reverse("event-manage", args=["grt"]), {"action": "release"})
    pitch.refresh_from_db()
    assert (pitch.state, pitch.reviews.count()) == (PitchState.ACCEPTED, 1)
    # The presenter confirms; the agenda is generated and published.
    client.force_login(cast.presenter)
    client.post(action, {"action": "confirm"})
    client.force_login(cast.curator)
    manage = reverse("event-manage", args=["grt"])
    client.post(manage, {"action": "schedule", "session": cast.matchmaking.pk})
    client.post(manage, {"action": "publish"})
    pitch.refresh_from_db()
    assert pitch.state == PitchState.SCHEDULED
    # The public agenda shows it; anyone may now download the deck.
    client.logout()
    agenda = client.get(reverse("event-agenda", args=["grt"]))
    assert "A CSIRT in 18 months" in agenda.content.decode()
    assert client.get(reverse("pitch-deck", args=[pitch.pk])).status_code == 200
    # A member state sees it under "pitches for you" and asks for a meeting.
    client.force_login(cast.delegate)
    for_you = client.get(reverse("pitches-for-you", args=["grt"]))
    assert [f.pitch.pk for f in for_you.context["found"]] == [pitch.pk]
    client.post(
        reverse("meeting-request", args=[pitch.pk]),
        {
            "member_state": cast.state.pk,
            "need": cast.need.pk,
            "programme": cast.programme.pk,
            "message": "Can we meet?",
        },
    )
    meeting = Meeting.objects.get()
    # The presenter accepts: the meeting takes the first free table.
    client.force_login(cast.presenter)
    page = client.get(reverse("meeting-list"))
    assert [m.pk for m in page.context["incoming"]] == [meeting.pk]
    client.post(reverse("meeting-action", args=[meeting.pk]), {"action": "accept"})
    meeting.refresh_from_db()
    match.refresh_from_db()
    assert (meeting.state, meeting.slot, match.status) == (
        MeetingState.ACCEPTED,
        cast.meeting_slots[0],
        "introduced",
    )
    ics = client.get(reverse("meeting-ics"))
    assert ics["Content-Type"] == "text/calendar; charset=utf-8"
    assert len(icalendar.Calendar.from_ical(ics.content).walk("VEVENT")) == 1


def test_a_bad_deck_in_the_form_says_why_and_stores_nothing(client, cast, media):
    client.force_login(cast.presenter)
    response = client.post(
        reverse("pitch-create", args=["grt"]),
        {
            "provider": cast.provider.pk,
            "title": "T",
            "abstract": "A",
            "presenter_name": "P",
            "programmes": [cast.programme.pk],
            "duration_seconds": 180,
            "slide_deck": SimpleUploadedFile("deck.pdf", pdfs.pdf(4)),
            "submit": "1",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "slide_deck": ["The slide deck has 4 pages: at most 3 are allowed."]
    }
    assert not Pitch.objects.exists()
    assert not (media / "decks").exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 404),
        ("outsider", 404),
        ("delegate", 404),
        ("other_member", 404),
        ("presenter", 200),
        ("curator", 200),
    ],
)
def test_a_deck_before_the_agenda_is_404_to_all_but_owner_and_curators(
    client, cast, who, status
):
    pitch = make_pitch(cast, state=PitchState.SUBMITTED)
    if who != "anonymous":
        client.force_login(getattr(cast, who))
    response = client.get(reverse("pitch-deck", args=[pitch.pk]))
    missing = client.get(reverse("pitch-deck", args=[pitch.pk + 1000]))
    assert (response.status_code, missing.status_code) == (status, 404)
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("attachment; filename=")


def test_hidden_pitches_are_404_like_missing_ones(client, cast):
    pitch = make_pitch(cast, state=PitchState.SUBMITTED)
    client.force_login(cast.other_member)
    for name in ("pitch-detail", "pitch-edit"):
        assert client.get(reverse(name, args=[pitch.pk])).status_code == 404
    response = client.post(
        reverse("pitch-action", args=[pitch.pk]), {"action": "withdraw"}
    )
    assert response.status_code == 404
    pitch.refresh_from_db()
    assert pitch.state == PitchState.SUBMITTED


def test_curator_pages_are_404_to_others(client, cast):
    client.force_login(cast.presenter)
    assert client.get(reverse("review-queue", args=["grt"])).status_code == 404
    response = client.post(reverse("event-manage", args=["grt"]), {"action": "publish"})
    assert response.status_code == 404
    client.force_login(cast.curator)
    page = client.get(reverse("review-queue", args=["grt"]))
    assert page.status_code == 200


def test_agenda_exports_json_ics_and_print(client, cast):
    agenda = selectors.agenda_data(user=AnonymousUser(), event=cast.event)
    assert client.get(reverse("event-json", args=["grt"])).json() == agenda
    ics = client.get(reverse("event-ics", args=["grt"]))
    assert ics["Content-Disposition"] == 'attachment; filename="grt.ics"'
    assert len(icalendar.Calendar.from_ical(ics.content).walk("VEVENT")) == 4
    one = client.get(reverse("session-ics", args=["grt", cast.breakout.pk]))
    events = icalendar.Calendar.from_ical(one.content).walk("VEVENT")
    assert [str(e["summary"]) for e in events] == [
        "ICT policies and governance structures"
    ]
    assert client.get(reverse("session-ics", args=["grt", 99999])).status_code == 404
    printed = client.get(reverse("event-print", args=["grt"]))
    assert printed.status_code == 200
    assert "Elevator pitches" in printed.content.decode()
    assert client.get(reverse("roundtable-home"))["Location"] == reverse(
        "event-agenda", args=["grt"]
    )


def test_a_published_agenda_is_what_the_public_sees(client, cast):
    services.publish_agenda(user=cast.curator, event=cast.event, note="v1")
    cast.opening.title = "Renamed after publication"
    cast.opening.save()
    public = client.get(reverse("event-json", args=["grt"])).json()
    assert (public["version"], public["sessions"][0]["title"]) == (1, "Opening plenary")
    client.force_login(cast.curator)
    live = client.get(reverse("event-json", args=["grt"])).json()
    assert (live["version"], live["sessions"][0]["title"]) == (
        None,
        "Renamed after publication",
    )


def test_breakout_registration_and_report_pages(client, cast):
    client.force_login(cast.delegate)
    url = reverse("breakout-registration", args=[cast.breakout.pk])
    assert client.post(url, {"action": "register"}).status_code == 302
    assert cast.breakout.registrations.count() == 1
    client.post(url, {"action": "cancel"})
    assert cast.breakout.registrations.count() == 0
    services.assign_rapporteur(
        user=cast.curator, session=cast.breakout, rapporteur=cast.colleague
    )
    report_url = reverse("session-report", args=[cast.breakout.pk])
    assert client.get(report_url).status_code == 404  # a draft
    client.force_login(cast.colleague)
    edit = reverse("session-report-edit", args=[cast.breakout.pk])
    client.post(edit, {"summary": "Strategies first.", "publish": "1"})
    client.logout()
    page = client.get(report_url)
    assert page.status_code == 200
    assert "Strategies first." in page.content.decode()
    agenda = client.get(reverse("event-json", args=["grt"])).json()
    assert [s["report_published"] for s in agenda["sessions"]] == [
        False,
        False,
        True,
        False,
    ]


def test_a_running_order_of_empty_slots_is_shown_to_curators_only(client, cast):
    # The demo's matchmaking session before scheduling: pitch slots, no pitch.
    for minute in (0, 3):
        TimeSlotFactory(
            session=cast.matchmaking,
            kind=SlotKind.PITCH,
            starts_at=at(cast.day, 11, minute),
            ends_at=at(cast.day, 11, minute + 3),
        )
    agenda = reverse("event-agenda", args=["grt"])
    printed = reverse("event-print", args=["grt"])
    page = client.get(agenda).content.decode()
    assert ("data-running-order" in page, "To be announced" in page) == (False, False)
    assert "<table" not in client.get(printed).content.decode()
    client.force_login(cast.curator)
    page = client.get(agenda).content.decode()
    assert page.count("To be announced") == 2
    # A break is part of the running order for everyone.
    TimeSlotFactory(
        session=cast.matchmaking,
        kind=SlotKind.BREAK,
        starts_at=at(cast.day, 11, 6),
        ends_at=at(cast.day, 11, 16),
    )
    client.logout()
    page = client.get(agenda).content.decode()
    assert ("data-running-order" in page, "To be announced" in page) == (True, False)
    assert "Break</td>" in client.get(printed).content.decode()


def test_an_agenda_links_the_other_events_and_the_donors_pages(client, cast):
    EventFactory(slug="africa", name="Regional Roundtable: Africa", starts_on=cast.day)
    page = client.get(reverse("event-agenda", args=["grt"])).content.decode()
    others = re.search(r"<p [^>]*data-other-events>(.*?)</p>", page).group(1)
    assert re.findall(r'href="([^"]+)"', others) == ["/roundtable/events/africa/"]
    links = re.findall(r'href="([^"]+)"', page)
    assert {reverse("commitment-list"), reverse("coordination")} <= set(links)
    other = client.get(reverse("event-agenda", args=["africa"])).content.decode()
    others = re.search(r"<p [^>]*data-other-events>(.*?)</p>", other).group(1)
    assert re.findall(r'href="([^"]+)"', others) == ["/roundtable/events/grt/"]


def test_the_roundtable_link_opens_the_event_under_way_or_the_next(client, db):
    today = timezone.localdate()
    day = dt.timedelta(days=1)
    EventFactory(slug="past", starts_on=today - 400 * day, ends_on=today - 399 * day)
    EventFactory(slug="later", starts_on=today + 200 * day, ends_on=today + 201 * day)
    EventFactory(slug="next", starts_on=today + 30 * day, ends_on=today + 31 * day)
    assert client.get("/roundtable/")["Location"] == "/roundtable/events/next/"
    # Under way: started yesterday, ends tomorrow.
    EventFactory(slug="now", starts_on=today - day, ends_on=today + day)
    assert client.get("/roundtable/")["Location"] == "/roundtable/events/now/"
    # Every event over: the latest.
    Event.objects.exclude(slug="past").delete()
    EventFactory(slug="older", starts_on=today - 800 * day, ends_on=today - 799 * day)
    assert client.get("/roundtable/")["Location"] == "/roundtable/events/past/"
