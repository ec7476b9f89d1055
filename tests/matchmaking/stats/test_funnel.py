"""The conversion funnel: counts and median times cross-checked against the
match history written for random worlds, small groups suppressed in public,
and the page, CSV and API in each scope."""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.cache import caches
from django.db import transaction
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from matchmaking.enums import MatchOrigin
from matchmaking.enums import MatchStatus
from matchmaking.models import Country
from matchmaking.models import Match
from matchmaking.models import MatchEvent
from matchmaking.models import StakeholderGroup
from matchmaking.models import Topic
from matchmaking.stats.funnel import FUNNEL_STATUSES
from matchmaking.stats.funnel import FUNNEL_STEPS
from matchmaking.stats.funnel import funnel_of
from matchmaking.stats.scope import MIN_GROUP_SIZE
from matchmaking.stats.scope import StatsFilter
from tests.factories import MatchFactory
from tests.factories import MemberStateFactory
from tests.factories import NeedFactory
from tests.factories import ProgrammeFactory
from tests.factories import ProviderFactory
from tests.factories import UserFactory

BASE = datetime(2026, 1, 5, 12, tzinfo=UTC)
# An LDC, a SIDS, neither.
COUNTRIES = ("SEN", "FJI", "FRA")
TOPICS = ("csirt-establishment", "law-enforcement")
GROUPS = ("academia", "private-sector")


@dataclass(frozen=True)
class Spec:
    country: str
    public: bool
    topic: str
    group: str
    origin: str
    last: int  # index in FUNNEL_STATUSES of the furthest status reached
    skip_interest: bool  # introduced straight from suggested
    gaps: tuple[int, ...]  # days between the steps
    rated: bool
    declined: bool


specs = st.lists(
    st.builds(
        Spec,
        country=st.sampled_from(COUNTRIES),
        public=st.booleans(),
        topic=st.sampled_from(TOPICS),
        group=st.sampled_from(GROUPS),
        origin=st.sampled_from(MatchOrigin.values),
        last=st.integers(0, len(FUNNEL_STATUSES) - 1),
        skip_interest=st.booleans(),
        gaps=st.tuples(*[st.integers(0, 30)] * (len(FUNNEL_STEPS) - 1)),
        rated=st.booleans(),
        declined=st.booleans(),
    ),
    max_size=9,
)


def _times(spec: Spec) -> list[int | None]:
    """Days from the suggestion to each step, as the spec walks the match."""
    days: list[int | None] = [0]
    total = 0
    for index in range(1, len(FUNNEL_STATUSES)):
        total += spec.gaps[index - 1]
        days.append(total if index <= spec.last else None)
    if spec.skip_interest and spec.last >= 2:
        days[1] = days[2]
    rated = spec.rated and spec.last == len(FUNNEL_STATUSES) - 1
    days.append(total + spec.gaps[-1] if rated else None)
    return days


def _build(spec: Spec, index: int, states, programmes) -> None:
    """Write the match and its history: events per step, the rating's record."""
    need = NeedFactory(
        member_state=states[spec.country],
        topics=[spec.topic],
        visibility="public" if spec.public else "confidential",
    )
    created = BASE + timedelta(hours=index)
    match = MatchFactory(
        need=need,
        programme=programmes[spec.group],
        origin=spec.origin,
        status=MatchStatus.SUGGESTED,
    )
    Match.objects.filter(pk=match.pk).update(created_at=created)
    days = _times(spec)
    previous = MatchStatus.SUGGESTED
    for step in range(1, spec.last + 1):
        if step == 1 and spec.skip_interest and spec.last >= 2:
            continue
        status = FUNNEL_STATUSES[step]
        event = MatchEvent.objects.create(
            match=match, from_status=previous, to_status=status
        )
        MatchEvent.objects.filter(pk=event.pk).update(
            at=created + timedelta(days=days[step])
        )
        previous = status
    if days[-1] is not None:
        match.refresh_from_db()
        match.status = MatchStatus.COMPLETED
        match.feedback_rating = 4
        match.save()
        Match.history.filter(id=match.pk).update(
            history_date=created + timedelta(days=days[-1])
        )
    if spec.declined and spec.last < len(FUNNEL_STATUSES) - 1:
        MatchEvent.objects.create(
            match=match, from_status=previous, to_status=MatchStatus.DECLINED
        )
        Match.objects.filter(pk=match.pk).update(status=MatchStatus.DECLINED)


