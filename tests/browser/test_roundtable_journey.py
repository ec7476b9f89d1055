"""The roundtable from pitch to meeting in a real browser (issue #6).

A provider proposes a pitch with its deck; a curator reviews, accepts and
schedules it and publishes the agenda; a focal point whose need matches the
pitch's programme finds it among "pitches for you" and asks for a meeting;
the presenter accepts, and both see the meeting in their schedule.
"""

import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from matchmaking.enums import MatchStatus
from matchmaking.suggestions import rematch_all
from roundtable.enums import MeetingState
from roundtable.enums import PitchState
from roundtable.models import Meeting
from roundtable.models import Pitch
from roundtable.models import TimeSlot
from tests.factories.matchmaking import TEST_PASSWORD
from tests.roundtable.pdfs import pdf

from .roundtable_fixtures import media_root  # noqa: F401
from .roundtable_fixtures import roundtable  # noqa: F401

pytestmark = pytest.mark.browser

TITLE = "From a decree to a working CSIRT"


def submit_pitch(provider) -> Pitch:
    page = provider.page
    provider.goto("/roundtable/")
    provider.check("roundtable-agenda-provisional")
    page.get_by_role("link", name="Your pitches").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("main tbody")).to_contain_text("No pitch yet.")
    provider.check("my-pitches-empty")
    page.get_by_role("link", name="Propose a pitch").click()
    page.wait_for_load_state("networkidle")
    provider.check("pitch-form")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Abstract").fill("How a country gets a CSIRT in 18 months.")
    page.locator("#id_presenter").select_option(label="prov_p")
    page.get_by_label("CSIRT launch programme").check()
    page.get_by_label("Slide deck").set_input_files(
        {"name": "deck.pdf", "mimeType": "application/pdf", "buffer": pdf(3)}
    )
    page.get_by_role("button", name="Submit pitch").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-message=success]")).to_have_text(
        "Your pitch is submitted to the curators."
    )
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator("[data-pitch-state]")).to_have_text("Submitted")
    expect(page.locator("[data-deck-link]")).to_have_text(
        "Download the deck (3 slides, PDF)"
    )
    provider.check("pitch-submitted")
    pitch = Pitch.objects.get(title=TITLE)
    assert (pitch.state, pitch.slide_count) == (PitchState.SUBMITTED, 3)
    assert list(pitch.programmes.values_list("ref", flat=True)) == ["prog-p"]
    return pitch


def review_and_accept(curator, pitch: Pitch) -> None:
    page = curator.page
    curator.goto("/roundtable/events/grt/review/")
    row = page.locator("[data-review-queue] tbody tr", has_text=TITLE)
    expect(row).to_contain_text("Submitted")
    expect(row).to_contain_text("not reviewed by you")
    curator.check("review-queue")
    row.get_by_role("link", name=TITLE).click()
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Start review").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-pitch-state]")).to_have_text("In review")
    curator.check("pitch-review")
    for group, score in (
        ("relevance", "5"),
        ("clarity", "4"),
        ("feasibility", "4"),
        ("reach", "3"),
    ):
        page.locator(f"#group-{group}").get_by_label(score, exact=True).check()
    page.get_by_label("Comment").fill("Clear offer, strong fit with West Africa.")
    page.get_by_role("button", name="Save review").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-message=success]")).to_have_text("Your review is saved.")
    reviews = page.locator("main table", has_text="Weighted")
    expect(reviews).to_contain_text("Clear offer, strong fit with West Africa.")
    page.get_by_role("button", name="Accept (staged)").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-pitch-state]")).to_have_text("Accepted")
    curator.check("pitch-accepted")
    pitch.refresh_from_db()
    assert pitch.state == PitchState.ACCEPTED


def publish_agenda(curator, roundtable) -> None:  # noqa: F811
    # Time passes: the call closes before the curators announce decisions.
    call = roundtable.call
    call.opens_at = timezone.now() - dt.timedelta(days=20)
    call.closes_at = timezone.now() - dt.timedelta(minutes=1)
    call.save(update_fields=["opens_at", "closes_at"])
    page = curator.page
    curator.goto("/roundtable/events/grt/")
    expect(page.locator("main")).to_contain_text("The agenda is not published yet.")
    page.get_by_role("button", name="Release decisions").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-message=success]")).to_have_text(
        "1 decision is announced."
    )
    expect(page.get_by_role("button", name="Release decisions")).to_have_count(0)
    page.get_by_role("button", name="Schedule pitches: Elevator pitches").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-message=success]")).to_have_text(
        "1 pitch is on the running order."
    )
    running = page.locator("[data-running-order]")
    expect(running.get_by_role("link", name=TITLE)).to_be_visible()
    page.get_by_role("button", name="Publish this agenda").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-message=success]")).to_have_text(
        "Version 1 is published."
    )
    expect(page.locator("main")).to_contain_text("Agenda version 1, published")
    curator.check("roundtable-agenda-published")
    assert TimeSlot.objects.get(pitch__title=TITLE).session == roundtable.matchmaking


