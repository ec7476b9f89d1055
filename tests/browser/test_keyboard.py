"""Keyboard-only audit of every form page of every role.

Each page is walked through its whole tab order, forwards and backwards
(focus visible at every stop, no trap), then the form is filled and sent with
Tab, Shift+Tab, typing, Space, Enter and the arrow keys only, starting from
the skip link. What the submission did is checked in the page and the database.
"""

import datetime as dt
import io
import re
from urllib.parse import urlparse

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from matchmaking.enums import MatchStatus
from matchmaking.models import ApiToken
from matchmaking.models import Invitation
from matchmaking.models import Match
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.models import Topic
from roundtable.enums import MeetingState
from roundtable.enums import PitchState
from roundtable.models import Meeting
from roundtable.models import Pitch
from roundtable.models import Review
from roundtable.models import SessionReport
from tests.factories.matchmaking import TEST_PASSWORD
from tests.roundtable.pdfs import pdf

from .authenticator import authenticator_of
from .authenticator import current_code
from .keyboard import KeyboardUser
from .roundtable_fixtures import media_root  # noqa: F401
from .roundtable_fixtures import roundtable  # noqa: F401

pytestmark = pytest.mark.browser


def keyboard(visitor) -> KeyboardUser:
    return KeyboardUser(visitor.page)


def audit(visitor, path: str, name: str) -> KeyboardUser:
    """Open a page, check it (axe, console), walk its tab order, skip to main."""
    visitor.goto(path)
    visitor.check(name)
    kb = keyboard(visitor)
    kb.walk()
    visitor.goto(path)
    kb.skip_to_main()
    return kb


def sign_in(visitor, username: str, password: str = TEST_PASSWORD) -> None:
    device = authenticator_of(username)
    kb = audit(visitor, "/accounts/login/", "keyboard-sign-in")
    kb.type_into("#id_username", username)
    kb.type_into("#id_password", password)
    with kb.page.expect_navigation():
        kb.page.keyboard.press("Enter")
    kb.page.wait_for_load_state("networkidle")
    if device is not None:  # the second step, by keyboard too
        assert path_of(kb.page) == "/accounts/login/verify/"
        kb = audit(visitor, "/accounts/login/verify/", "keyboard-sign-in-code")
        kb.type_into("#id_token", current_code(device))
        with kb.page.expect_navigation():
            kb.page.keyboard.press("Enter")
        kb.page.wait_for_load_state("networkidle")
    assert path_of(kb.page) != "/accounts/login/"
    expect(kb.page.get_by_role("button", name="Sign out")).to_be_visible()


def path_of(page) -> str:
    """The page's path (the skip link may have added #main-content)."""
    return urlparse(page.url).path


def success(visitor, text: str) -> None:
    expect(visitor.page.locator("[data-message=success]")).to_contain_text(text)


def test_anonymous_forms_by_keyboard(visit, world, mailoutbox):
    visitor = visit()
    kb = audit(visitor, "/", "keyboard-home")

    # The catalogue: search with Enter, then tick a facet with Space.
    kb = audit(visitor, "/programmes/", "keyboard-catalogue")
    kb.type_into("#q", "legislation")
    kb.page.keyboard.press("Enter")
    expect(kb.page.locator("#result-count")).to_have_text("1 programme")
    assert "q=legislation" in kb.page.url
    kb.type_into("#q", "")
    kb.page.keyboard.press("Enter")
    expect(kb.page.locator("#result-count")).to_have_text("2 programmes")
    facet = "[data-facet=topic] input[value='cybercrime-legislation']"
    kb.check(facet)
    expect(kb.page.locator("#result-count")).to_have_text("1 programme")
    # The results were swapped in: focus stays on the box just ticked.
    kb.page.wait_for_load_state("networkidle")
    assert kb.active_matches(facet), kb.focus()
    assert "topic=cybercrime-legislation" in kb.page.url
    kb.press("Tab")
    kb.press("Shift+Tab")
    assert kb.active_matches(facet)

    # Password reset: the request, the mail, the new password.
    kb = audit(visitor, "/accounts/password/reset/", "keyboard-password-reset")
    kb.type_into("#id_email", world.ms_a.email)
    kb.submit("button[type=submit]")
    assert path_of(kb.page) == "/accounts/password/reset/sent/"
    assert len(mailoutbox) == 1
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", mailoutbox[0].body)
    assert link is not None, mailoutbox[0].body
    visitor.goto(link.group(0))
    kb = keyboard(visitor)
    visitor.check("keyboard-password-reset-confirm")
    kb.walk()
    kb.skip_to_main()
    kb.type_into("#id_new_password1", "a-new-Keyboard-passphrase-77")
    kb.type_into("#id_new_password2", "a-new-Keyboard-passphrase-77")
    kb.submit("button[type=submit]")
    assert path_of(kb.page) == "/accounts/password/reset/complete/"
    sign_in(visitor, "ms_a", "a-new-Keyboard-passphrase-77")


