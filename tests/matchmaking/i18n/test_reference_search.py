"""Countries and topics a search names: the same as matching every name afresh.

``countries_matching`` and ``topics_matching`` keep the folded names of each
reference row (folding them was most of a catalogue search's time); here they
are checked against ``i18n.matches`` over every row, as they read before.
"""

import pytest

from matchmaking import i18n
from matchmaking.models import UN_LANGUAGES
from matchmaking.models import Country
from matchmaking.models import Topic

pytestmark = pytest.mark.django_db

QUERIES = [
    "cote d'ivoire",
    "CIV",
    "ci",
    "Кот-д'Ивуар",
    "كوت ديفوار",
    "guinea",
    "Guinée équatoriale",
    "republic of",
    "island",
    "中国",
    "网络犯罪",
    "training",
    "criminalistique numerique",
    "incident response",
    "cyber",
    "xyzzy",
    "ab",
]


def _countries(query: str) -> list[str]:
    fields = ("iso3", "iso2", *(f"name_{lang}" for lang in UN_LANGUAGES))
    if not i18n._searchable(query):
        return []
    return [
        row[0]
        for row in Country.objects.order_by().values_list(*fields)
        if i18n.matches(query, *row[2:])
        or i18n.fold(query) in {i18n.fold(row[0]), i18n.fold(row[1])}
    ]


def _topics(query: str) -> list[str]:
    langs = ("name", "name_ar", "name_es", "name_fr", "name_ru", "name_zh")
    fields = ("slug", *langs, *(f"theme__{name}" for name in langs))
    if not i18n._searchable(query):
        return []
    return [
        row[0]
        for row in Topic.objects.order_by().values_list(*fields)
        if i18n.matches(query, *row[1:7]) or i18n.matches(query, *row[7:])
    ]


@pytest.mark.parametrize("query", QUERIES)
def test_reference_search_matches_every_name_as_matches_does(query):
    for _ in range(2):  # the second time from the folded names kept
        assert i18n.countries_matching(query) == _countries(query)
        assert i18n.topics_matching(query) == _topics(query)


def test_an_edited_country_name_is_found_by_its_new_name():
    assert i18n.countries_matching("atlantis") == []
    Country.objects.filter(iso3="CIV").update(name_en="Atlantis")
    assert i18n.countries_matching("atlantis") == ["CIV"]
