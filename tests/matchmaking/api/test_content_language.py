"""The API's content language: content_language, nested translations, shown, reasons."""

from __future__ import annotations

import pytest

from matchmaking.models import ContentTranslation
from matchmaking.models import Match
from tests.matchmaking.api.conftest import client_for

pytestmark = pytest.mark.django_db

TRANSLATIONS = [
    {"language": "fr", "title": "Un besoin public", "summary": "Un CSIRT national."}
]


@pytest.fixture
def world(shared_world):
    """The API cast, made once for this module (conftest.shared_world)."""
    return shared_world


def test_the_owner_writes_translations_and_readers_get_their_language(world):
    owner = client_for(world, "ms_a")
    response = owner.patch(
        "/api/v1/needs/need-a/",
        {"content_language": "en", "translations": TRANSLATIONS},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["translations"] == TRANSLATIONS
    french = client_for(world, "anon").get(
        "/api/v1/needs/need-a/", HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert french.json()["shown"] == {
        "language": "fr",
        "title": "Un besoin public",
        "summary": "Un CSIRT national.",
        "is_original": False,
        "notice": "",
    }
    # The list replaces the stored one: an empty list removes them all.
    assert (
        owner.patch(
            "/api/v1/needs/need-a/", {"translations": []}, format="json"
        ).json()["translations"]
        == []
    )
    assert not ContentTranslation.objects.exists()


def test_other_users_cannot_translate_and_nothing_changes(world):
    for role in ("ms_b", "prov_p"):
        response = client_for(world, role).patch(
            "/api/v1/needs/need-a/", {"translations": TRANSLATIONS}, format="json"
        )
        assert response.status_code == 403
    assert not ContentTranslation.objects.exists()


def test_bad_languages_are_a_400_naming_the_field(world):
    owner = client_for(world, "ms_a")
    response = owner.patch(
        "/api/v1/needs/need-a/", {"content_language": "xx"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "content_language": ["Unknown language code “xx”."]
    }
    response = owner.patch(
        "/api/v1/needs/need-a/",
        {"translations": [{"language": "en", "title": "Same as the original"}]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "translations": [
            "Item 1: language: The text is written in this language: pick another one."
        ]
    }
    assert not ContentTranslation.objects.exists()


def test_search_matches_translated_titles(world):
    client_for(world, "ms_a").patch(
        "/api/v1/needs/need-a/", {"translations": TRANSLATIONS}, format="json"
    )
    found = client_for(world, "anon").get("/api/v1/needs/", {"q": "besoin public"})
    assert [n["ref"] for n in found.json()["results"]] == ["need-a"]


def test_match_reasons_are_rendered_in_the_requests_language(world):
    match = Match.objects.get(need=world.need_a, programme=world.prog_p)
    match.reasons = [{"code": "not_in_area", "params": {"country": "SEN"}}]
    match.save(update_fields=["reasons"])
    client = client_for(world, "ms_a")
    english = client.get(f"/api/v1/matches/{match.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["reasons"] == [
        {
            "code": "not_in_area",
            "params": {"country": "SEN"},
            "text": "Not open to Senegal",
        }
    ]
    french = client.get(f"/api/v1/matches/{match.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
    assert "Sénégal" in french.json()["reasons"][0]["text"]