def _expected(needs: list[Spec], countries, themes, public: bool):
    per_key: dict[tuple[str, str], list[list[int]]] = {}
    for spec in needs:
        if public and not spec.public:
            continue
        country = countries[spec.country]
        keys = [
            ("all", "all"),
            ("origin", spec.origin),
            ("theme", themes[spec.topic]),
            ("region", country.region_id),
            ("provider_group", spec.group),
        ]
        groups = [g for g in ("ldc", "sids") if getattr(country, f"is_{g}")]
        keys += [("country_group", g) for g in groups or ["other"]]
        for key in keys:
            lists = per_key.setdefault(key, [[] for _step in FUNNEL_STEPS])
            for step, day in enumerate(_times(spec)):
                if day is not None:
                    lists[step].append(day)
    small = MIN_GROUP_SIZE if public else 1
    return {
        key: [
            (
                None if 0 < len(days) < small else len(days),
                round(statistics.median(days), 1) if len(days) >= small else None,
            )
            for days in lists
        ]
        for key, lists in per_key.items()
    }


@pytest.mark.slow(16)
@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(needs=specs)
def test_funnel_agrees_with_the_match_history(needs):
    with transaction.atomic():
        caches["default"].clear()
        curator = UserFactory(is_curator=True)
        countries = {c.iso3: c for c in Country.objects.filter(iso3__in=COUNTRIES)}
        states = {iso3: MemberStateFactory(country=c) for iso3, c in countries.items()}
        programmes = {
            slug: ProgrammeFactory(
                provider=ProviderFactory(
                    stakeholder_group=StakeholderGroup.objects.get(slug=slug)
                )
            )
            for slug in GROUPS
        }
        themes = dict(
            Topic.objects.filter(slug__in=TOPICS).values_list("slug", "theme_id")
        )
        for index, spec in enumerate(needs):
            _build(spec, index, states, programmes)
        for viewer, public in ((curator, False), (AnonymousUser(), True)):
            found = funnel_of(viewer, StatsFilter())
            got = {
                (g.dimension, g.key): [(s.reached, s.median_days) for s in g.steps]
                for g in found.groups
            }
            assert got == _expected(needs, countries, themes, public)
            assert all(
                [s.step for s in g.steps] == list(FUNNEL_STEPS) for g in found.groups
            )
        transaction.set_rollback(True)


@pytest.fixture
def world(db):
    """Four matches of SEN's public needs and one of a confidential FJI need:
    three engine suggestions (two agreed a week later), one curator proposal,
    and the confidential one."""
    sen = MemberStateFactory(country=Country.objects.get(iso3="SEN"))
    fji = MemberStateFactory(country=Country.objects.get(iso3="FJI"))
    programme = ProgrammeFactory()
    matches = []
    for origin, agreed in (
        ("engine", True),
        ("engine", True),
        ("engine", False),
        ("curator", False),
    ):
        match = MatchFactory(need=NeedFactory(member_state=sen), programme=programme)
        Match.objects.filter(pk=match.pk).update(created_at=BASE, origin=origin)
        if agreed:
            event = MatchEvent.objects.create(match=match, to_status="agreed")
            MatchEvent.objects.filter(pk=event.pk).update(at=BASE + timedelta(7))
        matches.append(match)
    MatchFactory(
        need=NeedFactory(member_state=fji, visibility="confidential"),
        programme=programme,
    )
    return matches


def _figures(found, dimension: str, key: str) -> dict[str, tuple]:
    group = next(g for g in found.groups if (g.dimension, g.key) == (dimension, key))
    return {s.step: (s.reached, s.median_days) for s in group.steps}