def test_focal_point_forms_by_keyboard(visit, world, roundtable):  # noqa: F811
    state = visit()
    sign_in(state, "ms_a")

    # Post a need: a topic group opens with Enter, boxes tick with Space.
    kb = audit(state, "/needs/new/", "keyboard-need-form")
    kb.type_into("#id_title", "Keyboard-posted need")
    kb.type_into("#id_summary", "Posted without a mouse.")
    theme = Topic.objects.select_related("theme").get(slug="digital-forensics").theme
    kb.expand("summary", text=theme.label)
    kb.check("input[name=topics][value='digital-forensics']")
    kb.check("input[name=languages][value='fr']")
    kb.choose("visibility", "registered")
    kb.tab_to("#id_needed_by")
    kb.page.keyboard.type("12312027")
    assert kb.page.locator("#id_needed_by").input_value() == "2027-12-31"
    kb.submit("button[name=publish][value='1']")
    success(state, "Your need “Keyboard-posted need” is published")
    need = Need.objects.get(title="Keyboard-posted need")
    assert (need.visibility, need.needed_by) == ("registered", dt.date(2027, 12, 31))
    assert list(need.topics.values_list("slug", flat=True)) == ["digital-forensics"]

    # Feedback on a completed delivery (radios move with the arrow keys).
    match = world.match_a
    Match.objects.filter(pk=match.pk).update(status=MatchStatus.COMPLETED)
    kb = audit(state, f"/matches/{match.pk}/", "keyboard-feedback")
    kb.choose("rating", "4")
    kb.choose("outcome", "partial")
    kb.type_into("#id_comments", "Good, by keyboard.")
    kb.submit("form[action$='/feedback/'] button[type=submit]")
    success(state, "Thank you: your feedback is recorded.")
    match.refresh_from_db()
    assert (match.feedback_rating, match.feedback_outcome) == (4, "partial")

    # Ask a presenter for a meeting.
    pitch = public_pitch(world, roundtable)
    kb = audit(state, f"/roundtable/pitches/{pitch.pk}/", "keyboard-meeting-request")
    kb.select("#id_need", "Establish a national CSIRT in Senegal")
    kb.select("#id_programme", "CSIRT launch programme")
    kb.type_into("#id_message", "Shall we meet?")
    kb.submit("form[action$='/meeting/'] button[type=submit]")
    success(state, "Your request is sent to the presenter.")
    meeting = Meeting.objects.get(pitch=pitch)
    assert (meeting.state, meeting.need, meeting.message) == (
        MeetingState.REQUESTED,
        world.need_a,
        "Shall we meet?",
    )

    # Create an API token with an expiry date.
    kb = audit(state, "/accounts/tokens/", "keyboard-tokens")
    kb.type_into("#id_name", "reporting script")
    kb.choose("scope", "read_write")
    kb.tab_to("#id_expires_on")
    kb.page.keyboard.type("06302027")
    kb.submit("main form button[type=submit]")
    expect(state.page.locator("#new-key")).to_contain_text("cbm_")
    token = ApiToken.objects.get(user=world.ms_a)
    assert (token.name, token.scope) == ("reporting script", "read_write")
    assert timezone.localdate(token.expires_at) == dt.date(2027, 6, 30)

    # Change the password.
    kb = audit(state, "/accounts/password/change/", "keyboard-password-change")
    kb.type_into("#id_old_password", TEST_PASSWORD)
    kb.type_into("#id_new_password1", "another-Keyboard-passphrase-42")
    kb.type_into("#id_new_password2", "another-Keyboard-passphrase-42")
    kb.submit("main button[type=submit]")
    assert path_of(state.page) == "/accounts/password/change/done/"
    world.ms_a.refresh_from_db()
    assert world.ms_a.check_password("another-Keyboard-passphrase-42")


def public_pitch(world, roundtable) -> Pitch:  # noqa: F811
    """An accepted pitch of Provider P whose decision is out."""
    pitch = Pitch.objects.create(
        event=roundtable.event,
        provider=world.provider_p,
        presenter=world.prov_p,
        presenter_name="Ingrid Solberg",
        title="From a decree to a working CSIRT",
        abstract="How a country gets a CSIRT in 18 months.",
        state=PitchState.ACCEPTED,
    )
    pitch.programmes.set([world.programme_p])
    roundtable.call.closes_at = timezone.now() - dt.timedelta(minutes=1)
    roundtable.call.opens_at = timezone.now() - dt.timedelta(days=20)
    roundtable.call.decisions_released_at = timezone.now()
    roundtable.call.save()
    return pitch


