"""The main journeys in a real browser, with axe-core and CSP checks on each page."""

import re

import pytest
from playwright.sync_api import expect

from matchmaking.enums import MatchStatus
from matchmaking.models import Match
from matchmaking.models import Need
from tests.factories.matchmaking import TEST_PASSWORD
from tests.matchmaking.views.conftest import COMPONENTS
from tests.matchmaking.views.conftest import REASONS

pytestmark = pytest.mark.browser


def test_need_goes_from_posting_to_introduction(visit, world):
    """A focal point posts a need and expresses interest; the provider accepts;
    the curator sees the match move on the board."""
    state = visit()
    state.sign_in("ms_a", TEST_PASSWORD)
    state.goto("/my/needs/")
    state.check("state-dashboard")
    state.page.get_by_role("button", name="Post a need").click()
    state.page.wait_for_load_state("networkidle")
    state.check("need-form")
    page = state.page
    page.get_by_label("Title").fill("Train our CSIRT analysts")
    page.locator("summary", has_text="Incident Management").click()
    page.get_by_label("Establishing and maturing national CSIRTs/CERTs").check()
    page.get_by_label("French").check()
    page.get_by_role("button", name="Publish need").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-message=success]")).to_contain_text(
        "Your need “Train our CSIRT analysts” is published"
    )
    need = Need.objects.get(title="Train our CSIRT analysts")
    assert need.member_state.country_id == "SEN"
    # The engine's output for this need (it does not run behind these pages).
    match = Match.objects.create(
        need=need,
        programme=world.programme_p,
        score=0.91,
        rank=1,
        reasons=REASONS,
        components=COMPONENTS,
    )
    state.goto(f"/needs/{need.ref}/")
    card = page.locator(f"#match-{match.pk}")
    expect(card).to_contain_text("Both are about establishing a national CSIRT.")
    expect(card.locator("[data-score]")).to_have_text("91%")
    state.check("need-detail")
    card.get_by_role("button", name=re.compile("Express interest")).click()
    expect(page.locator(f"#match-{match.pk} [data-match-status]")).to_have_text(
        "Interest expressed"
    )
    expect(page.locator(f"#match-{match.pk} [data-message=success]")).to_contain_text(
        "You expressed interest"
    )
    state.check("need-detail-interest")
    match.refresh_from_db()
    assert match.status == MatchStatus.INTEREST

    provider = visit()
    provider.sign_in("prov_p", TEST_PASSWORD)
    provider.goto("/my/programmes/")
    waiting = provider.page.locator("#waiting-list")
    expect(waiting).to_contain_text("Train our CSIRT analysts")
    provider.check("provider-dashboard")
    waiting.get_by_role("link", name="Train our CSIRT analysts").click()
    provider.page.wait_for_load_state("networkidle")
    provider.check("match-detail")
    provider.page.get_by_role("button", name=re.compile("Accept and introduce")).click()
    expect(
        provider.page.locator(f"#match-{match.pk} [data-match-status]")
    ).to_have_text("Introduced")
    match.refresh_from_db()
    assert match.status == MatchStatus.INTRODUCED

    curator = visit()
    curator.sign_in("curator", TEST_PASSWORD)
    curator.goto("/curation/matches/")
    curator.check("match-board")
    curator.page.get_by_label("Status", exact=True).select_option("introduced")
    curator.page.get_by_role("button", name="Filter").click()
    row = curator.page.locator(f"#board tr[data-match='{match.pk}']")
    expect(row.locator("[data-match-status]")).to_have_text("Introduced")
    expect(curator.page.locator("#board tbody tr")).to_have_count(1)
    assert "status=introduced" in curator.page.url
    curator.check("match-board-introduced")
    for path, name in (
        ("/curation/", "curator-review"),
        (f"/needs/{need.ref}/propose/", "match-propose"),
    ):
        curator.goto(path)
        curator.check(name)


def test_anonymous_visitor_filters_the_catalogue(visit, world):
    visitor = visit()
    visitor.goto("/")
    visitor.check("home")
    visitor.goto("/programmes/")
    page = visitor.page
    expect(page.locator("#result-count")).to_have_text("2 programmes")
    visitor.check("catalogue")
    page.locator("[data-facet=topic]").get_by_label(
        re.compile("Cybercrime legislation and legal")
    ).check()
    expect(page.locator("#result-count")).to_have_text("1 programme")
    expect(page.locator("#programme-results")).to_contain_text(
        "Cybercrime legislation clinic"
    )
    assert "topic=cybercrime-legislation" in page.url
    visitor.check("catalogue-filtered")
    page.get_by_role("link", name="Cybercrime legislation clinic").click()
    page.wait_for_load_state("networkidle")
    visitor.check("programme-detail")
    for path, name in (
        ("/providers/prov-q/", "provider-detail"),
        ("/needs/", "needs-register"),
        ("/needs/need-a/", "need-public"),
        ("/accounts/login/", "sign-in"),
    ):
        visitor.goto(path)
        visitor.check(name)


def test_foreign_user_gets_the_404_page_for_a_confidential_need(visit, world):
    foreign = visit()
    foreign.sign_in("ms_a", TEST_PASSWORD)
    foreign.goto("/needs/need-b-secret/", status=404)
    expect(foreign.page.locator("h1")).to_have_text("Page not found")
    hidden = foreign.page.locator("main").inner_html()
    foreign.goto("/needs/need-does-not-exist/", status=404)
    assert foreign.page.locator("main").inner_html() == hidden
    assert "Secret critical infrastructure" not in hidden
    foreign.check("not-found")
    foreign.goto(f"/matches/{Match.objects.get(need=world.need_b_secret).pk}/", 404)
    foreign.goto("/programmes/prog-q/edit/", status=404)