def test_small_groups_are_suppressed_in_public_only(world, curator):
    public = funnel_of(AnonymousUser(), StatsFilter())
    every = funnel_of(curator, StatsFilter())
    # Two agreed of four public matches: the count and its median hidden.
    assert _figures(public, "all", "all")["suggested"] == (4, 0.0)
    assert _figures(public, "all", "all")["agreed"] == (None, None)
    assert _figures(public, "origin", "curator")["suggested"] == (None, None)
    assert _figures(public, "origin", "engine")["suggested"] == (3, 0.0)
    # The confidential need's match never reaches a public figure.
    assert ("country_group", "sids") not in {
        (g.dimension, g.key) for g in public.groups
    }
    assert _figures(every, "all", "all")["suggested"] == (5, 0.0)
    assert _figures(every, "all", "all")["agreed"] == (2, 7.0)
    assert _figures(every, "country_group", "sids")["suggested"] == (1, 0.0)


def test_the_funnel_takes_a_fixed_number_of_queries(
    world, curator, django_assert_num_queries
):
    # Matches, themes of their needs, first step times (MatchEvent), first
    # rating (HistoricalMatch), themes, regions, stakeholder groups.
    with django_assert_num_queries(7):
        funnel_of(curator, StatsFilter())


@pytest.fixture
def curator_api(curator):
    client = APIClient()
    client.force_authenticate(curator)
    return client


def test_funnel_api_public_and_curator(world, curator_api):
    cache.clear()
    body = APIClient().get("/api/v1/stats/funnel/").json()
    assert body["suppressed_below"] == MIN_GROUP_SIZE
    assert body["steps"] == list(FUNNEL_STEPS)
    first = body["results"][0]
    assert (first["dimension"], first["key"]) == ("all", "all")
    assert first["steps"][0] == {"step": "suggested", "reached": 4, "median_days": 0.0}
    assert first["steps"][3] == {"step": "agreed", "reached": None, "median_days": None}
    body = curator_api.get("/api/v1/stats/funnel/").json()
    assert body["suppressed_below"] is None
    assert body["results"][0]["steps"][3] == {
        "step": "agreed",
        "reached": 2,
        "median_days": 7.0,
    }
    bad = APIClient().get("/api/v1/stats/funnel/?start=never")
    assert bad.status_code == 400
    assert list(bad.json()["error"]["fields"]) == ["start"]
    cache.clear()


def test_funnel_page_and_csv_by_scope(world, client, curator):
    page = client.get("/gaps/funnel/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="funnel-table"' in html
    assert 'class="table-scroll" tabindex="0" role="region"' in html
    agreed = html.split('data-step="agreed">')[1].split("</tr>")[0]
    assert ">Agreed</th>" in agreed
    assert 'numeric">&lt;3</td>' in agreed
    rows = list(
        csv.reader(
            io.StringIO(
                b"".join(client.get("/gaps/funnel.csv").streaming_content).decode()
            )
        )
    )
    assert rows[0] == ["dimension", "key", "label", "step", "reached", "median_days"]
    assert rows[1:5] == [
        ["all", "all", "All matches", "suggested", "4", "0.0"],
        ["all", "all", "All matches", "interest", "<3", ""],
        ["all", "all", "All matches", "introduced", "<3", ""],
        ["all", "all", "All matches", "agreed", "<3", ""],
    ]
    assert client.get("/gaps/funnel/?region=nowhere").status_code == 400
    assert client.get("/gaps/funnel.csv?region=nowhere").status_code == 400
    client.force_login(curator)
    rows = list(
        csv.reader(
            io.StringIO(
                b"".join(client.get("/gaps/funnel.csv").streaming_content).decode()
            )
        )
    )
    assert rows[4] == ["all", "all", "All matches", "agreed", "2", "7.0"]
    assert rows[1] == ["all", "all", "All matches", "suggested", "5", "0.0"]
    # Curators may preview the public figures.
    rows = list(
        csv.reader(
            io.StringIO(
                b"".join(
                    client.get("/gaps/funnel.csv?view=public").streaming_content
                ).decode()
            )
        )
    )
    assert rows[1] == ["all", "all", "All matches", "suggested", "4", "0.0"]


def test_the_dashboard_links_to_the_funnel(db, client):
    html = client.get("/gaps/?theme=&region=").content.decode()
    assert 'href="/gaps/funnel/?theme=&amp;region="' in html
