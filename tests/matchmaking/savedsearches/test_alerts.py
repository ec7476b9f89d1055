"""Saved searches: what they match, for whom, and the queries they keep."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from matchmaking import services as mm_services
from matchmaking.enums import ProgrammeStatus
from matchmaking.enums import Visibility
from matchmaking.models import Notification
from matchmaking.models import Topic
from matchmaking.savedsearches import alerts
from matchmaking.savedsearches import queries
from matchmaking.savedsearches import services
from tests.factories import MembershipFactory
from tests.factories import NeedFactory
from tests.factories import ProgrammeFactory
from tests.factories import ProviderFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _ids(searches):
    return [search.pk for search in searches]


def test_new_matching_programme_alerts_but_one_the_user_may_not_see_does_not():
    user = UserFactory()
    search = services.create_saved_search(
        user=user, name="CSIRT", scope="programmes", query="topic=csirt-establishment"
    )
    other_topic = Topic.objects.exclude(pk="csirt-establishment").first()
    matching = ProgrammeFactory()
    elsewhere = ProgrammeFactory(topics=[other_topic.pk])
    draft = ProgrammeFactory(status=ProgrammeStatus.DRAFT)  # its provider's eyes only

    assert _ids(
        alerts.matching_searches(scope="programmes", record_id=matching.pk)
    ) == [search.pk]
    assert alerts.matching_searches(scope="programmes", record_id=elsewhere.pk) == []
    assert alerts.matching_searches(scope="programmes", record_id=draft.pk) == []


def test_publishing_a_matching_programme_notifies_the_searcher(
    django_capture_on_commit_callbacks,
):
    searcher = UserFactory()
    search = services.create_saved_search(
        user=searcher, name="CSIRT", scope="programmes", query="q=csirt"
    )
    provider = ProviderFactory()
    author = UserFactory()
    MembershipFactory(user=author, member_state=None, provider=provider)
    data = {"title": "CSIRT in a box", "summary": "Set up a CSIRT.", "description": "x"}
    # The outbox is delivered by the task worker (immediate backend) on commit.
    with django_capture_on_commit_callbacks(execute=True):
        draft = mm_services.create_record(
            user=author, owner=provider, data=data, publish=False
        )
    assert not Notification.objects.exists()  # a draft is nobody's news
    with django_capture_on_commit_callbacks(execute=True):
        mm_services.set_record_status(
            user=author, record=draft, status=ProgrammeStatus.PUBLISHED
        )
    [told] = Notification.objects.select_related("event")
    assert (told.user, told.event.kind, told.event.subject_id) == (
        searcher,
        "saved_search.match",
        search.pk,
    )
    assert told.event.payload["record_id"] == draft.pk
    search.refresh_from_db()
    assert search.last_match_at is not None


def test_confidential_need_alerts_only_those_it_is_shared_with():
    shared, other = ProviderFactory(), ProviderFactory()
    reader, stranger = UserFactory(), UserFactory()
    MembershipFactory(user=reader, member_state=None, provider=shared)
    MembershipFactory(user=stranger, member_state=None, provider=other)
    mine = services.create_saved_search(
        user=reader, name="Forensics", scope="needs", query="q=forensics"
    )
    services.create_saved_search(
        user=stranger, name="Forensics", scope="needs", query="q=forensics"
    )
    need = NeedFactory(
        title="Digital forensics lab", visibility=Visibility.CONFIDENTIAL
    )
    need.shared_with.set([shared])

    assert _ids(alerts.matching_searches(scope="needs", record_id=need.pk)) == [mine.pk]


def test_page_search_and_api_query_are_one_query():
    page = "q=csirt&assistance=training&mode=online&eligibility=ldc&page=2"
    api = queries.from_page(scope="programmes", page_query=page)
    assert api == (
        "q=csirt&assistance_type=training&delivery_mode=online&ldc_only=true"
    )
    stored = queries.normalise(scope="programmes", query=api)
    assert stored == (
        "assistance_type=training&delivery_mode=online&ldc_only=true&q=csirt"
    )
    assert queries.to_page(scope="programmes", query=stored) == (
        "assistance=training&mode=online&eligibility=ldc&q=csirt"
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("colour=red", "Unknown parameter: colour."),
        ("theme=no-such-theme", "theme: "),
        ("created_after=yesterday", "created: "),
    ],
)
def test_bad_query_is_refused_naming_the_parameter(query, message):
    with pytest.raises(ValidationError) as refused:
        services.create_saved_search(
            user=UserFactory(), name="x", scope="needs", query=query
        )
    assert refused.value.message_dict["query"][0].startswith(message)
