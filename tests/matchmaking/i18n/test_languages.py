"""How a request gets its language: URL prefix, profile, cookie, Accept-Language."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from matchmaking import i18n
from matchmaking.models import Country
from matchmaking.models import User
from tests.factories import UserFactory

HTML = {"HTTP_ACCEPT": "text/html,application/xhtml+xml"}
SIX = ["en", "ar", "es", "fr", "ru", "zh-hans"]


def html_lang(response) -> tuple[str, str]:
    found = re.search(r'<html lang="([^"]+)" dir="([^"]+)"', response.content.decode())
    assert found, "no <html lang dir>"
    return found[1], found[2]


def switcher_options(response) -> list[tuple[str, str]]:
    form = re.search(
        r'<select name="language" id="language-select".*?</select>',
        response.content.decode(),
        re.S,
    )
    assert form, "no switcher"
    option = r'<option value="([^"]+)" lang="[^"]+" dir="[^"]+"[^>]*>([^<]+)<'
    return re.findall(option, form[0])


@pytest.mark.django_db
def test_english_stays_at_the_unprefixed_urls(client, all_languages):
    response = client.get("/programmes/", **HTML)
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    assert html_lang(response) == ("en", "ltr")
    assert "css/rtl.css" not in response.content.decode()
    vary = {v.strip() for v in response["Vary"].split(",")}
    assert {"Accept-Language", "Cookie"} <= vary


@pytest.mark.django_db
def test_the_switcher_offers_every_compiled_language_by_its_own_name(
    client, all_languages
):
    response = client.get("/")
    assert switcher_options(response) == [
        ("en", "English"),
        ("ar", "العربيّة"),
        ("es", "español"),
        ("fr", "français"),
        ("ru", "Русский"),
        ("zh-hans", "简体中文"),
    ]


@pytest.mark.django_db
def test_a_language_without_a_compiled_catalogue_is_not_offered(client, only_french):
    assert i18n.available_codes() == ["en", "fr"]
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="ar", **HTML)
    assert response.status_code == 200
    assert html_lang(response) == ("en", "ltr")
    assert switcher_options(response) == [("en", "English"), ("fr", "français")]


@pytest.mark.django_db
def test_no_switcher_when_only_english_is_compiled(client, settings, tmp_path):
    settings.LOCALE_PATHS = [str(tmp_path)]
    response = client.get("/")
    assert 'id="language-select"' not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("fr-CH, fr;q=0.9, en;q=0.8", "/fr/programmes/?q=csirt"),
        ("ar", "/ar/programmes/?q=csirt"),
        ("zh-CN,zh;q=0.9", "/zh-hans/programmes/?q=csirt"),
        ("de-DE, ru;q=0.5", "/ru/programmes/?q=csirt"),
    ],
)
def test_accept_language_redirects_to_the_prefixed_page(
    client, all_languages, header, target
):
    response = client.get("/programmes/?q=csirt", HTTP_ACCEPT_LANGUAGE=header, **HTML)
    assert response.status_code == 302
    assert response["Location"] == target
    vary = {v.strip() for v in response["Vary"].split(",")}
    assert {"Accept-Language", "Cookie"} <= vary


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["en-GB,en;q=0.9,fr;q=0.8", "de, it", "*"])
def test_english_or_unknown_preferences_stay_in_english(client, all_languages, header):
    response = client.get("/programmes/", HTTP_ACCEPT_LANGUAGE=header, **HTML)
    assert response.status_code == 200
    assert html_lang(response) == ("en", "ltr")


@pytest.mark.django_db
def test_only_page_navigations_are_redirected(client, all_languages):
    """Form posts, htmx swaps and non-HTML clients get the URL's language."""
    assert client.get("/programmes/", HTTP_ACCEPT_LANGUAGE="fr").status_code == 200
    htmx = client.get(
        "/programmes/", HTTP_ACCEPT_LANGUAGE="fr", HTTP_HX_REQUEST="true", **HTML
    )
    assert htmx.status_code == 200
    assert htmx["Content-Language"] == "en"
    login = client.post(
        "/accounts/login/",
        {"username": "nobody", "password": "wrong"},
        HTTP_ACCEPT_LANGUAGE="fr",
        **HTML,
    )
    assert login.status_code == 200
    assert login["Content-Language"] == "en"


