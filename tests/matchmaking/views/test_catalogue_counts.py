"""The catalogue's facet counts, result count and page against a plain reading.

The view reads every count and the result count in one SQL query, with the
page's ids when a search or filter is asked for (the searched programmes as
CTEs read once: see ``catalogue.catalogue_counts``). Here the same numbers are
worked out in Python over the programmes' rows, for combinations of filters with and
without a text search and for every page, on whichever database the suite
runs (SQLite and PostgreSQL).
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.db.models import Q
from django.urls import reverse

from matchmaking import search
from matchmaking.enums import ProgrammeStatus
from matchmaking.models import Country
from matchmaking.models import Programme
from matchmaking.models import Topic
from matchmaking.views import catalogue
from tests.factories import ProgrammeFactory
from tests.factories import ProviderFactory
from tests.shared_data import made_once_for_the_module

pytestmark = pytest.mark.django_db

TOPICS = [
    "csirt-establishment",
    "incident-response",
    "cybercrime-legislation",
    "digital-forensics",
    "awareness",
]
ASSISTANCE = ["policy-advice", "training", "assessment"]
AUDIENCES = ["policymakers", "csirt-staff", "judiciary"]
LANGUAGES = ["en", "fr", "es"]
MODES = ["in-person", "online"]
COSTS = ["free", "fee", None]
REGIONS = ["002", "019", "142"]
COUNTRIES = ["SEN", "GHA"]
# facet -> the programme's attribute holding its values (a set of strings)
FACETS = {
    "theme": "themes",
    "topic": "topics",
    "assistance": "assistance",
    "audience": "audiences",
    "region": "regions",
    "language": "languages",
    "mode": "modes",
    "cost": "costs",
}


@dataclass(frozen=True)
class Row:
    pk: int
    ref: str
    title: str
    text: str  # title, summary, description and provider name, lower case
    themes: set[str]
    topics: set[str]
    assistance: set[str]
    audiences: set[str]
    regions: set[str]
    languages: set[str]
    modes: set[str]
    costs: set[str]
    open_to_all: bool
    ldc: bool
    sids: bool


@pytest.fixture(scope="module")
def _rows_made(django_db_setup, django_db_blocker) -> Iterator[list[Row]]:
    """Made once for the module's tests (tests/shared_data.py)."""
    with made_once_for_the_module(django_db_blocker):
        yield _make_rows()


@pytest.fixture
def rows(_rows_made, db) -> list[Row]:
    return _rows_made


def _make_rows() -> list[Row]:
    """30 programmes (some drafts, not listed) with tags drawn at random."""
    pick = random.Random(7)  # noqa: S311  # test data, not secrets
    theme_of = dict(Topic.objects.values_list("slug", "theme_id"))
    countries = {c.iso3: c for c in Country.objects.filter(iso3__in=COUNTRIES)}
    providers = [
        ProviderFactory(name="Alpha Institute"),
        ProviderFactory(name="Beta Agency"),
        ProviderFactory(name="Omega Centre"),
    ]
    found = []
    for n in range(30):
        word = pick.choice(["alpha", "gamma", "delta", "omega"])
        programme = ProgrammeFactory(
            ref=f"prog-{n:02}",
            title=f"Programme {pick.randrange(10):02} {word}",
            summary=pick.choice(["", "", "An alpha course."]),
            description=pick.choice(["Plain text.", "Plain.", "Mentions ALPHA."]),
            provider=pick.choice(providers),
            status=pick.choice([ProgrammeStatus.PUBLISHED] * 4 + ["draft"]),
            cost_model_id=pick.choice(COSTS),
            ldc_only=pick.random() < 0.4,
            sids_only=pick.random() < 0.3,
            topics=pick.sample(TOPICS, pick.randrange(1, 3)),
            languages=pick.sample(LANGUAGES, pick.randrange(0, 3)),
        )
        programme.assistance_types.set(pick.sample(ASSISTANCE, pick.randrange(0, 3)))
        programme.audiences.set(pick.sample(AUDIENCES, pick.randrange(0, 3)))
        programme.delivery_modes.set(pick.sample(MODES, pick.randrange(0, 3)))
        programme.eligible_regions.set(pick.sample(REGIONS, pick.randrange(0, 3)))
        programme.eligible_countries.set(
            [countries[c] for c in pick.sample(COUNTRIES, pick.randrange(0, 2))]
        )
        if programme.status != ProgrammeStatus.PUBLISHED:
            continue
        topics = set(programme.topics.values_list("slug", flat=True))
        regions = set(programme.eligible_regions.values_list("code", flat=True))
        found.append(
            Row(
                pk=programme.pk,
                ref=programme.ref,
                title=programme.title,
                text=" ".join(
                    (
                        programme.title,
                        programme.summary,
                        programme.description,
                        programme.provider.name,
                    )
                ).lower(),
                themes={theme_of[t] for t in topics},
                topics=topics,
                assistance=set(
                    programme.assistance_types.values_list("slug", flat=True)
                ),
                audiences=set(programme.audiences.values_list("slug", flat=True)),
                regions=regions,
                languages=set(programme.languages.values_list("code", flat=True)),
                modes=set(programme.delivery_modes.values_list("slug", flat=True)),
                costs={programme.cost_model_id} if programme.cost_model_id else set(),
                open_to_all=not regions and not programme.eligible_countries.exists(),
                ldc=programme.ldc_only,
                sids=programme.sids_only,
            )
        )
    assert Programme.objects.filter(status="draft").exists()
    return found


