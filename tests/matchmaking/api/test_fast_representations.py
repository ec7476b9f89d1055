"""Representations read directly give exactly what DRF's field walk gives."""

import json

import pytest
from rest_framework import serializers

from matchmaking import tagkeys
from matchmaking.api.serializers import MatchSerializer
from matchmaking.api.serializers import NeedSerializer
from matchmaking.api.serializers import ProgrammeSerializer
from matchmaking.models import Match
from matchmaking.models import Need
from matchmaking.models import Programme
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
def test_tag_keys_read_the_same_as_the_relations(world, model, serializer):
    # A page attaches the keys in one query; a record alone reads its own.
    page = list(model.objects.order_by("id"))
    tagkeys.attach_tag_keys(page)
    alone = list(model.objects.order_by("id"))
    for listed, single in zip(page, alone, strict=True):
        assert serializer(listed).data == serializer(single).data
        for relation in tagkeys.TAGS_OF[model]:
            expected = sorted(str(o.pk) for o in getattr(single, relation).all())
            assert tagkeys.tag_keys(listed, relation) == expected
        themes = sorted({t.theme_id for t in single.topics.all()})
        assert tagkeys.tag_keys(listed, "themes") == themes
    assert any(tagkeys.tag_keys(record, "topics") for record in page)