def test_provider_forms_by_keyboard(visit, world, roundtable):  # noqa: F811
    provider = visit()
    sign_in(provider, "prov_p")

    kb = audit(provider, "/programmes/new/", "keyboard-programme-form")
    kb.type_into("#id_title", "Forensics by keyboard")
    theme = Topic.objects.select_related("theme").get(slug="digital-forensics").theme
    kb.expand("summary", text=theme.label)
    kb.check("input[name=topics][value='digital-forensics']")
    kb.check("input[name=languages][value='en']")
    kb.check("#id_ldc_only")
    kb.choose("cost_model", "free")
    kb.type_into("#id_capacity", "4")
    kb.submit("button[name=publish][value='1']")
    success(provider, "Forensics by keyboard")
    programme = Programme.objects.get(title="Forensics by keyboard")
    assert (programme.status, programme.ldc_only, programme.capacity) == (
        "published",
        True,
        4,
    )

    # Propose a pitch, the deck chosen through the file dialog.
    kb = audit(provider, "/roundtable/events/grt/pitches/new/", "keyboard-pitch-form")
    kb.type_into("#id_title", "A pitch typed, not clicked")
    kb.type_into("#id_abstract", "Keyboard only.")
    kb.select("#id_presenter", "prov_p")
    kb.check(f"input[name=programmes][value='{world.programme_p.pk}']")
    kb.upload(
        "#id_slide_deck",
        {"name": "deck.pdf", "mimeType": "application/pdf", "buffer": pdf(3)},
    )
    kb.submit("button[name=submit][value='1']")
    success(provider, "Your pitch is submitted to the curators.")
    pitch = Pitch.objects.get(title="A pitch typed, not clicked")
    assert (pitch.state, pitch.slide_count, pitch.presenter) == (
        PitchState.SUBMITTED,
        3,
        world.prov_p,
    )


def test_curator_forms_by_keyboard(visit, world, roundtable, mailoutbox):  # noqa: F811
    curator = visit()
    sign_in(curator, "curator")

    kb = audit(curator, "/needs/need-a/propose/", "keyboard-match-propose")
    kb.type_into("#propose-q", "legislation")
    with kb.page.expect_navigation():
        kb.page.keyboard.press("Enter")
    kb.page.wait_for_load_state("networkidle")
    expect(curator.page.locator("main table")).to_contain_text("prog-q")
    kb = keyboard(curator)
    kb.skip_to_main()
    kb.type_into("#id_programme", "prog-q")
    kb.type_into("#id_note", "Their legal clinic fits the CSIRT decree.")
    kb.submit("form[method=post] button[type=submit]")
    match = Match.objects.get(need=world.need_a, programme=world.programme_q)
    assert match.note == "Their legal clinic fits the CSIRT decree."
    assert path_of(curator.page) == f"/matches/{match.pk}/"

    # Review a pitch: scores with the arrow keys.
    pitch = Pitch.objects.create(
        event=roundtable.event,
        provider=world.provider_q,
        presenter=world.prov_q,
        presenter_name="Q presenter",
        title="Cybercrime law in a day",
        abstract="A clinic.",
        state=PitchState.IN_REVIEW,
    )
    pitch.slide_deck.save("deck.pdf", ContentFile(pdf(1)))
    kb = audit(curator, f"/roundtable/pitches/{pitch.pk}/", "keyboard-review-form")
    for name, score in (
        ("relevance", "5"),
        ("clarity", "3"),
        ("feasibility", "4"),
        ("reach", "2"),
    ):
        kb.choose(name, score)
    kb.type_into("#id_comment", "Scored by keyboard.")
    kb.submit("form[action$='/review/'] button[type=submit]")
    success(curator, "Your review is saved.")
    review = Review.objects.get(pitch=pitch)
    assert (review.relevance, review.clarity, review.feasibility, review.reach) == (
        5,
        3,
        4,
        2,
    )

    # Write and publish a session report.
    path = f"/roundtable/sessions/{roundtable.breakout.pk}/report/edit/"
    kb = audit(curator, path, "keyboard-report-form")
    kb.type_into("#id_summary", "Twelve states agreed on a common template.")
    kb.type_into("#id_key_issues", "Staffing.")
    kb.submit("button[name=publish]")
    success(curator, "The report is saved.")
    report = SessionReport.objects.get(session=roundtable.breakout)
    assert report.summary == "Twelve states agreed on a common template."
    assert report.published_at is not None

    # Invite a focal point; they accept by keyboard too.
    kb = audit(curator, "/curation/invitations/", "keyboard-invitation")
    kb.type_into("#id_email", "new.focal@example.org")
    kb.select("#id_state", str(world.need_a.member_state))
    kb.submit("main form button[type=submit]")
    success(curator, "An invitation is on its way to new.focal@example.org.")
    invitation = Invitation.objects.get(email="new.focal@example.org")
    assert invitation.member_state == world.need_a.member_state
    # The invitation leaves through the mail outbox: the worker's sweep sends it.
    call_command("run_notifications", stdout=io.StringIO())
    link = re.search(r"https?://\S+/invitations/\S+/", mailoutbox[-1].body)
    assert link is not None, mailoutbox[-1].body

    newcomer = visit()
    newcomer.goto(link.group(0))
    newcomer.check("keyboard-invitation-accept")
    kb = keyboard(newcomer)
    kb.walk()
    kb.skip_to_main()
    kb.type_into("#id_username", "new_focal")
    kb.type_into("#id_password1", "a-Keyboard-welcome-2027")
    kb.type_into("#id_password2", "a-Keyboard-welcome-2027")
    kb.submit("main form button[type=submit]")
    expect(newcomer.page.get_by_role("button", name="Sign out")).to_be_visible()
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
