"""Query counts do not grow with the number of items (no N+1)."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from matchmaking import explain
from matchmaking.enums import ProgrammeStatus
from matchmaking.models import Need
from matchmaking.models import Programme
from roundtable.models import Pitch
from tests.factories import EventFactory
from tests.factories import MatchFactory
from tests.factories import NeedFactory
from tests.factories import PitchFactory
from tests.factories import ProgrammeFactory
from tests.factories import ProviderFactory
from tests.matchmaking.api.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def more(world):
    """Make n extra items of every kind for state A and provider P."""

    def make(n: int):
        for i in range(n):
            need = NeedFactory(ref=f"extra-need-{i}", member_state=world.state_a)
            prog = ProgrammeFactory(
                ref=f"extra-prog-{i}",
                provider=world.provider_p,
                status=ProgrammeStatus.PUBLISHED,
            )
            MatchFactory(need=need, programme=world.prog_p)
            MatchFactory(need=world.need_a, programme=prog, rank=3 + i)
            PitchFactory(provider=world.provider_p, state="accepted")
            EventFactory()
            ProviderFactory()

    return make


# ms_a, authenticated with force_authenticate. No count query: the first page
# is read with one row more than it holds, and when that row is not there the
# count is the rows read (ShortListPaginator). A read reads the user's
# memberships (member states and providers) once, in one query, however many
# visibility rules ask for them (selectors.memoise_memberships).
#   needs (5): memberships, page, the page's tag keys (one UNION ALL,
#     matchmaking/tagkeys.py), translations, shared_with
#   programmes (4): memberships, page, tag keys, translations
#   matches (2): memberships, page
#   nested need matches (3): memberships, need row, page;
#     nested programme matches (3): the same for the programme
#   providers (1): page; events (1): page
#   pitches (4): memberships, page, programmes prefetch, translations
URLS = {
    "/api/v1/needs/": 5,
    "/api/v1/programmes/": 4,
    "/api/v1/matches/": 2,
    "/api/v1/needs/need-a/matches/": 3,
    "/api/v1/programmes/prog-p/matches/": 3,
    "/api/v1/providers/": 1,
    "/api/v1/pitches/": 4,
    "/api/v1/events/": 1,
}


@pytest.mark.parametrize(("url", "queries"), list(URLS.items()))
@pytest.mark.parametrize("n", [1, 3])
def test_list_query_count_is_constant(
    world, more, django_assert_num_queries, url, queries, n
):
    more(n)
    client = client_for(world, "ms_a")
    # The translations' content types and the reasons' display names are
    # cached per process after the first lookup (as in production): warm
    # both so the count is order-free (the first list of matches in a process
    # read the nine label tables inside the count).
    ContentType.objects.get_for_models(Need, Programme, Pitch)
    explain.labels_for("en")
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200
    assert response.json()["count"] >= n


def test_a_full_first_page_still_counts_and_links_the_next(world, more):
    more(3)
    client = client_for(world, "curator")
    response = client.get("/api/v1/programmes/?page_size=2")
    body = response.json()
    total = Programme.objects.count()
    assert total > 2
    assert body["count"] == total
    assert len(body["results"]) == 2
    assert body["next"]
    assert body["previous"] is None
    last = client.get(f"/api/v1/programmes/?page_size=2&page={(total + 1) // 2}")
    assert last.json()["next"] is None
    assert last.json()["count"] == total
    empty = client.get("/api/v1/needs/?q=nothing-matches-this")
    assert empty.json() == {"count": 0, "next": None, "previous": None, "results": []}
