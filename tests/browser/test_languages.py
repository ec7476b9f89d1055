"""The six UN languages in a real browser: switcher, lang/dir, right-to-left.

For each language a focal point switches on the home page, then opens the
catalogue, a need with its matches and the agenda; every page passes axe-core
(WCAG 2.1 AA, with the lang rules asserted to have run), logs no console
error, and is screenshotted to screenshots/lang-<code>-<page>-*.png.

Until the translators finish, pages are partly English; the assertions rely
on what is already there in every language: the lang and dir attributes, the
native language names of the switcher and the UN M49 country names.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from roundtable.enums import SessionKind
from tests.factories import EventFactory
from tests.factories import SessionFactory
from tests.factories.matchmaking import TEST_PASSWORD
from tests.matchmaking.i18n.catalogues import compile_project_catalogues

pytestmark = pytest.mark.browser

LANGUAGES = {
    # code: (URL prefix, dir, native name in the switcher, Senegal in M49)
    "en": ("", "ltr", "English", "Senegal"),
    "ar": ("/ar", "rtl", "العربيّة", "السنغال"),
    "es": ("/es", "ltr", "español", "Senegal"),
    "fr": ("/fr", "ltr", "français", "Sénégal"),
    "ru": ("/ru", "ltr", "Русский", "Сенегал"),
    "zh-hans": ("/zh-hans", "ltr", "简体中文", "塞内加尔"),
}
LANG_RULES = ["html-has-lang", "html-lang-valid", "valid-lang"]


@pytest.fixture
def all_languages(settings, tmp_path_factory):
    """Offer the six languages whatever the state of locale/*.mo."""
    target = compile_project_catalogues(tmp_path_factory.mktemp("locale"))
    settings.LOCALE_PATHS = [str(target)]


@pytest.fixture
def agenda():
    event = EventFactory(
        slug="global-roundtable-2027",
        name="Global Roundtable 2027",
        venue="UN Headquarters",
        timezone="America/New_York",
    )
    SessionFactory(event=event, kind=SessionKind.OPENING, title="Opening plenary")
    return event


def assert_lang_rules_pass(visitor) -> None:
    """axe's lang rules ran (not just found nothing to check) and passed."""
    visitor.page.add_script_tag(
        url=f"{visitor.base_url}/static/vendor/axe-core-4.14.1/axe.min.js"
    )
    result = visitor.page.evaluate(
        "rules => axe.run(document, {runOnly: {type: 'rule', values: rules}})",
        LANG_RULES,
    )
    assert result["violations"] == []
    assert sorted(rule["id"] for rule in result["passes"]) == sorted(LANG_RULES)


def assert_language(visitor, code: str) -> None:
    prefix, direction, _name, _senegal = LANGUAGES[code]
    html = visitor.page.locator("html")
    expect(html).to_have_attribute("lang", code)
    expect(html).to_have_attribute("dir", direction)
    path = visitor.page.url.removeprefix(visitor.base_url)
    assert path.startswith(f"{prefix}/"), path
    if prefix == "":
        assert not any(path.startswith(f"/{c}/") for c in LANGUAGES if c != "en")


def assert_navigation_runs(visitor, direction: str) -> None:
    """The first navigation item is left of the second (ltr) or right (rtl)."""
    items = visitor.page.locator("#navigation > li")
    first, second = items.nth(0).bounding_box(), items.nth(1).bounding_box()
    assert first is not None
    assert second is not None
    assert abs(first["y"] - second["y"]) < 5  # on one line at desktop width
    if direction == "rtl":
        assert first["x"] > second["x"] + second["width"] - 1
    else:
        assert first["x"] + first["width"] < second["x"] + 1


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_a_focal_point_uses_the_platform_in_each_language(
    visit, world, agenda, all_languages, code
):
    prefix, direction, name, senegal = LANGUAGES[code]
    visitor = visit()
    visitor.sign_in("ms_a", TEST_PASSWORD)
    page = visitor.page

    # Home page: switch with the switcher (it offers every native name).
    visitor.goto("/")
    options = page.locator("#language-select option")
    expect(options).to_have_text([v[2] for v in LANGUAGES.values()])
    page.locator("#language-select").select_option(code)
    page.locator("[data-language-switcher] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert_language(visitor, code)
    expect(page.locator("#language-select option:checked")).to_have_text(name)
    assert_navigation_runs(visitor, direction)
    if direction == "rtl":
        expect(page.locator("link[href$='css/rtl.css']")).to_have_count(1)
    else:
        expect(page.locator("link[href$='css/rtl.css']")).to_have_count(0)
    assert_lang_rules_pass(visitor)
    visitor.check(f"lang-{code}-home")

    # The catalogue, reached through the (translated) navigation.
    page.locator(f"#navigation a[href='{prefix}/programmes/']").click()
    page.wait_for_load_state("networkidle")
    assert_language(visitor, code)
    expect(page.locator("#programme-results")).to_contain_text("CSIRT launch programme")
    visitor.check(f"lang-{code}-catalogue")

    # A need with its matches, as its focal point.
    visitor.goto(f"{prefix}/needs/need-a/")
    assert_language(visitor, code)
    expect(page.locator("main")).to_contain_text(senegal)
    card = page.locator(f"#match-{world.match_a.pk}")
    expect(card.locator("[data-score]")).to_have_text("87%")
    if direction == "rtl":
        # Scores stay left-to-right inside Arabic text.
        assert (
            card.locator("[data-score]").evaluate(
                "el => getComputedStyle(el).direction"
            )
            == "ltr"
        )
        main = page.locator("main")
        assert main.evaluate("el => getComputedStyle(el).direction") == "rtl"
    visitor.check(f"lang-{code}-need")

    # The agenda, in the event's time zone, with the zone named.
    visitor.goto(f"{prefix}/roundtable/events/{agenda.slug}/")
    assert_language(visitor, code)
    expect(page.locator("main")).to_contain_text("America/New_York")
    expect(page.locator("main")).to_contain_text("Opening plenary")
    visitor.check(f"lang-{code}-agenda")

    # The choice follows the user: an unprefixed link opens in the language.
    visitor.goto("/needs/")
    assert_language(visitor, code)


def test_an_anonymous_reader_keeps_the_language_in_a_cookie(
    visit, world, all_languages
):
    visitor = visit()
    visitor.goto("/programmes/")
    page = visitor.page
    page.locator("#language-select").select_option("ar")
    page.locator("[data-language-switcher] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/ar/programmes/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    # The facet checkboxes are drawn on the right in Arabic.
    item = page.locator(".facet .govuk-checkboxes__item").first
    box = item.locator(".govuk-checkboxes__input").bounding_box()
    label = item.locator(".govuk-checkboxes__label").bounding_box()
    assert box is not None
    assert label is not None
    assert box["x"] > label["x"]
    visitor.check("lang-ar-catalogue-anonymous")
    visitor.goto("/needs/")
    assert page.url.endswith("/ar/needs/")
