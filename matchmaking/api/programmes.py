"""Programmes of providers and the needs that suit them."""

from __future__ import annotations

from datetime import date

from django.db.models import F
from django.utils import timezone
from django.utils.functional import cached_property
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
from matchmaking.api.filters import ProgrammeFilter
from matchmaking.api.serializers import ProgrammeSerializer
from matchmaking.api.serializers import ProgrammeStatusSerializer
from matchmaking.filters import StrictBooleanField


class AdviceSerializer(serializers.Serializer):
    """A change to the programme and the unmet needs it would then serve."""

    kind = serializers.ChoiceField(
        choices=[
            "countries",
            "lift_ldc_only",
            "lift_sids_only",
            "language",
            "end_date",
            "places",
            "delivery_mode",
        ]
    )
    value = serializers.CharField()
    text = serializers.CharField()
    needs = serializers.ListField(child=serializers.CharField())
    weight = serializers.FloatField()


class AdviceListSerializer(serializers.Serializer):
    results = AdviceSerializer(many=True)


@tagged_schema(
    ProgrammeSerializer,
    ProgrammeStatusSerializer,
    status="Publish, pause, close or reopen a programme.",
    matches="Needs this programme is matched with, as far as the user may see them.",
)
class ProgrammeViewSet(TaggedViewSet):
    """Programmes of providers: published ones for all, drafts for their provider."""

    serializer_class = ProgrammeSerializer
    filterset_class = ProgrammeFilter
    record_family = api_cache.PROGRAMMES
    status_serializer = ProgrammeStatusSerializer
    owner_field = "provider"
    matches_order = ("-score", F("rank").asc(nulls_last=True), "need_id")
    record_columns = (("provider",), ("id", "ref", "title", "provider__ref"))
    other_side = ("need__member_state", ("need__ref", "need__member_state__country_id"))

    def records(self):
        # The cost model is shown by its slug, the key the programme holds
        # (ReadPlan): no join for it.
        return (
            selectors.programmes_visible_to(user=self.request.user, with_tags=False)
            .select_related(None)
            .select_related("provider")
        )

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        # Ended programmes only when asked for (the filter checked the value).
        asked = self.request.query_params.get("include_ended", "")
        if self.action == "list" and asked.strip().lower() not in (
            StrictBooleanField.TRUE
        ):
            queryset = queryset.filter(selectors.programme_current_q(today=self.today))
        return queryset

    @cached_property
    def today(self) -> date:
        """The request's date: ended programmes are left out by it."""
        return timezone.localdate()

    def list_shape(self) -> tuple:
        return (self.today,)

    def create_refused(self) -> str:
        return _("Only provider users and curators register programmes.")

    @extend_schema(
        responses={200: AdviceListSerializer, **errors(401, 403, 404, 429)},
        description="The gap advisor: changes to this programme that would make "
        "it serve unmet needs (open it to `countries`, lift an LDC- or SIDS-only "
        "rule, add a delivery `language`, extend its `end_date`, add `places`, "
        "add a `delivery_mode`), each checked by re-running the engine's rules "
        "and scoring with the change made; `needs` are the unmet needs you may "
        "see that it would then serve, best first (LDCs and SIDS weigh more). "
        "For the programme's provider and curators.",
    )
    @action(detail=True, methods=["get"], url_path="advice")
    def advice(self, request, ref=None):
        programme = self.editable_record(ref)
        found = [
            {
                "kind": item.kind,
                "value": item.value,
                "text": item.text,
                "needs": [need.ref for need in item.needs],
                "weight": item.weight,
            }
            for item in stored_results.gap_advice(
                user=request.user, programme=programme
            )
        ]
        return Response({"results": AdviceSerializer(found, many=True).data})
