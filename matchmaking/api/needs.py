"""Needs of member states and their matches."""

from __future__ import annotations

from django.db.models import F
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from matchmaking import api_cache
from matchmaking import selectors
from matchmaking import stored_results
from matchmaking.api.base import TaggedViewSet
from matchmaking.api.base import errors
from matchmaking.api.base import tagged_schema
from matchmaking.api.filters import NeedFilter
from matchmaking.api.serializers import NeedSerializer
from matchmaking.api.serializers import NeedStatusSerializer


class NearMissSerializer(serializers.Serializer):
    """A programme one rule away from serving the need, and that rule."""

    programme = serializers.CharField(source="programme.ref")
    title = serializers.CharField(source="programme.title")
    score = serializers.FloatField()
    rule = serializers.CharField()
    reason = serializers.DictField()


class NearMissListSerializer(serializers.Serializer):
    results = NearMissSerializer(many=True)


@tagged_schema(
    NeedSerializer,
    NeedStatusSerializer,
    status="Publish, withdraw, close or reopen a need.",
    matches="Programmes ranked for the need (rank, then score), with explanations.",
)
class NeedViewSet(TaggedViewSet):
    """Needs of member states, as far as the user may see them."""

    serializer_class = NeedSerializer
    filterset_class = NeedFilter
    record_family = api_cache.NEEDS
    status_serializer = NeedStatusSerializer
    owner_field = "member_state"
    matches_order = (F("rank").asc(nulls_last=True), "-score", "programme_id")
    record_columns = (("member_state",), ("id", "ref", "member_state__country_id"))
    other_side = (
        "programme__provider",
        ("programme__ref", "programme__title", "programme__provider__ref"),
    )

    def records(self):
        # The priority is shown by its slug, the key the need holds (ReadPlan).
        return (
            selectors.needs_visible_to(user=self.request.user, with_tags=False)
            .select_related(None)
            .select_related("member_state__country")
            .prefetch_related("shared_with")
        )

    def create_refused(self) -> str:
        return _("Only member-state users and curators post needs.")

    @extend_schema(
        responses={200: NearMissListSerializer, **errors(401, 403, 404, 429)},
        description="The best programmes the need narrowly missed (at most "
        "three): each would suit it but for one hard rule, named in `rule` and "
        "`reason` (`not_in_area`, `ldc_only`, `sids_only`, `no_shared_language`, "
        "`ended`, `capacity_full`). For the need's owners and curators.",
    )
    @action(detail=True, methods=["get"], url_path="near-misses")
    def near_misses(self, request, ref=None):
        need = self.editable_record(ref)
        found = stored_results.near_misses_for_need(user=request.user, need=need)
        return Response({"results": NearMissSerializer(found, many=True).data})
