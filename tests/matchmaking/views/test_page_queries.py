"""Every key page runs a fixed number of SQL queries, whatever the data's size.

Each page is requested over 1 and 3 items of everything it lists (programmes,
needs, matches) and must run exactly the same queries. The comment of each
page lists them. Session and user are two queries for a signed-in viewer (and
a curator's two-factor device a third); the
content types are cached per process (warmed below). bench/pages.py times the
same pages at 10,000 needs x 10,000 programmes.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.urls import reverse

from matchmaking.models import Need
from matchmaking.models import Programme
from tests.factories import MatchFactory
from tests.factories import NeedFactory
from tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class KeyPage:
    role: str | None  # a World attribute, None: anonymous
    url: Callable[[], str]
    queries: int
    # The number of rows the page lists at n=1; it lists n - 1 more at n.
    rows: int | None = None


def _count(response) -> int:
    return response.context["page"].paginator.count


PAGES = {
    # needs visible and active, programmes published, providers, member
    # states with a visible active need
    "home": KeyPage(None, lambda: reverse("home"), 4),
    # one query for every facet count and the result count (one UNION ALL);
    # the options of the 8 facets; the count of ended programmes left out;
    # the page; its topics; its translations
    "catalogue": KeyPage(None, lambda: reverse("programme-list"), 13, rows=2),
    # the same (the UNION ALL also reads the page's ids: the page is read by
    # id, and counts the ended programmes left out), plus the countries and
    # topics the search text names; on PostgreSQL the query read once
    # (search.prepare: a savepoint, the index-only setting, its tsquery and
    # whether any row has its words, the setting back, the release)
    "catalogue filtered": KeyPage(
        None,
        lambda: (
            reverse("programme-list")
            + "?theme=incident-management-cip&region=002&q=csirt"
        ),
        14 + (5 if connection.vendor == "postgresql" else 0),
        rows=1,
    ),
    # the programme and its 7 tag relations; its funding (totals, participating
    # organisations, budget lines)
    "programme": KeyPage(
        None, lambda: reverse("programme-detail", args=["prog-p"]), 11
    ),
    # the provider, the page (counted from its rows; no tags shown, none
    # loaded)
    "provider": KeyPage(
        None, lambda: reverse("provider-detail", args=["prov-p"]), 2, rows=1
    ),
    # the page (a first page that holds every row is counted from them: no
    # COUNT), its translations, regions, themes (no tags shown, none loaded)
    "needs register": KeyPage(None, lambda: reverse("need-list"), 4, rows=1),
    # the need and its 5 tag relations
    "public need": KeyPage(None, lambda: reverse("need-detail", args=["need-a"]), 6),
    # session, user, member states, the user's state and provider ids (read
    # once per read request: visibility, roles), counts by status, page
    "state dashboard": KeyPage("ms_a", lambda: reverse("state-dashboard"), 6, rows=1),
    # session, user, state and provider ids (once: visibility of the need and
    # of its matches, the actions, the navigation), the need and its 5 tag
    # relations, the matches (counted from the page's rows)
    "need + matches": KeyPage(
        "ms_a", lambda: reverse("need-detail", args=["need-a"]), 10
    ),
    # session, user, providers, state and provider ids (once), the
    # programmes' page and the waiting page (each counted from its rows),
    # whether the user manages a verified provider (colleagues' invitations)
    "provider dashboard": KeyPage(
        "prov_p", lambda: reverse("provider-dashboard"), 7, rows=1
    ),
    # session, user, state and provider ids (once), the programme (no tags:
    # the page shows none), the matches (counted from the page's rows)
    "programme matches": KeyPage(
        "prov_p", lambda: reverse("programme-matches", args=["prog-p"]), 5, rows=1
    ),
    # session, user, the session's two-factor device (curators must use it),
    # the pages of new needs, new programmes and unverified providers (each
    # counted from its rows); the needs' duplicates (items, candidates), the
    # programmes' (items, topics, candidates, their topics); roles
    "review queue": KeyPage("curator", lambda: reverse("curator-review"), 13),
    # session, user, two-factor device, matches by status (also the match
    # count), the unmet page (counted from its rows), regions, roles, themes,
    # match page
    "match board": KeyPage("curator", lambda: reverse("match-board"), 9),
}


def _grow(world, n: int) -> None:
    """n - 1 more programmes, needs and matches on both sides."""
    for _ in range(n - 1):
        programme = ProgrammeFactory(provider=world.provider_p)
        need = NeedFactory(member_state=world.need_a.member_state)
        MatchFactory(need=need, programme=world.programme_p)
        MatchFactory(need=world.need_a, programme=programme)


@pytest.mark.parametrize("n", [1, 3])
@pytest.mark.parametrize("name", PAGES)
def test_key_page_runs_a_constant_number_of_queries(
    client, world, django_assert_num_queries, name, n
):
    page = PAGES[name]
    _grow(world, n)
    ContentType.objects.get_for_model(Programme)
    ContentType.objects.get_for_model(Need)
    if page.role:
        client.force_login(getattr(world, page.role))
    url = page.url()
    with django_assert_num_queries(page.queries):
        response = client.get(url)
    assert response.status_code == 200
    if page.rows is not None:
        # The data did grow: the same queries listed more rows.
        assert _count(response) == page.rows + n - 1


@pytest.mark.parametrize("n", [1, 3])
def test_match_board_filtered_by_status_counts_from_the_status_counts(
    client, world, django_assert_num_queries, n
):
    _grow(world, n)
    client.force_login(world.curator)
    # as the match board: the page's count comes from the counts by status
    with django_assert_num_queries(9):
        response = client.get(reverse("match-board"), {"status": "suggested"})
    suggested = response.context["page"]
    assert suggested.paginator.count == 2 + 2 * (n - 1)
    assert {m.status for m in suggested} == {"suggested"}
