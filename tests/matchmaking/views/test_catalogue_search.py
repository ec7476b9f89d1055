"""The catalogue's text search: what full text (PostgreSQL) finds and how it
orders it, what the substring search (SQLite) finds, and that neither shows or
counts a programme the reader may not see, whichever way it is found (its
words, a misspelling, its provider's name, a country or topic it names)."""

import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse

from matchmaking import search
from matchmaking.enums import ProgrammeStatus
from matchmaking.models import Country
from matchmaking.views import catalogue
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


def test_a_search_finding_more_than_the_cap_says_so_and_counts_at_least(
    client, monkeypatch
):
    """Full text reads at most search.CAP results (and one more, to tell): the
    page says "more than", lists the most relevant of those read, and counts
    its filters among them as "at least"; under the cap every count is exact.
    The substring search (SQLite) reads and counts every match."""
    monkeypatch.setattr(search, "CAP", 2)
    for i, topic in enumerate(
        ["csirt-establishment", "digital-forensics", "cybercrime-legislation"]
    ):
        ProgrammeFactory(
            ref=f"firewall-{i}",
            title=f"Firewall course {i}",
            summary="Firewall rules.",
            topics=[topic],
        )
    ProgrammeFactory(
        ref="firewall-ended",
        title="Firewall course, last year",
        topics=["digital-forensics"],
        starts_on=dt.date(2023, 7, 1),
        ends_on=dt.date(2024, 6, 30),
    )
    response = client.get(reverse("programme-list"), {"q": "firewall"})
    assert response.status_code == 200
    page = response.context["page"]
    facets = {f.name: f.options for f in response.context["facets"]}
    html = response.content.decode()
    if not ON_POSTGRES:
        assert response.context["more_than"] is None
        assert page.paginator.count == 3
        assert {o["value"]: o["count"] for o in facets["topic"]} == {
            "csirt-establishment": 1,
            "digital-forensics": 1,
            "cybercrime-legislation": 1,
        }
        assert "3 programmes" in html
        return
    assert response.context["more_than"] == 2
    # Two of the three read (the cap), on one page; the count says "more".
    assert page.paginator.count == 2
    assert len(page.object_list) == 2
    assert "More than 2 programmes" in html
    # A page past the last shows the last, of the same (cut) results.
    past = client.get(reverse("programme-list"), {"q": "firewall", "page": "2"})
    assert [p.ref for p in past.context["page"]] == [p.ref for p in page]
    assert 'id="result-cap"' in html
    # Counted among the three read: at least.
    topics = {o["value"]: (o["count"], o["at_least"]) for o in facets["topic"]}
    assert topics == {
        "csirt-establishment": (1, True),
        "digital-forensics": (1, True),
        "cybercrime-legislation": (1, True),
    }
    assert '(<bdi dir="ltr">1+</bdi>)' in html  # "+" after the number in Arabic too
    # The ended one, under the cap: exact.
    assert [(o["count"], o["at_least"]) for o in facets["ended"]] == [(1, False)]
    # A filter that leaves fewer than the cap: exact again.
    narrowed = client.get(
        reverse("programme-list"), {"q": "firewall", "topic": "digital-forensics"}
    )
    assert narrowed.context["more_than"] is None
    assert [p.ref for p in narrowed.context["page"]] == ["firewall-1"]
    assert narrowed.context["page"].paginator.count == 1
    topic = next(f for f in narrowed.context["facets"] if f.name == "topic")
    # The topic facet counts the search without its own filter: cut, at least.
    assert {o["value"]: o["at_least"] for o in topic.options} == {
        "csirt-establishment": True,
        "digital-forensics": True,
        "cybercrime-legislation": True,
    }
    assert "1 programme" in narrowed.content.decode()
    # With the ended ones: four found, still more than the cap.
    both = client.get(reverse("programme-list"), {"q": "firewall", "ended": "1"})
    assert both.context["more_than"] == 2
    ended = next(f for f in both.context["facets"] if f.name == "ended")
    assert [(o["count"], o["at_least"]) for o in ended.options] == [(1, False)]


@pytest.mark.skipif(not ON_POSTGRES, reason="bounded counts: full text only")
def test_a_cut_search_keeps_the_programmes_with_the_words_first(client, monkeypatch):
    """The other ways of finding a programme (its provider's name here) are
    read only when fewer than the cap have the words, and then count."""
    monkeypatch.setattr(search, "CAP", 2)
    for i, topic in enumerate(
        ["csirt-establishment", "digital-forensics", "cloud-security"]
    ):
        ProgrammeFactory(
            ref=f"firewall-{i}", title=f"Firewall course {i}", topics=[topic]
        )
    ProgrammeFactory(
        ref="named",
        title="Network defence clinic",
        provider=ProviderFactory(name="Firewall Alliance"),
        topics=["cybercrime-legislation"],
    )
    response = client.get(reverse("programme-list"), {"q": "firewall"})
    assert response.context["more_than"] == 2
    refs = [p.ref for p in response.context["page"]]
    assert len(refs) == 2
    assert "named" not in refs
    topic = next(f for f in response.context["facets"] if f.name == "topic")
    assert {o["value"] for o in topic.options} == {
        "csirt-establishment",
        "digital-forensics",
        "cloud-security",
    }
    # Narrowed under the cap: the provider's programme is found and counted.
    narrowed = client.get(
        reverse("programme-list"),
        {"q": "firewall", "topic": ["cloud-security", "cybercrime-legislation"]},
    )
    assert narrowed.context["more_than"] is None
    assert sorted(p.ref for p in narrowed.context["page"]) == ["firewall-2", "named"]


@pytest.mark.skipif(not ON_POSTGRES, reason="bounded counts: full text only")
def test_a_search_counts_the_ended_programmes_it_leaves_out_up_to_their_cap(
    client, monkeypatch
):
    """Only their number is shown, so fewer are read: past ENDED_CAP it is
    "at least"."""
    monkeypatch.setattr(catalogue, "ENDED_CAP", 1)
    for year in (2022, 2023):
        ProgrammeFactory(
            title=f"Firewall course {year}",
            starts_on=dt.date(year, 1, 1),
            ends_on=dt.date(year, 6, 30),
        )
    ProgrammeFactory(ref="firewall-now", title="Firewall course")
    response = client.get(reverse("programme-list"), {"q": "firewall"})
    assert [p.ref for p in response.context["page"]] == ["firewall-now"]
    ended = next(f for f in response.context["facets"] if f.name == "ended")
    # Two read (the cap and one more): at least two.
    assert [(o["count"], o["at_least"]) for o in ended.options] == [(2, True)]
    assert '(<bdi dir="ltr">2+</bdi>)' in response.content.decode()
    # Asked for, they are listed and counted in full (under search.CAP).
    shown = client.get(reverse("programme-list"), {"q": "firewall", "ended": "1"})
    assert shown.context["page"].paginator.count == 3