@pytest.mark.django_db
def test_a_prefixed_url_is_always_in_its_language(client, all_languages):
    client.cookies["language"] = "ru"
    response = client.get("/ar/programmes/", HTTP_ACCEPT_LANGUAGE="fr", **HTML)
    assert response.status_code == 200
    assert response["Content-Language"] == "ar"
    assert html_lang(response) == ("ar", "rtl")
    body = response.content.decode()
    assert "/static/css/rtl.css" in body
    # Links stay in the language.
    assert 'href="/ar/needs/"' in body
    assert 'href="/ar/roundtable/"' in body


@pytest.mark.django_db
def test_the_cookie_beats_accept_language(client, all_languages):
    client.cookies["language"] = "es"
    response = client.get("/needs/", HTTP_ACCEPT_LANGUAGE="fr", **HTML)
    assert response["Location"] == "/es/needs/"
    client.cookies["language"] = "en"
    response = client.get("/needs/", HTTP_ACCEPT_LANGUAGE="fr", **HTML)
    assert response.status_code == 200
    assert response["Content-Language"] == "en"


@pytest.mark.django_db
def test_the_profile_beats_cookie_and_accept_language(client, all_languages):
    user = UserFactory(username="focal", language="ru")
    client.force_login(user)
    client.cookies["language"] = "es"
    response = client.get("/needs/", HTTP_ACCEPT_LANGUAGE="fr", **HTML)
    assert response.status_code == 302
    assert response["Location"] == "/ru/needs/"


@pytest.mark.django_db
def test_the_profile_costs_no_extra_query(
    client, all_languages, django_assert_num_queries
):
    user = UserFactory(username="focal", language="")
    client.force_login(user)
    # 1 session, 2 user (read once, before authentication, and reused).
    with django_assert_num_queries(2):
        response = client.get("/i18n/setlang/")
    assert response.status_code == 405


@pytest.mark.django_db
def test_pages_outside_the_prefixes_follow_the_preference(client, all_languages):
    response = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="fr", **HTML)
    assert response["Content-Language"] == "fr"
    response = client.get("/admin/login/", **HTML)
    assert response["Content-Language"] == "en"


# --- the switcher ---------------------------------------------------------------


