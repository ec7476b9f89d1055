"""An introduced match through delivery to the focal point's feedback (issue #5)."""

import re

import pytest
from playwright.sync_api import expect

from matchmaking import services
from matchmaking.enums import DeliveryOutcome
from matchmaking.enums import MatchStatus
from tests.factories.matchmaking import TEST_PASSWORD

pytestmark = pytest.mark.browser


def act(visitor, match_pk: int, button: str, status: str) -> None:
    """Press a workflow button on the match page and wait for the swapped card."""
    visitor.goto(f"/matches/{match_pk}/")
    card = visitor.page.locator(f"#match-{match_pk}")
    card.get_by_role("button", name=re.compile(button)).click()
    expect(card.locator("[data-match-status]")).to_have_text(status)
    expect(card.locator("[data-message=success]")).to_be_visible()


def test_match_is_delivered_and_rated(visit, world):
    match = world.match_a
    # Earlier steps of the journey (covered in test_journeys.py).
    match = services.transition_match(
        user=world.ms_a, match=match, action="express_interest"
    )
    match = services.transition_match(
        user=world.prov_p, match=match, action="introduce"
    )
    assert match.status == MatchStatus.INTRODUCED

    state = visit()
    state.sign_in("ms_a", TEST_PASSWORD)
    provider = visit()
    provider.sign_in("prov_p", TEST_PASSWORD)

    act(state, match.pk, "Confirm the agreement", "Agreed")
    # The provider starts; the state cannot (the button is not offered).
    state.goto(f"/matches/{match.pk}/")
    expect(state.page.locator("[data-action=start_delivery]")).to_have_count(0)
    act(provider, match.pk, "Start delivery", "In delivery")
    act(state, match.pk, "Mark delivery completed", "Completed")
    match.refresh_from_db()
    assert match.status == MatchStatus.COMPLETED

    state.goto(f"/matches/{match.pk}/")
    page = state.page
    form = page.locator("form[action$='/feedback/']")
    expect(form).to_be_visible()
    state.check("match-feedback-form")
    # An empty form names the missing fields.
    form.get_by_role("button", name="Send feedback").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Rating")
    expect(page.locator("#group-rating .govuk-error-message")).to_be_visible()
    expect(page.locator("#group-outcome .govuk-error-message")).to_be_visible()
    state.problems = [p for p in state.problems if "status of 400" not in p]
    state.check("match-feedback-errors")

    page.locator("#group-rating").get_by_label("4", exact=True).check()
    page.get_by_label("Partly achieved").check()
    page.get_by_label("Comments").fill("Two of three analysts certified.")
    page.get_by_role("button", name="Send feedback").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-message=success]")).to_have_text(
        "Thank you: your feedback is recorded."
    )
    recorded = page.locator("[data-feedback]")
    expect(recorded).to_contain_text("Rated 4 out of 5: Partly achieved.")
    expect(recorded).to_contain_text("Two of three analysts certified.")
    state.check("match-feedback-recorded")
    match.refresh_from_db()
    assert (
        match.feedback_rating,
        match.feedback_outcome,
        match.feedback_comments,
    ) == (4, DeliveryOutcome.PARTIAL, "Two of three analysts certified.")

    # The provider sees the feedback but has no form to change it.
    provider.goto(f"/matches/{match.pk}/")
    expect(provider.page.locator("[data-feedback]")).to_contain_text(
        "Rated 4 out of 5: Partly achieved."
    )
    expect(provider.page.locator("form[action$='/feedback/']")).to_have_count(0)

    curator = visit()
    curator.sign_in("curator", TEST_PASSWORD)
    curator.goto("/curation/matches/?status=completed")
    row = curator.page.locator(f"#board tr[data-match='{match.pk}']")
    expect(row.locator("[data-match-status]")).to_have_text("Completed")
    expect(curator.page.locator("#board tbody tr")).to_have_count(1)
    expect(curator.page.locator("[data-count-status=completed] .count")).to_have_text(
        "1"
    )
    curator.check("match-board-completed")
    row.get_by_role("link", name="CSIRT launch programme").click()
    curator.page.wait_for_load_state("networkidle")
    history = curator.page.locator(".timeline li")
    expect(history).to_have_count(5)
    expect(history.nth(4)).to_contain_text("Completed")
