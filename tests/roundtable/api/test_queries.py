"""Query counts of the roundtable's new list endpoints do not grow with items."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from roundtable.enums import MeetingState
from roundtable.enums import PitchState
from roundtable.enums import SlotKind
from roundtable.models import Meeting
from roundtable.models import Review
from tests.factories import ProviderFactory
from tests.factories import SessionFactory
from tests.factories import TimeSlotFactory
from tests.factories import UserFactory
from tests.roundtable.conftest import close_call
from tests.roundtable.conftest import make_pitch

from .test_writes import api

pytestmark = pytest.mark.django_db


@pytest.fixture
def more(cast):
    """n accepted pitches of new providers, each with a meeting and 2 reviews."""

    def make(n: int):
        close_call(cast, release=True)
        first = cast.meeting_slots[0].starts_at
        for i in range(n):
            pitch = make_pitch(
                cast,
                state=PitchState.ACCEPTED,
                provider=ProviderFactory(),
                title=f"Pitch {i}",
                deck=False,
            )
            slot = TimeSlotFactory(
                session=cast.bilateral,
                kind=SlotKind.MEETING,
                starts_at=first + dt.timedelta(minutes=5 * i),
                ends_at=first + dt.timedelta(minutes=5 * i + 4),
                location=f"Table {10 + i}",
            )
            Meeting.objects.create(
                pitch=pitch,
                member_state=cast.state,
                requested_by=cast.delegate,
                presenter=cast.other_member,
                state=MeetingState.ACCEPTED,
                expires_at=timezone.now(),
                slot=slot,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
            )
            for curator in (cast.curator, UserFactory(is_curator=True)):
                Review.objects.create(
                    pitch=pitch,
                    curator=curator,
                    relevance=4,
                    clarity=3,
                    feasibility=2,
                    reach=5,
                )
            SessionFactory(event=cast.event)

    return make


# (No count query for a first page that holds everything: ShortListPaginator.)
# meetings (2): the user's memberships (member states and providers, one
#   query: selectors.memoise_memberships), page (pitch, provider, event,
#   state, country, people, slot and session joined)
# schedule (2): the user's memberships (whether the named need may be shown),
#   the user's accepted meetings, everything joined
# review queue (2): the event, the annotated pitches (provider and group joined)
# reviews (3): the pitch (its visibility needs no query for a curator) with its
#   programmes prefetched, then the reviews with their curators joined
# sessions (1): page (event joined)
URLS = {
    ("delegate", "/api/v1/meetings/"): 2,
    ("delegate", "/api/v1/meetings/schedule/"): 2,
    ("curator", "/api/v1/events/grt/review-queue/"): 2,
    ("curator", "/api/v1/pitches/{pitch}/reviews/"): 3,
    ("delegate", "/api/v1/sessions/"): 1,
}


@pytest.mark.parametrize(("who", "url", "queries"), [(*k, v) for k, v in URLS.items()])
@pytest.mark.parametrize("n", [1, 3])
def test_list_query_count_is_constant(
    cast, more, django_assert_num_queries, who, url, queries, n
):
    more(n)
    client = api(getattr(cast, who))
    url = url.format(pitch=Review.objects.order_by("pk").first().pitch_id)
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    assert len(rows) >= (2 if url.endswith("/reviews/") else n)
