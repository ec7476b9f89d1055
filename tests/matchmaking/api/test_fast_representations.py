"""Representations read directly give exactly what DRF's field walk gives."""

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import translation
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from matchmaking import tagkeys
from matchmaking import translations as translations_mod
from matchmaking.api.serializers import MatchSerializer
from matchmaking.api.serializers import NeedSerializer
from matchmaking.api.serializers import ProgrammeSerializer
from matchmaking.api.serializers import ReadPlan
from matchmaking.models import ContentTranslation
from matchmaking.models import CostModel
from matchmaking.models import Match
from matchmaking.models import Need
from matchmaking.models import Priority
from matchmaking.models import Programme
from tests.factories import MatchFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(shared_world):
    """The API cast, made once for this module (conftest.shared_world)."""
    return shared_world


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


def _walked(serializer_class):
    """The serializer as DRF walks it: its fields built for every read."""
    return type(
        f"Walked{serializer_class.__name__}", (serializer_class,), {"_read_plan": []}
    )


def _request_as(user):
    request = Request(APIRequestFactory().get("/api/v1/"))
    request.user = user
    return request


def _records(model):
    """A page of records as the views read it (relations, translations, tags)."""
    if model is Need:
        queryset = Need.objects.select_related(
            "member_state__country", "priority"
        ).prefetch_related("shared_with", translations_mod.prefetch_translations())
    else:
        queryset = Programme.objects.select_related(
            "provider", "cost_model"
        ).prefetch_related(translations_mod.prefetch_translations())
    records = list(queryset.order_by("id"))
    tagkeys.attach_tag_keys(records)
    return records


@pytest.mark.parametrize("role", ["anon", "ms_a", "ms_b", "prov_p", "curator"])
@pytest.mark.parametrize(
    ("model", "serializer"), [(Need, NeedSerializer), (Programme, ProgrammeSerializer)]
)
def test_a_read_plan_gives_what_drfs_walk_gives(world, role, model, serializer):
    # Optional values both ways: a priority and a cost model or none, end
    # dates or none, a translation (shown in French), a shared need.
    Programme.objects.filter(pk=world.prog_p.pk).update(
        cost_model=CostModel.objects.first(), ends_on="2031-01-31", capacity=4
    )
    Need.objects.filter(pk=world.need_a.pk).update(priority=Priority.objects.first())
    for record in (world.need_a, world.prog_p):
        ContentTranslation.objects.create(
            content_object=record, language_id="fr", title="Titre", summary="Résumé"
        )
    user = AnonymousUser() if role == "anon" else world.users[role]
    context = {"request": _request_as(user)}
    records = _records(model)
    assert len(records) >= 3
    for language in ("en", "fr"):
        with translation.override(language):
            planned = serializer(records, many=True, context=context).data
            walked = _walked(serializer)(records, many=True, context=context).data
            alone = [serializer(r, context=context).data for r in records]
        assert json.dumps(planned) == json.dumps(walked)
        assert json.dumps(alone) == json.dumps(walked)
    assert any(item["translations"] for item in planned)


def test_a_read_builds_no_fields(world):
    records = _records(Programme)
    listed = ProgrammeSerializer(records, many=True)
    assert listed.data
    assert "fields" not in listed.child.__dict__
    match = Match.objects.first()
    one = MatchSerializer(match)
    assert one.data["id"] == match.pk
    assert "fields" not in one.__dict__


class _Probe(ReadPlan, serializers.ModelSerializer):
    # Paths DRF reads its own way: a null relation on the way (the key is
    # left out), a method of the model (called), a nullable relation by slug.
    cost_model_name = serializers.CharField(source="cost_model.slug", read_only=True)
    cost = serializers.SlugRelatedField(
        source="cost_model", slug_field="slug", read_only=True
    )
    status_name = serializers.CharField(source="get_status_display", read_only=True)
    language = serializers.PrimaryKeyRelatedField(
        source="content_language", read_only=True
    )

    class Meta:
        model = Programme
        fields = [
            "ref",
            "cost_model_name",
            "cost",
            "status_name",
            "language",
            "ends_on",
        ]


def test_a_read_plan_leaves_unusual_paths_to_the_field(world):
    Programme.objects.filter(pk=world.prog_p.pk).update(
        cost_model=CostModel.objects.first()
    )
    records = list(Programme.objects.order_by("id"))
    planned = _Probe(records, many=True).data
    walked = _walked(_Probe)(records, many=True).data
    assert json.dumps(planned) == json.dumps(walked)
    by_ref = {item["ref"]: item for item in planned}
    assert "cost_model_name" not in by_ref["prog-q"]
    assert by_ref["prog-p"]["cost_model_name"] == by_ref["prog-p"]["cost"]
    assert by_ref["prog-q"]["cost"] is None
    assert by_ref["prog-p"]["status_name"] == str(world.prog_p.get_status_display())


def test_a_serializer_with_nested_fields_keeps_drfs_walk():
    class Nested(ReadPlan, serializers.Serializer):
        inner = _Probe(read_only=True)

    assert Nested.read_plan() is None
