"""Sorting and searching that respect each language and script."""

from __future__ import annotations

import importlib.util
import os

import pytest
from django.utils import translation

from matchmaking import i18n
from matchmaking.models import Country
from matchmaking.models import Region
from tests.factories import ProgrammeFactory

HAS_ICU = importlib.util.find_spec("icu") is not None
# CI installs PyICU (the icu extra) and sets REQUIRE_ICU, so these never skip
# there; locally they skip when PyICU could not be built.
if os.environ.get("REQUIRE_ICU") and not HAS_ICU:
    raise RuntimeError("REQUIRE_ICU is set but PyICU is not installed")


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Côte d\u2019Ivoire", "cote d ivoire"),
        ("COTE-D'IVOIRE", "cote d ivoire"),
        ("Türkiye", "turkiye"),
        ("Кот-д'Ивуар", "кот д ивуар"),
        ("Йемен", "иемен"),
        ("كُوت دِيفوار", "كوت ديفوار"),  # vowel marks dropped
        ("الأردن", "الاردن"),  # hamza on alef
        ("مـصـر", "مصر"),  # tatweel dropped
        ("科特迪瓦", "科特迪瓦"),
        ("\uff26\uff55\uff4c\uff4c\u3000\uff57\uff49\uff44\uff54\uff48", "full width"),
    ],
)
def test_fold_ignores_case_accents_marks_and_punctuation(text, folded):
    assert i18n.fold(text) == folded


def test_matches_needs_every_word_and_finds_chinese_substrings():
    assert i18n.matches("cote ivoire", "Côte d\u2019Ivoire")
    assert not i18n.matches("cote ghana", "Côte d\u2019Ivoire")
    assert i18n.matches("迪瓦", "科特迪瓦")
    assert i18n.matches("", "anything")


@pytest.mark.parametrize(
    ("language", "words", "expected"),
    [
        (
            "fr",
            ["Espagne", "Égypte", "Danemark", "Éthiopie", "Zambie", "eau"],
            ["Danemark", "eau", "Égypte", "Espagne", "Éthiopie", "Zambie"],
        ),
        (
            "ru",
            ["Япония", "Австрия", "Ёмкость", "Египет", "Бразилия"],
            ["Австрия", "Бразилия", "Египет", "Ёмкость", "Япония"],
        ),
        (
            "ar",
            ["مصر", "الأردن", "تونس", "الجزائر", "بنغلاديش"],
            ["الأردن", "الجزائر", "بنغلاديش", "تونس", "مصر"],
        ),
    ],
)
def test_sorting_follows_the_language(language, words, expected):
    assert i18n.sorted_by_name(words, code=language) == expected


@pytest.mark.skipif(not HAS_ICU, reason="pinyin order needs PyICU (the icu extra)")
def test_chinese_sorts_by_pinyin_with_icu():
    words = ["中国", "阿富汗", "巴西", "德国", "日本", "法国"]
    assert i18n.sorted_by_name(words, code="zh-hans") == [
        "阿富汗",
        "巴西",
        "德国",
        "法国",
        "日本",
        "中国",
    ]


@pytest.mark.skipif(not HAS_ICU, reason="Spanish tailoring needs PyICU")
def test_spanish_puts_enye_after_n_with_icu():
    words = ["Ñandú", "Noruega", "Namibia", "Níger"]
    assert i18n.sorted_by_name(words, code="es") == [
        "Namibia",
        "Níger",
        "Noruega",
        "Ñandú",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    ["cote d'ivoire", "CÔTE D\u2019IVOIRE", "Кот-д'Ивуар", "كوت ديفوار", "科特迪瓦"],
)
def test_countries_are_found_in_any_language_and_spelling(query):
    assert i18n.countries_matching(query) == ["CIV"]


@pytest.mark.django_db
def test_short_queries_do_not_match_every_country():
    assert i18n.countries_matching("a") == []
    assert i18n.countries_matching("   ") == []
    assert i18n.countries_matching("CIV") == ["CIV"]


@pytest.mark.django_db
def test_topics_are_found_by_their_name_in_any_language():
    assert i18n.topics_matching("criminalistique numerique") == ["digital-forensics"]
    assert set(i18n.topics_matching("网络犯罪")) == {
        "cybercrime-legislation",
        "cybercrime-cooperation",
        "law-enforcement",
        "digital-forensics",
        "prosecution-judiciary",
    }


@pytest.mark.django_db
def test_the_catalogue_search_finds_a_country_however_it_is_written(client):
    civ = Country.objects.get(iso3="CIV")
    for_civ = ProgrammeFactory(ref="prog-civ", title="Incident response clinic")
    for_civ.eligible_countries.set([civ])
    ProgrammeFactory(ref="prog-other", title="Another clinic")
    for query in ("cote d'ivoire", "Кот-д'Ивуар", "كوت ديفوار"):
        response = client.get("/programmes/", {"q": query})
        refs = [p.ref for p in response.context["page"].object_list]
        assert refs == ["prog-civ"], query
    response = client.get("/programmes/", {"q": "clinic"})
    refs = sorted(p.ref for p in response.context["page"].object_list)
    assert refs == ["prog-civ", "prog-other"]


@pytest.mark.django_db
def test_the_region_facet_is_sorted_in_the_reader_language(client, all_languages):
    ProgrammeFactory(ref="prog-open")
    response = client.get("/ru/programmes/")
    facet = next(f for f in response.context["facets"] if f.name == "region")
    labels = [option["label"] for option in facet.options]
    with translation.override("ru"):
        expected = i18n.sorted_by_name(
            [r.name for r in Region.objects.filter(level="region")], code="ru"
        )
    assert labels == expected
    assert labels[0] == "Азия"
