"""The catalogue's text search: what full text (PostgreSQL) finds and how it
orders it, what the substring search (SQLite) finds, and that neither shows or
counts a programme the reader may not see, whichever way it is found (its
words, a misspelling, its provider's name, a country or topic it names)."""

import pytest
from django.db import connection
from django.urls import reverse

from matchmaking.enums import ProgrammeStatus
from matchmaking.models import Country
from tests.factories import ProgrammeFactory
from tests.factories import ProviderFactory

pytestmark = pytest.mark.django_db

ON_POSTGRES = connection.vendor == "postgresql"


def _read(client, query: str) -> tuple[list[str], int, dict[str, dict[str, int]]]:
    """The page's refs, the result count and the facet counts."""
    response = client.get(reverse("programme-list"), {"q": query, "ended": "1"})
    assert response.status_code == 200
    page = response.context["page"]
    facets = {
        facet.name: {o["value"]: o["count"] for o in facet.options}
        for facet in response.context["facets"]
    }
    return [p.ref for p in page], page.paginator.count, facets


def test_full_text_finds_words_and_substring_search_finds_parts_of_words(client):
    ProgrammeFactory(
        ref="fr-training",
        title="Formation des magistrats",
        summary="Une formation pour les juges.",
        description="Cours.",
        content_language_id="fr",
        topics=["cybercrime-legislation"],
    )
    ProgrammeFactory(
        ref="info-sharing",
        title="Information sharing",
        summary="Threat information sharing between CSIRTs.",
        description="Workshops.",
        # Not a topic whose theme's name holds "information" (a name that
        # holds the query finds its programmes, on both databases).
        topics=["cybercrime-legislation"],
    )
    refs, count, _facets = _read(client, "formation")
    if ON_POSTGRES:
        # A word, not a part of one: "information" is another word.
        assert (refs, count) == (["fr-training"], 1)
    else:
        assert (sorted(refs), count) == (["fr-training", "info-sharing"], 2)


@pytest.mark.skipif(not ON_POSTGRES, reason="relevance ranking: full text only")
def test_full_text_lists_the_title_match_before_a_mention_in_the_text(client):
    ProgrammeFactory(
        ref="mention",
        title="A cyber diplomacy course",
        summary="Negotiation skills.",
        description="One session covers submarine cable protection.",
    )
    ProgrammeFactory(
        ref="title",
        title="Submarine cable resilience",
        summary="Protecting submarine cable landing stations.",
        description="Assessments.",
    )
    refs, count, _facets = _read(client, "submarine cable")
    # By title alone "A cyber..." would come first.
    assert (refs, count) == (["title", "mention"], 2)
    # Misspelt: nothing has the words, the titles close by trigrams do.
    refs, count, _facets = _read(client, "submarin cabel")
    assert (refs, count) == (["title"], 1)


@pytest.mark.parametrize(
    "query",
    [
        "quokka",  # their own words
        "quokkka",  # misspelt (trigram similarity on PostgreSQL)
        "Wombat Foundation",  # their provider's name
        "Tuvalu",  # a country they are open to
    ],
)
def test_unpublished_programmes_are_never_found_or_counted(client, query):
    tuvalu = Country.objects.get(iso3="TUV")
    wombat = ProviderFactory(name="Wombat Foundation")
    published = ProgrammeFactory(
        ref="shown", title="Quokka habitat security", provider=wombat
    )
    published.eligible_countries.set([tuvalu])
    for status in (ProgrammeStatus.DRAFT, ProgrammeStatus.PAUSED):
        hidden = ProgrammeFactory(
            ref=f"hidden-{status}",
            title="Quokka habitat security",
            provider=wombat,
            status=status,
            topics=["digital-forensics"],
        )
        hidden.eligible_countries.set([tuvalu])
    refs, count, facets = _read(client, query)
    if query == "quokkka" and not ON_POSTGRES:
        # The substring search does not read misspellings.
        assert (refs, count) == ([], 0)
        return
    assert (refs, count) == (["shown"], 1)
    # The hidden ones' topic is counted nowhere.
    assert facets["topic"] == {"csirt-establishment": 1}
    assert facets["ended"] == {"1": 0}