@pytest.mark.django_db
def test_switching_stores_a_cookie_and_shows_the_same_page(all_languages):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/needs/?status=open")
    token = page.cookies["csrftoken"].value
    response = client.post(
        "/i18n/setlang/",
        {"language": "fr", "next": "/needs/?status=open", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert response["Location"] == "/fr/needs/?status=open"
    assert response.cookies["language"].value == "fr"
    assert response.cookies["language"]["samesite"] == "Lax"
    # And back to English from the French page.
    response = client.post(
        "/i18n/setlang/",
        {
            "language": "en",
            "next": "/fr/needs/?status=open",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response["Location"] == "/needs/?status=open"
    assert response.cookies["language"].value == "en"
    assert client.get("/needs/", **HTML).status_code == 200


@pytest.mark.django_db
def test_switching_needs_the_csrf_token(all_languages):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert response.status_code == 403
    assert "language" not in response.cookies


@pytest.mark.django_db
def test_signed_in_users_keep_the_choice_in_their_profile(client, all_languages):
    user = UserFactory(username="focal")
    client.force_login(user)
    response = client.post(
        "/i18n/setlang/", {"language": "zh-hans", "next": "/ar/roundtable/"}
    )
    assert response["Location"] == "/zh-hans/roundtable/"
    assert "language" not in response.cookies
    user.refresh_from_db()
    assert user.language == "zh-hans"
    # Every device now opens in Chinese.
    other_device = Client()
    other_device.force_login(user)
    response = other_device.get("/roundtable/", **HTML)
    assert response["Location"] == "/zh-hans/roundtable/"


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["de", "", "zh-hant", "xx-invalid"])
def test_switching_to_a_language_not_offered_is_a_400(client, all_languages, value):
    response = client.post("/i18n/setlang/", {"language": value, "next": "/"})
    assert response.status_code == 400
    assert response.content.decode() == "language: choose one of the languages offered."
    assert "language" not in response.cookies


@pytest.mark.django_db
def test_switching_never_redirects_off_site(client, all_languages):
    response = client.post(
        "/i18n/setlang/", {"language": "fr", "next": "https://evil.example/x"}
    )
    assert response["Location"] == "/fr/"
    response = client.post(
        "/i18n/setlang/", {"language": "fr", "next": "//evil.example"}
    )
    assert response["Location"] == "/fr/"


@pytest.mark.django_db
def test_switching_by_get_is_refused(client, all_languages):
    response = client.get("/i18n/setlang/?language=fr&next=/")
    assert response.status_code == 405
    assert "language" not in response.cookies


@pytest.mark.django_db
def test_the_profile_page_edits_the_language(client, all_languages):
    user = UserFactory(username="focal", email="focal@example.org")
    client.force_login(user)
    page = client.get("/accounts/profile/")
    body = page.content.decode()
    assert '<select name="language"' in body
    response = client.post(
        "/accounts/profile/",
        {
            "first_name": "Awa",
            "last_name": "Diop",
            "email": "focal@example.org",
            "language": "es",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/es/accounts/profile/"
    user.refresh_from_db()
    assert user.language == "es"
    bad = client.post(
        "/accounts/profile/",
        {
            "first_name": "A",
            "last_name": "D",
            "email": "focal@example.org",
            "language": "de",
        },
    )
    assert bad.status_code == 400
    assert "language" in bad.context["form"].errors
    user.refresh_from_db()
    assert user.language == "es"


# --- the API --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_answers_in_the_accept_language_language_without_redirect(
    client, all_languages
):
    response = client.get("/api/v1/countries/CIV/", HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    assert response["Content-Language"] == "ru"
    body = response.json()
    assert body["name"] == "Кот-д'Ивуар"
    civ = Country.objects.get(iso3="CIV")
    apostrophe = "\u2019"
    assert body["names"] == {
        "ar": "كوت ديفوار",
        "zh": "科特迪瓦",
        "en": civ.name_en,
        "fr": f"Côte d{apostrophe}Ivoire",
        "ru": "Кот-д'Ивуар",
        "es": f"Côte d{apostrophe}Ivoire",
    }
    english = client.get("/api/v1/countries/CIV/").json()
    assert english["name"] == civ.name_en


@pytest.mark.django_db
def test_the_api_falls_back_to_the_profile_language(client, all_languages):
    user = UserFactory(username="focal", language="fr")
    client.force_login(user)
    response = client.get("/api/v1/regions/002/")
    assert response.json()["name"] == "Afrique"
    response = client.get("/api/v1/regions/002/", HTTP_ACCEPT_LANGUAGE="es")
    assert response.json()["name"] == "África"


@pytest.mark.django_db
def test_token_clients_get_their_profile_language(client, all_languages):
    from matchmaking.accounts.tokens import create_token

    user = UserFactory(username="robot", language="zh-hans")
    _token, key = create_token(user=user, name="reporting", scope="read")
    response = client.get("/api/v1/taxonomy/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    themes = {t["slug"]: t["name"] for t in response.json()["themes"]}
    assert themes["cybercrime"] == "网络犯罪"


@pytest.mark.django_db
def test_user_language_lists_the_six_languages():
    assert [code for code, _name in User._meta.get_field("language").choices] == SIX


@pytest.mark.django_db
def test_switching_on_a_page_outside_the_prefixes_keeps_its_url(client, all_languages):
    response = client.post(
        "/i18n/setlang/", {"language": "ru", "next": "/api/v1/docs/?x=1"}
    )
    assert response["Location"] == "/api/v1/docs/?x=1"
    assert response.cookies["language"].value == "ru"
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/fr"})
    assert response["Location"] == "/es/"


def test_paths_move_between_languages():
    assert i18n.path_in_language("/fr/needs/", "en") == "/needs/"
    assert i18n.path_in_language("/needs/", "zh-hans") == "/zh-hans/needs/"
    assert i18n.path_in_language("/ar", "en") == "/"
    assert i18n.url_in_language("https://cbm.example/fr/x/?a=1#b", "ru") == (
        "https://cbm.example/ru/x/?a=1#b"
    )
