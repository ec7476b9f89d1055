"""Joining in a real browser (issue 17): an organisation asks to join, confirms its
address, a curator verifies it, its manager sets a password, registers a
programme and sees it matched; the same for a focal-point nomination that posts
a need. Mail goes over SMTP to a server the test starts (aiosmtpd); axe-core and
CSP checks on each new page."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from matchmaking import suggestions
from matchmaking.models import JoinRequest
from matchmaking.models import MemberState
from matchmaking.models import Need
from matchmaking.models import Programme
from tests.factories.matchmaking import TEST_PASSWORD
from tests.roundtable.pdfs import pdf

pytestmark = pytest.mark.browser

LINK = re.compile(r"https?://\S+")
NEW_PASSWORD = "a-fresh-passphrase-for-joining-7"


@pytest.fixture
def mailoutbox(smtp_inbox):
    """Mail goes over SMTP to a server the test starts (tests/browser/conftest.py)."""
    return smtp_inbox


def last_link(received, to: str) -> str:
    # Mail leaves through the mail outbox: the worker's sweep sends it.
    call_command("run_notifications", stdout=io.StringIO())
    message = next(m for m in reversed(received) if m["To"] == to)
    return LINK.findall(message.get_content())[0]


def ask_and_confirm(visit, mailoutbox, email: str, fill) -> None:
    """The public form, then the link mailed to the address."""
    visitor = visit()
    visitor.goto("/accounts/login/")
    visitor.page.get_by_role("link", name="Ask to join").click()
    visitor.page.wait_for_load_state("networkidle")
    visitor.check("join-form")
    page = visitor.page
    fill(page)
    page.get_by_label("Your name").fill("Ama Owusu")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Your role").fill("Director")
    page.get_by_role("button", name="Send my request").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_have_text("Check your mailbox")
    visitor.check("join-sent")
    assert JoinRequest.objects.get(email=email).status == "unconfirmed"
    visitor.goto(last_link(mailoutbox, email))
    visitor.check("join-confirm")
    page.get_by_role("button", name="Confirm my address").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_have_text("Your request is with the curators")


def curator_verifies(visit, label: str) -> None:
    curator = visit()
    curator.sign_in("curator", TEST_PASSWORD)
    curator.goto("/curation/")
    curator.page.get_by_role("link", name="Requests to join").click()
    curator.page.wait_for_load_state("networkidle")
    curator.check("join-queue")
    curator.page.get_by_role("link", name=label).click()
    curator.page.wait_for_load_state("networkidle")
    curator.check("join-request")
    curator.page.get_by_role("button", name="Verify").click()
    curator.page.wait_for_load_state("networkidle")
    expect(curator.page.locator("[data-message=success]")).to_contain_text(
        "is verified"
    )


def set_password_and_sign_in(visit, mailoutbox, email: str, username: str):
    member = visit()
    member.goto(last_link(mailoutbox, email))
    page = member.page
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.locator("#id_new_password2").fill(NEW_PASSWORD)
    page.get_by_role("button").filter(has_text=re.compile("password", re.I)).click()
    page.wait_for_load_state("networkidle")
    member.sign_in(username, NEW_PASSWORD)
    return member


def test_an_organisation_joins_and_its_programme_is_matched(visit, world, mailoutbox):
    def fill(page):
        page.get_by_label("A provider organisation").check()
        page.get_by_label("Organisation name").fill("Accra Cyber Lab")
        page.get_by_label("Stakeholder group").select_option("academia")
        page.get_by_label("Country").select_option("GHA")
        page.get_by_label("Website").fill("https://accra-lab.example.org")

    ask_and_confirm(visit, mailoutbox, "ama@accra-lab.example.org", fill)
    curator_verifies(visit, "Accra Cyber Lab")

    manager = set_password_and_sign_in(
        visit, mailoutbox, "ama@accra-lab.example.org", "ama"
    )
    manager.goto("/my/programmes/")
    expect(manager.page.locator(".govuk-caption-l")).to_contain_text("Accra Cyber Lab")
    page = manager.page
    page.get_by_role("button", name="Register a programme").click()
    page.wait_for_load_state("networkidle")
    page.get_by_label("Title").fill("Establish a national CSIRT: bootcamp")
    page.locator("summary", has_text="Incident Management").click()
    page.get_by_label("Establishing and maturing national CSIRTs/CERTs").check()
    page.get_by_label("English").check()
    page.get_by_label("French").check()
    page.get_by_role("button", name="Publish programme").click()
    page.wait_for_load_state("networkidle")
    programme = Programme.objects.get(title="Establish a national CSIRT: bootcamp")
    assert programme.provider.is_verified
    # The engine's refresh (a background task, not run behind these pages).
    suggestions.refresh_programme_suggestions(programme_id=programme.pk)
    manager.goto(f"/programmes/{programme.ref}/matches/")
    expect(page.locator("main")).to_contain_text(world.need_a.title)
    manager.check("joined-programme-matches")
    manager.goto("/my/organisation/invitations/")
    manager.check("colleague-invitations")


def test_a_focal_point_is_nominated_and_posts_a_need(visit, world, mailoutbox):
    def fill(page):
        page.get_by_label("A focal point of a member state").check()
        page.get_by_label("Country").select_option("TUV")
        page.get_by_label("Nomination letter").set_input_files(
            {"name": "letter.pdf", "mimeType": "application/pdf", "buffer": pdf(1)}
        )

    assert not MemberState.objects.filter(country_id="TUV").exists()
    ask_and_confirm(visit, mailoutbox, "ama@gov.example.tv", fill)
    assert JoinRequest.objects.get().nomination_letter
    curator_verifies(visit, "Tuvalu")

    focal = set_password_and_sign_in(visit, mailoutbox, "ama@gov.example.tv", "ama")
    focal.goto("/my/needs/")
    page = focal.page
    page.get_by_role("button", name="Post a need").click()
    page.wait_for_load_state("networkidle")
    page.get_by_label("Title").fill("A national CSIRT for Tuvalu")
    page.locator("summary", has_text="Incident Management").click()
    page.get_by_label("Establishing and maturing national CSIRTs/CERTs").check()
    page.get_by_label("English").check()
    page.get_by_role("button", name="Publish need").click()
    page.wait_for_load_state("networkidle")
    need = Need.objects.get(title="A national CSIRT for Tuvalu")
    assert need.member_state.country_id == "TUV"
    suggestions.refresh_need_suggestions(need_id=need.pk)
    focal.goto(f"/needs/{need.ref}/")
    expect(page.locator("main")).to_contain_text(world.programme_p.title)
    focal.check("joined-need-detail")
