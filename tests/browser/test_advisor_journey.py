"""The gap advisor in a real browser: a provider sees what would unlock unmet
needs on its programme page, makes that change through the edit form, and the
refresh the edit queued matches the programme to the needs it now serves."""

from __future__ import annotations

import pytest
from django.tasks.signals import task_enqueued
from playwright.sync_api import expect

from matchmaking import suggestions
from matchmaking.enums import MembershipRole
from matchmaking.enums import UnmetReason
from matchmaking.enums import Visibility
from matchmaking.models import Country
from matchmaking.models import Match
from matchmaking.models import Need
from matchmaking.tasks import refresh_programme_derived_task
from matchmaking.tasks import refresh_programme_task
from tests.browser.conftest import SCREENSHOTS
from tests.factories import MembershipFactory
from tests.factories import MemberStateFactory
from tests.factories import NeedFactory
from tests.factories import ProgrammeFactory
from tests.factories import ProviderFactory
from tests.factories import UserFactory
from tests.factories.matchmaking import TEST_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def english_only(db):
    """An English-only CSIRT programme; French-speaking Senegal and Mali need one,
    and Niger's confidential need is hidden from the provider."""
    provider = ProviderFactory(ref="prov", name="Cyber Academy")
    owner = UserFactory(username="owner")
    MembershipFactory(
        user=owner, member_state=None, provider=provider, role=MembershipRole.MANAGER
    )
    programme = ProgrammeFactory(
        ref="english", provider=provider, title="CSIRT course", languages=["en"]
    )
    for iso3, name in (("SEN", "Senegal"), ("MLI", "Mali")):
        NeedFactory(
            ref=f"{iso3.lower()}-csirt",
            member_state=MemberStateFactory(country=Country.objects.get(iso3=iso3)),
            title=f"National CSIRT for {name}",
        )
    NeedFactory(
        ref="secret",
        member_state=MemberStateFactory(country=Country.objects.get(iso3="NER")),
        title="Confidential CSIRT plan",
        visibility=Visibility.CONFIDENTIAL,
    )
    suggestions.rematch_all()
    suggestions.refresh_derived()  # queued after the rematch
    return programme


@pytest.fixture
def enqueued():
    """Tasks the live server's requests queue (the dummy backend keeps its
    results per thread; the signal reaches the test's thread too)."""
    queued: list = []

    def remember(sender, task_result, **kwargs) -> None:
        queued.append(task_result)

    task_enqueued.connect(remember)
    yield queued
    task_enqueued.disconnect(remember)


def screenshots(page, name: str) -> None:
    """Full-page screenshots at 1280 and 390 pixels wide."""
    SCREENSHOTS.mkdir(exist_ok=True)
    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        path = SCREENSHOTS / f"advisor-{name}-{width}.png"
        page.screenshot(path=path, full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_a_provider_follows_the_advice_and_the_unlocked_needs_are_matched(
    visit, english_only, enqueued
):
    programme = english_only
    # No shared language: nothing is eligible for the French-speaking needs.
    assert not Match.objects.filter(programme=programme).exists()
    assert set(
        Need.objects.filter(ref__in=["sen-csirt", "mli-csirt", "secret"]).values_list(
            "unmet_reason", flat=True
        )
    ) == {UnmetReason.NO_ELIGIBLE}

    provider = visit()
    provider.sign_in("owner", TEST_PASSWORD)
    provider.goto("/programmes/english/")
    page = provider.page
    section = page.locator("section[aria-labelledby=advice-heading]")
    expect(section.get_by_role("heading")).to_have_text(
        "Unmet needs this programme could serve"
    )
    advice = section.locator("li[data-kind=language]")
    expect(advice).to_have_count(1)
    expect(advice.locator("strong")).to_have_text("Offer it in French")
    expect(advice).to_contain_text("2 unmet needs would fit")
    expect(advice.get_by_role("link")).to_have_text(
        ["National CSIRT for Mali", "National CSIRT for Senegal"]
    )
    expect(section).not_to_contain_text("Confidential CSIRT plan")
    provider.check("advisor-programme", screenshots=False)
    screenshots(page, "advice")

    # The change the advice names, made through the programme's edit form.
    page.get_by_role("link", name="Edit this programme").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_label("English")).to_be_checked()
    page.get_by_label("French").check()
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", level=1)).to_have_text("CSIRT course")
    programme.refresh_from_db()
    assert sorted(programme.languages.values_list("code", flat=True)) == ["en", "fr"]

    # The edit queued a refresh of the programme's suggestions; the task worker
    # (not running behind these pages) runs it now.
    refreshes = [r for r in enqueued if r.task.name == refresh_programme_task.name]
    assert [list(r.args) for r in refreshes] == [[programme.pk]]
    for result in refreshes:
        result.task.call(*result.args, **result.kwargs)
    # It queued the programme's advice and near misses after it: run them too.
    derived = [
        r for r in enqueued if r.task.name == refresh_programme_derived_task.name
    ]
    assert [r.args[0] for r in derived] == [programme.pk]
    for result in derived:
        result.task.call(*result.args, **result.kwargs)
    assert sorted(
        Match.objects.filter(programme=programme).values_list("need__ref", flat=True)
    ) == ["mli-csirt", "secret", "sen-csirt"]

    # The advice is followed: none is left, and the unlocked need lists it.
    provider.goto("/programmes/english/")
    expect(page.locator("section[aria-labelledby=advice-heading]")).to_have_count(0)
    provider.goto("/programmes/english/matches/")
    expect(page.locator("main")).to_contain_text("National CSIRT for Senegal")
    expect(page.locator("main")).to_contain_text("National CSIRT for Mali")
    expect(page.locator("main")).not_to_contain_text("Confidential CSIRT plan")
    provider.check("advisor-programme-matches", screenshots=False)
    screenshots(page, "matched")

    focal = visit()
    MembershipFactory(
        user=UserFactory(username="focal"),
        member_state=Need.objects.get(ref="sen-csirt").member_state,
    )
    focal.sign_in("focal", TEST_PASSWORD)
    focal.goto("/needs/sen-csirt/")
    expect(focal.page.locator("main")).to_contain_text("CSIRT course")
    focal.check("advisor-unlocked-need", screenshots=False)
    screenshots(focal.page, "unlocked-need")
