"""The catalogue's reference data (facet options, the names a search looks
up) kept per data generation (matchmaking/reference_cache.py): the same page
as read afresh, in fewer queries, and an edit shows once its generation
moves. The tests' transactions never commit, so the generation is moved by
hand here (``api_cache.bump``, as a committed write does)."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.urls import reverse

from matchmaking import api_cache
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.models import Topic
from tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db

ON_POSTGRES = connection.vendor == "postgresql"
SEARCH = {"q": "csirt", "theme": "incident-management-cip", "region": "002"}


def _facets(response) -> list[tuple[str, list[tuple[str, str, int, bool]]]]:
    return [
        (
            facet.name,
            [
                (o["value"], o["label"], o["count"], o["selected"])
                for o in facet.options
            ],
        )
        for facet in response.context["facets"]
    ]


@pytest.mark.parametrize("language", ["en", "fr", "zh-hans"])
@pytest.mark.parametrize("params", [{}, SEARCH], ids=["all", "searched"])
def test_kept_reference_data_gives_the_page_read_afresh(
    client, world, settings, language, params
):
    ProgrammeFactory(provider=world.provider_p, languages=["es", "fr", "ar"])
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    url = reverse("programme-list")
    fresh = client.get(url, params, **headers)
    settings.REFERENCE_CACHE_SECONDS = 60
    client.get(url, params, **headers)  # keeps them
    kept = client.get(url, params, **headers)
    assert _facets(kept) == _facets(fresh)
    assert [p.ref for p in kept.context["page"]] == [
        p.ref for p in fresh.context["page"]
    ]
    assert any(options for _name, options in _facets(kept))


@pytest.mark.parametrize("n", [1, 3])
def test_searched_catalogue_with_kept_reference_data_runs_fewer_queries(
    client, world, settings, django_assert_num_queries, n
):
    for _ in range(n - 1):
        ProgrammeFactory(provider=world.provider_p)
    ContentType.objects.get_for_model(Programme)
    ContentType.objects.get_for_model(Need)
    settings.REFERENCE_CACHE_SECONDS = 60
    url = reverse("programme-list")
    client.get(url, SEARCH)  # keeps them
    # the generations; one query for every facet count, the result count, the
    # page's ids and the ended programmes left out; the page; its topics; its
    # translations; on PostgreSQL the query read once (search.prepare: five
    # statements). Not the options of the 8 facets, nor the countries and
    # topics the search text names (page queries: 14 and 19 read afresh).
    with django_assert_num_queries(5 + (5 if ON_POSTGRES else 0)):
        response = client.get(url, SEARCH)
    assert response.status_code == 200
    assert response.context["page"].paginator.count == n


def test_an_edited_topic_shows_once_the_reference_generation_moves(
    client, world, settings
):
    settings.REFERENCE_CACHE_SECONDS = 60
    ProgrammeFactory(provider=world.provider_p, topics=["incident-response"])
    url = reverse("programme-list")

    def topic_labels() -> dict[str, str]:
        response = client.get(url)
        facet = next(f for f in response.context["facets"] if f.name == "topic")
        return {o["value"]: o["label"] for o in facet.options}

    before = topic_labels()["incident-response"]
    Topic.objects.filter(slug="incident-response").update(name="Incident handling")
    api_cache.bump(api_cache.REFERENCE)
    assert before != "Incident handling"
    assert topic_labels()["incident-response"] == "Incident handling"
