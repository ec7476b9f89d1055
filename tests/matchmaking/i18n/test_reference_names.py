"""Reference data in every language: taxonomy names, countries, regions."""

from __future__ import annotations

import json

import pytest
from django.utils import translation

from matchmaking.models import AssistanceType
from matchmaking.models import Audience
from matchmaking.models import Country
from matchmaking.models import Language
from matchmaking.models import Priority
from matchmaking.models import Region
from matchmaking.models import Theme
from matchmaking.models import Topic
from matchmaking.reference import DATA_DIR
from matchmaking.reference import TRANSLATED_LANGUAGES
from matchmaking.reference import VOCABULARY_MODELS
from matchmaking.reference import load_taxonomy
from matchmaking.reference import load_taxonomy_names


def taxonomy_slugs() -> dict[str, set[str]]:
    taxonomy = load_taxonomy()
    slugs = {
        vocabulary: {entry["slug"] for entry in taxonomy[vocabulary]}
        for vocabulary in VOCABULARY_MODELS
        if vocabulary not in {"themes", "topics"}
    }
    slugs["themes"] = {theme["slug"] for theme in taxonomy["themes"]}
    slugs["topics"] = {
        topic["slug"] for theme in taxonomy["themes"] for topic in theme["topics"]
    }
    return slugs


def test_every_vocabulary_entry_has_a_name_in_the_five_languages():
    names = load_taxonomy_names()
    slugs = taxonomy_slugs()
    assert set(names) == set(slugs)
    for vocabulary, expected in slugs.items():
        assert set(names[vocabulary]) == expected, vocabulary
        for slug, by_language in names[vocabulary].items():
            assert sorted(by_language) == sorted(TRANSLATED_LANGUAGES), slug
            assert all(name.strip() for name in by_language.values()), slug
    data = json.loads((DATA_DIR / "taxonomy_i18n.json").read_text(encoding="utf-8"))
    assert data["format"] == "cbm-taxonomy-i18n/1"


@pytest.mark.parametrize(
    ("language", "terms"),
    [
        ("fr", ["équipes nationales d'intervention en cas d'incident", "CSIRT/CERT"]),
        ("es", ["equipos nacionales de respuesta a incidentes", "CSIRT/CERT"]),
        ("ru", ["групп реагирования на инциденты", "CSIRT/CERT"]),
        ("zh", ["计算机安全事件响应小组", "CSIRT/CERT"]),
        ("ar", ["الأفرقة الوطنية للاستجابة للحوادث الحاسوبية", "CSIRT/CERT"]),
    ],
)
def test_csirt_uses_the_un_term(language, terms):
    name = load_taxonomy_names()["topics"]["csirt-establishment"][language]
    for term in terms:
        assert term in name


@pytest.mark.django_db
def test_the_migrations_store_the_names_and_the_active_language_picks_one():
    theme = Theme.objects.get(slug="cybercrime")
    assert (theme.name_fr, theme.name_es, theme.name_ru) == (
        "Cybercriminalité",
        "Ciberdelincuencia",
        "Киберпреступность",
    )
    assert (theme.name_zh, theme.name_ar) == ("网络犯罪", "الجريمة السيبرانية")
    expected = {
        "en": "Cybercrime",
        "fr": "Cybercriminalité",
        "es": "Ciberdelincuencia",
        "ru": "Киберпреступность",
        "zh-hans": "网络犯罪",
        "ar": "الجريمة السيبرانية",
    }
    for language, name in expected.items():
        with translation.override(language):
            assert theme.label == name
            assert str(theme) == name
    assert theme.name == "Cybercrime"  # the English source is unchanged
    assert theme.names == {
        "ar": "الجريمة السيبرانية",
        "zh": "网络犯罪",
        "en": "Cybercrime",
        "fr": "Cybercriminalité",
        "ru": "Киберпреступность",
        "es": "Ciberdelincuencia",
    }


@pytest.mark.django_db
def test_every_vocabulary_row_is_translated_in_the_database():
    for model in (Theme, Topic, AssistanceType, Audience, Priority):
        for row in model.objects.all():
            for lang in TRANSLATED_LANGUAGES:
                assert getattr(row, f"name_{lang}"), (model.__name__, row.pk, lang)


@pytest.mark.django_db
def test_countries_and_regions_are_named_in_the_six_languages():
    africa = Region.objects.get(code="002")
    with translation.override("ar"):
        assert africa.name == "أفريقيا"
    with translation.override("zh-hans"):
        assert africa.name == "非洲"
    senegal = Country.objects.get(iso3="SEN")
    with translation.override("ru"):
        assert senegal.name == "Сенегал"
    with translation.override("es"):
        assert senegal.name == "Senegal"


@pytest.mark.django_db
def test_language_names_follow_the_active_language():
    french = Language.objects.get(code="fr")
    with translation.override("es"):
        assert french.label == "Francés"
    with translation.override("ru"):
        assert french.label == "Французский"
    with translation.override("en"):
        assert french.label == "French"


@pytest.mark.django_db
def test_the_taxonomy_api_names_each_entry_in_each_language(client, all_languages):
    response = client.get("/api/v1/taxonomy/", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200
    body = response.json()
    theme = next(t for t in body["themes"] if t["slug"] == "incident-management-cip")
    assert theme["name"] == (
        "Gestión de ciberincidentes y protección de infraestructuras críticas"
    )
    assert theme["names"]["en"] == (
        "Cyber Incident Management and Critical Infrastructure Protection"
    )
    topic = next(t for t in theme["topics"] if t["slug"] == "csirt-establishment")
    assert topic["names"]["ru"].startswith("Создание и развитие национальных групп")
    audiences = {a["slug"]: a["name"] for a in body["audiences"]}
    assert audiences["general-public"] == "Público en general"
    languages = {lang["code"]: lang["name"] for lang in body["languages"]}
    assert languages["ar"] == "Árabe"


@pytest.mark.django_db
def test_pages_show_taxonomy_and_country_names_in_the_language(
    client, world, all_languages
):
    response = client.get("/fr/programmes/prog-q/")
    body = response.content.decode()
    assert "Législation et cadres juridiques relatifs à la cybercriminalité" in body
    response = client.get("/ru/needs/need-a/")
    body = response.content.decode()
    assert "Сенегал" in body
    response = client.get("/zh-hans/programmes/")
    body = response.content.decode()
    assert "网络犯罪" in body  # the theme facet