def test_pitch_to_meeting_journey(visit, world, roundtable):  # noqa: F811
    provider = visit()
    provider.sign_in("prov_p", TEST_PASSWORD)
    pitch = submit_pitch(provider)

    curator = visit()
    curator.sign_in("curator", TEST_PASSWORD)
    review_and_accept(curator, pitch)
    publish_agenda(curator, roundtable)

    # The provider sees the decision and the published agenda.
    provider.goto("/roundtable/events/grt/my-pitches/")
    row = provider.page.locator("main tbody tr", has_text=TITLE)
    expect(row.locator(".govuk-tag")).to_have_text("Accepted")
    provider.goto("/roundtable/events/grt/")
    expect(
        provider.page.locator("[data-running-order]").get_by_role("link", name=TITLE)
    ).to_be_visible()

    # The focal point of Senegal: need-a matches the pitch's programme prog-p.
    state = visit()
    state.sign_in("ms_a", TEST_PASSWORD)
    page = state.page
    page.get_by_role("link", name="Roundtable").click()
    page.wait_for_load_state("networkidle")
    page.get_by_role("link", name="Pitches for you").click()
    page.wait_for_load_state("networkidle")
    card = page.locator(f"[data-pitch-for-you='{pitch.pk}']")
    expect(card).to_contain_text(TITLE)
    expect(card).to_contain_text(
        "Matches your need “Establish a national CSIRT in Senegal” through "
        "CSIRT launch programme (score 0.87)"
    )
    expect(page.locator("[data-pitch-for-you]")).to_have_count(1)
    state.check("pitches-for-you")
    card.get_by_role("link", name=TITLE).click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-deck-link]")).to_be_visible()
    state.check("pitch-public")
    page.get_by_label("About your need").select_option(
        label="Establish a national CSIRT in Senegal"
    )
    page.get_by_label("About the programme").select_option(
        label="CSIRT launch programme"
    )
    page.get_by_label("Message").fill("Could we meet about our national CSIRT?")
    page.get_by_role("button", name="Request a meeting").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-message=success]")).to_have_text(
        "Your request is sent to the presenter."
    )
    sent = page.locator("[data-sent] tr", has_text=TITLE)
    expect(sent.locator(".govuk-tag")).to_have_text("Requested")
    expect(page.locator("[data-schedule]")).to_contain_text("No meeting booked yet.")
    state.check("meetings-requested")
    meeting = Meeting.objects.get(pitch=pitch)
    assert meeting.state == MeetingState.REQUESTED
    world.match_a.refresh_from_db()
    assert world.match_a.status == MatchStatus.INTEREST

    # The presenter accepts: a table is booked.
    provider.goto("/roundtable/meetings/")
    incoming = provider.page.locator(f"[data-incoming='{meeting.pk}']")
    expect(incoming).to_contain_text("Could we meet about our national CSIRT?")
    expect(incoming).to_contain_text(
        "About the need “Establish a national CSIRT in Senegal”."
    )
    provider.check("meetings-incoming")
    incoming.get_by_role("button", name="Accept and book a table").click()
    provider.page.wait_for_load_state("networkidle")
    expect(provider.page.locator("[data-message=success]")).to_have_text(
        "The meeting is accepted."
    )
    expect(provider.page.locator("[data-incoming]")).to_have_count(0)
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.ACCEPTED
    booked = re.compile(r"15:00\u201315:20 \(America/New_York\)\s*Table 1\s*Senegal")
    schedule = provider.page.locator("[data-schedule] tr")
    expect(schedule).to_have_count(1)
    expect(schedule).to_contain_text(booked)
    provider.check("meetings-schedule-presenter")

    state.goto("/roundtable/meetings/")
    schedule = page.locator("[data-schedule] tr")
    expect(schedule).to_have_count(1)
    expect(schedule).to_contain_text(booked)
    expect(schedule).to_contain_text("prov_p (Provider P)")
    # Each row's button says which meeting it cancels.
    expect(
        schedule.get_by_role("button", name=f"Cancel Senegal · {TITLE}")
    ).to_be_visible()
    expect(page.locator("[data-sent] tr", has_text=TITLE)).to_contain_text("Accepted")
    state.check("meetings-schedule-delegation")


# --- the demo as `make run` loads it -------------------------------------------

