"""One format per kind of figure: dates in the language's short date format,
scores as percentages, ranks unique and consecutive, languages by name."""

import pytest
from django.urls import reverse
from django.utils import translation

from matchmaking import explain
from matchmaking.enums import MatchOrigin
from tests.factories import MatchFactory
from tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db


def test_ranks_on_a_need_page_are_unique_and_consecutive(client, world):
    # A curator's proposal has no engine rank; an engine tie gives two #1.
    MatchFactory(
        need=world.need_a,
        programme=ProgrammeFactory(provider=world.provider_p),
        score=0.9,
        rank=1,
    )
    MatchFactory(
        need=world.need_a,
        programme=ProgrammeFactory(provider=world.provider_p),
        score=0.4,
        rank=None,
        origin=MatchOrigin.CURATOR,
    )
    client.force_login(world.ms_a)
    response = client.get(reverse("need-detail", args=[world.need_a.ref]))
    assert [row["position"] for row in response.context["matches"]] == [1, 2, 3]
    html = response.content.decode()
    assert html.count("data-rank>#1<") == 1


def test_language_names_are_names_in_the_readers_language(db):
    with translation.override("zh-hans"):
        assert explain.language_name("zh") == "简体中文"
    with translation.override("en"):
        assert explain.language_name("zh") == "Simplified Chinese"
        # A language Django does not name: its English name, never its code.
        assert explain.language_name("ha") == "Hausa"