def _passes(row: Row, name: str, values: list[str]) -> bool:
    if name == "eligibility":
        return ("ldc" in values and row.ldc) or ("sids" in values and row.sids)
    if name == "region" and row.open_to_all:
        return True
    return bool(getattr(row, FACETS[name]) & set(values))


def _relevance(query: str) -> dict[str, float]:
    """ref -> relevance of the programmes a search ranks (full text on
    PostgreSQL, the default there), read through ``search.search``'s own
    annotation: the catalogue's page computes it in its own query."""
    if not query or not search.full_text(Programme):
        return {}
    ranked = search.search(Programme.objects.all(), query, fallback=Q())
    return dict(ranked.values_list("ref", search.RANK))


def _expected(rows: list[Row], params: dict[str, list[str]]):
    """facet -> {option: count} as the page shows them, the results in order
    (by relevance first when the search is ranked, then by title).

    The rows found are those holding the query as it is: the queries below
    are whole words, which full text finds alike (docs/search.md)."""
    query = params.get("q", [""])[0]
    searched = [r for r in rows if query.lower() in r.text]
    relevance = _relevance(query)
    filters = {k: v for k, v in params.items() if k not in {"q", "page"}}

    def passing(excluding: str | None) -> list[Row]:
        return [
            r
            for r in searched
            if all(_passes(r, n, v) for n, v in filters.items() if n != excluding)
        ]

    facets = {}
    for name, attribute in FACETS.items():
        counted = passing(name)
        options: dict[str, int] = {}
        for row in counted:
            values = getattr(row, attribute)
            if name == "region" and row.open_to_all:
                values = set(REGIONS) | {"009", "150"}
            for value in values:
                options[value] = options.get(value, 0) + 1
        for value in filters.get(name, []):
            options.setdefault(value, 0)
        facets[name] = options
    counted = passing("eligibility")
    facets["eligibility"] = {
        "ldc": sum(r.ldc for r in counted),
        "sids": sum(r.sids for r in counted),
    }
    results = sorted(
        passing(None), key=lambda r: (-relevance.get(r.ref, 0.0), r.title, r.pk)
    )
    return facets, [r.ref for r in results]


REQUESTS = [
    {},
    {"q": ["alpha"]},
    {"topic": ["csirt-establishment", "awareness"]},
    {"theme": ["incident-management-cip"], "language": ["fr"]},
    {"region": ["002", "142"]},
    {"region": ["019"], "eligibility": ["sids"], "cost": ["free"]},
    {"q": ["alpha"], "theme": ["cybercrime"]},
    {"q": ["alpha"], "theme": ["incident-management-cip"], "eligibility": ["ldc"]},
    {
        "q": ["ALPHA"],
        "topic": ["incident-response", "digital-forensics"],
        "region": ["002"],
        "cost": ["free", "fee"],
    },
    {"q": ["alpha"], "region": ["019"], "eligibility": ["ldc", "sids"]},
    {
        "q": ["gamma"],
        "assistance": ["training"],
        "audience": ["judiciary", "policymakers"],
        "mode": ["online"],
        "language": ["en", "es"],
    },
    {"q": ["nothing matches this"], "topic": ["awareness"], "region": ["142"]},
]


@pytest.mark.parametrize("params", REQUESTS)
def test_catalogue_counts_and_results_match_a_plain_reading(
    client, rows, monkeypatch, params
):
    monkeypatch.setattr(catalogue, "PAGE_SIZE", 4)
    facets, results = _expected(rows, params)
    pages = [results[i : i + 4] for i in range(0, len(results), 4)] or [[]]
    for number, expected_page in enumerate(pages, start=1):
        response = client.get(
            reverse("programme-list"), {**params, "page": str(number)}
        )
        page = response.context["page"]
        assert [p.ref for p in page] == expected_page, number
        assert page.number == number
        assert page.paginator.count == len(results)
    shown = {
        f.name: {o["value"]: o["count"] for o in f.options}
        for f in response.context["facets"]
    }
    for name, options in facets.items():
        if name == "eligibility":
            assert shown[name] == options
        else:
            assert shown[name] == {
                k: n for k, n in options.items() if n or k in params.get(name, [])
            }, name


@pytest.mark.parametrize(
    ("asked", "shown"), [("99", "last"), ("0", "last"), ("x", 1), ("", 1)]
)
@pytest.mark.parametrize("params", [{}, {"q": ["alpha"], "eligibility": ["ldc"]}])
def test_catalogue_pages_out_of_range_show_what_the_paginator_shows(
    client, rows, monkeypatch, asked, shown, params
):
    monkeypatch.setattr(catalogue, "PAGE_SIZE", 4)
    _facets, results = _expected(rows, params)
    pages = [results[i : i + 4] for i in range(0, len(results), 4)]
    number = len(pages) if shown == "last" else shown
    response = client.get(reverse("programme-list"), {**params, "page": asked})
    page = response.context["page"]
    assert page.number == number
    assert [p.ref for p in page] == pages[number - 1]
