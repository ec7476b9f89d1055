"""Hand-built representations give exactly what the declared fields give."""

import json

import pytest
from rest_framework import serializers

from matchmaking import tagkeys
from matchmaking.models import Match, Need, Programme
from matchmaking.serializers import MatchSerializer, NeedSerializer, ProgrammeSerializer
from tests.factories import MatchFactory

pytestmark = pytest.mark.django_db


def test_a_match_reads_the_same_as_its_declared_fields(world):
    MatchFactory(
        need=world.need_b_registered,
        programme=world.prog_q,
        status="completed",
        feedback_rating=4,
        feedback_outcome="delivered",
        feedback_comments="Useful.",
        rank=None,
        note="Proposed by hand",
    )
    MatchFactory(
        need=world.need_a,
        programme=world.prog_q_draft,
        status="declined",
        decline_reason="Not now",
    )
    matches = Match.objects.select_related(
        "need__member_state__country", "programme__provider"
    ).order_by("id")
    assert matches.count() >= 7
    for match in matches:
        fast = MatchSerializer(match).data
        walked = serializers.ModelSerializer.to_representation(
            MatchSerializer(match), match
        )
        assert json.dumps(fast) == json.dumps(walked)


@pytest.mark.parametrize(
    ("model", "serializer"), [(Need, NeedSerializer), (Programme, ProgrammeSerializer)]
)
def test_attached_tag_keys_read_the_same_as_the_prefetched_tags(
    world, model, serializer
):
    relations = tagkeys.TAGS_OF[model]
    records = list(model.objects.prefetch_related(*relations).order_by("id"))
    assert records
    prefetched = [serializer(record).data for record in records]
    attached = list(model.objects.order_by("id"))
    tagkeys.attach_tag_keys(attached)
    assert [serializer(record).data for record in attached] == prefetched
    assert any(row["topics"] for row in prefetched)