DEMO_EVENT = "/roundtable/events/global-roundtable-2027"
NORDIC = "From a decree to a working national CSIRT in 18 months"
IRNA = "Keeping Africa's internet up: exchange points, DNS and routing"


def _load_demo() -> None:
    """``make run``: the demo, then the engine's matches (the task worker's job)."""
    call_command("load_demo", stdout=io.StringIO())
    rematch_all()


def _decide(curator, title: str, decision: str, *, review: bool) -> None:
    page = curator.page
    curator.goto(f"{DEMO_EVENT}/review/")
    row = page.locator("[data-review-queue] tbody tr", has_text=title)
    expect(row).to_contain_text("In review")
    row.get_by_role("link", name=title).click()
    page.wait_for_load_state("networkidle")
    if review:
        # Reviewers see which needs the pitch answers.
        expect(page.locator("[data-answers] tbody tr").first).to_be_visible()
        for group, score in (
            ("relevance", "5"),
            ("clarity", "4"),
            ("feasibility", "4"),
            ("reach", "4"),
        ):
            page.locator(f"#group-{group}").get_by_label(score, exact=True).check()
        page.get_by_role("button", name="Save review").click()
        page.wait_for_load_state("networkidle")
        expect(page.locator("[data-message=success]")).to_have_text(
            "Your review is saved."
        )
        curator.check("demo-pitch-reviewed")
    page.get_by_role("button", name=f"{decision} (staged)").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-pitch-state]")).to_have_text(
        "Accepted" if decision == "Accept" else "Rejected"
    )


def test_the_demo_roundtable_can_be_run_to_the_end(visit):
    _load_demo()
    curator = visit()
    curator.sign_in("curator", "demo-curator-2026")
    _decide(curator, NORDIC, "Accept", review=True)
    _decide(curator, IRNA, "Reject", review=False)

    # Staged: the provider still reads "In review".
    provider = visit()
    provider.sign_in("provider", "demo-provider-2026")
    provider.goto(f"{DEMO_EVENT}/my-pitches/")
    row = provider.page.locator("main tbody tr", has_text=NORDIC)
    expect(row.locator(".govuk-tag")).to_have_text("In review")

    page = curator.page
    curator.goto(f"{DEMO_EVENT}/")
    # Scheduling is offered for the pitches' session, not the meeting tables.
    expect(
        page.get_by_role("button", name=re.compile("^Schedule pitches"))
    ).to_have_count(1)
    page.get_by_role("button", name="Release decisions").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-message=success]")).to_have_text(
        "7 decisions are announced."
    )
    page.get_by_role(
        "button",
        name="Schedule pitches: Matchmaking session: provider elevator pitches",
    ).click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-message=success]")).to_have_text(
        "5 pitches are on the running order."
    )
    page.get_by_role("button", name="Publish this agenda").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-message=success]")).to_have_text(
        "Version 1 is published."
    )
    curator.check("demo-agenda-published")
    first = TimeSlot.objects.filter(pitch__isnull=False).order_by("starts_at").first()
    # The chair's ten-minute lead-in is kept: 10:45 + 10 minutes.
    assert first.starts_at.astimezone(ZoneInfo("America/New_York")).strftime(
        "%H:%M"
    ) == ("10:55")

    provider.goto(f"{DEMO_EVENT}/my-pitches/")
    row = provider.page.locator("main tbody tr", has_text=NORDIC)
    expect(row.locator(".govuk-tag")).to_have_text("Accepted")

    # The Gambia's focal point asks the presenter for a meeting ...
    pitch = Pitch.objects.get(title=NORDIC)
    state = visit()
    state.sign_in("focal", "demo-focal-2026")
    state.goto(f"/roundtable/pitches/{pitch.pk}/")
    state.page.get_by_label("Message").fill("Could we meet about our CSIRT?")
    state.page.get_by_role("button", name="Request a meeting").click()
    state.page.wait_for_load_state("networkidle")
    expect(state.page.locator("[data-message=success]")).to_have_text(
        "Your request is sent to the presenter."
    )
    # ... and the presenter accepts: a table is booked.
    meeting = Meeting.objects.get(pitch=pitch)
    provider.goto("/roundtable/meetings/")
    incoming = provider.page.locator(f"[data-incoming='{meeting.pk}']")
    incoming.get_by_role("button", name="Accept and book a table").click()
    provider.page.wait_for_load_state("networkidle")
    expect(provider.page.locator("[data-message=success]")).to_have_text(
        "The meeting is accepted."
    )
    expect(provider.page.locator("[data-schedule] tr")).to_have_count(1)
    provider.check("demo-meeting-booked")
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.ACCEPTED
    assert meeting.slot.session.title == "Bilateral matchmaking meetings"
