"""Gap statistics in the API (``/api/v1/stats/...``): thin views over ``stats``.

Each endpoint returns one document. Public callers get figures over public
needs with counts of 1 or 2 given as null; curators get figures over every
published need. Filters are those of the dashboard and are validated the same
way: a bad value is a 400 naming the parameter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from drf_spectacular.utils import extend_schema
from drf_spectacular.utils import inline_serializer
from rest_framework import exceptions
from rest_framework import serializers
from rest_framework import viewsets
from rest_framework.response import Response

from matchmaking.api.base import ApiViewMixin
from matchmaking.api.base import Deprecation
from matchmaking.api.base import DocumentSchema
from matchmaking.api.base import errors
from matchmaking.api.permissions import PUBLIC_READ
from matchmaking.api.serializers import GapStatsSerializer
from matchmaking.forms import StatsFilterForm
from matchmaking.models import Need
from matchmaking.stats.coverage import COUNTRY_GROUPS
from matchmaking.stats.coverage import coverage
from matchmaking.stats.coverage import region_map
from matchmaking.stats.funnel import FUNNEL_DIMENSIONS
from matchmaking.stats.funnel import FUNNEL_STEPS
from matchmaking.stats.funnel import funnel
from matchmaking.stats.gaps import GAP_DIMENSIONS
from matchmaking.stats.gaps import gaps
from matchmaking.stats.heatmap import heatmap
from matchmaking.stats.providers import providers_by_group
from matchmaking.stats.scope import COLUMN_DIMENSIONS
from matchmaking.stats.scope import MIN_GROUP_SIZE
from matchmaking.stats.scope import ROW_DIMENSIONS
from matchmaking.stats.scope import is_curator_scope
from matchmaking.stats.timeline import TIMELINE_SERIES
from matchmaking.stats.timeline import timeline
from matchmaking.stats.unmet import UNMET_LIMIT
from matchmaking.stats.unmet import unmet_needs

FILTER_PARAMETERS = [
    OpenApiParameter(
        "theme", OpenApiTypes.STR, description="Theme code, e.g. `cybercrime`."
    ),
    OpenApiParameter(
        "region",
        OpenApiTypes.STR,
        description="M49 code of a region or sub-region, e.g. `002` (Africa).",
    ),
    OpenApiParameter(
        "start", OpenApiTypes.STR, description="First month of the period, YYYY-MM."
    ),
    OpenApiParameter(
        "end", OpenApiTypes.STR, description="Last month of the period, YYYY-MM."
    ),
]
DIMENSION_PARAMETERS = [
    OpenApiParameter("rows", OpenApiTypes.STR, enum=list(ROW_DIMENSIONS)),
    OpenApiParameter("columns", OpenApiTypes.STR, enum=list(COLUMN_DIMENSIONS)),
]
SCOPE = (
    " Public callers: public needs only, counts of needs of 1 or 2 given as "
    "null; curators: every published need, no suppression."
)

_COUNT = {"allow_null": True, "help_text": "null: fewer than 3 (suppressed)"}
_LABEL = inline_serializer(
    name="StatsLabel",
    fields={"key": serializers.CharField(), "label": serializers.CharField()},
)


def _statistic(
    name: str,
    row_name: str,
    row: dict[str, serializers.Field],
    *,
    description: str,
    head: dict[str, serializers.Field] | None = None,
) -> Callable[[Any], Any]:
    """Document a statistic filtered by theme, region and period.

    Its document is ``head`` (by default the suppression threshold), then
    ``results``, a list of rows; it answers 400 to bad filters.
    """
    if head is None:
        head = {"suppressed_below": serializers.IntegerField(allow_null=True)}
    return extend_schema(
        parameters=FILTER_PARAMETERS,
        responses={
            200: inline_serializer(
                name=name,
                fields={
                    **head,
                    "results": inline_serializer(name=row_name, many=True, fields=row),
                },
            ),
            **errors(400, 401, 429),
        },
        description=description,
    )


def _count() -> serializers.IntegerField:
    return serializers.IntegerField(**_COUNT)


def _suppressed_below(viewer: Any) -> int | None:
    return None if is_curator_scope(viewer) else MIN_GROUP_SIZE


class StatsViewSet(ApiViewMixin, viewsets.ViewSet):
    """Shared plumbing: public read, one document, filters parsed once."""

    permission_classes = PUBLIC_READ
    queryset = Need.objects.none()  # for the schema generator only
    pagination_class = None
    schema = DocumentSchema()

    def form(self) -> StatsFilterForm:
        form = StatsFilterForm(self.request.query_params)
        if not form.is_valid():
            raise exceptions.ValidationError(
                {
                    field: [error["message"] for error in problems]
                    for field, problems in form.errors.get_json_data().items()
                }
            )
        return form

    def document(self, results: list[Any], **head: Any) -> Response:
        """The statistic's document as ``_statistic`` describes it by default:
        the suppression threshold, ``head``, then the rows."""
        return Response(
            {
                "suppressed_below": _suppressed_below(self.request.user),
                **head,
                "results": results,
            }
        )


class GapQuerySerializer(serializers.Serializer):
    by = serializers.ChoiceField(choices=sorted(GAP_DIMENSIONS), default="theme")


class GapStatsViewSet(StatsViewSet):
    """Where needs go unanswered: counts by theme, topic, region, LDC/LLDC/SIDS."""

    # The dashboard's statistics are one family now (heatmap, coverage, map ...).
    deprecation = Deprecation(
        since=dt.date(2026, 12, 7),
        sunset=dt.date(2027, 6, 30),
        successor="/api/v1/stats/heatmap/",
    )

    @extend_schema(
        deprecated=True,
        parameters=[GapQuerySerializer],
        responses={200: GapStatsSerializer, **errors(400, 401, 429)},
        description="Deprecated since 2026-12-07, gone after 2027-06-30 (the "
        "`Deprecation` and `Sunset` headers say so): use `stats/heatmap/`. "
        "Open needs (open or in discussion), distinct programmes "
        "matched to them (declined matches excluded) and needs flagged unmet, per "
        "group, over the needs you may see. For everyone but curators, counts of "
        "1 or 2 are given as null so that small groups cannot single out a need.",
    )
    def list(self, request):
        query = GapQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = gaps(viewer=request.user, by=query.validated_data["by"])
        return Response(
            {
                "by": found.by,
                "suppressed_below": _suppressed_below(request.user),
                "results": [vars(row) for row in found.rows],
            }
        )


class HeatmapStatsViewSet(StatsViewSet):
    """Needs against programmes on offer by theme or topic x region."""

    @extend_schema(
        parameters=FILTER_PARAMETERS + DIMENSION_PARAMETERS,
        responses={
            200: inline_serializer(
                name="HeatmapStats",
                fields={
                    "rows": serializers.CharField(),
                    "columns": serializers.CharField(),
                    "suppressed_below": serializers.IntegerField(allow_null=True),
                    "row_labels": _LABEL.__class__(many=True),
                    "column_labels": _LABEL.__class__(many=True),
                    "cells": inline_serializer(
                        name="HeatmapCell",
                        many=True,
                        fields={
                            "row": serializers.CharField(),
                            "column": serializers.CharField(),
                            "needs": _count(),
                            "covered": _count(),
                            "unmet": _count(),
                            "programmes": serializers.IntegerField(),
                        },
                    ),
                },
            ),
            **errors(400, 401, 429),
        },
        description="Active needs (open or in discussion), those the engine "
        "left unmet (no eligible or relevant-enough programme), those not unmet "
        "with a match that is not declined (covered), and the "
        "programmes on offer (supply): published, not ended (or running in the "
        "period), offering the theme or topic and open to at least one country "
        "of the region by their eligibility (open to everyone: every region; "
        "LDC-only or SIDS-only: where such countries lie), per cell." + SCOPE,
    )
    def list(self, request):
        form = self.form()
        rows, columns = form.dimensions()
        heat = heatmap(
            viewer=request.user, filters=form.filters(), rows=rows, columns=columns
        )
        return Response(
            {
                "rows": heat.rows,
                "columns": heat.columns,
                "suppressed_below": _suppressed_below(request.user),
                "row_labels": [vars(label) for label in heat.row_labels],
                "column_labels": [vars(label) for label in heat.column_labels],
                "cells": [
                    {
                        "row": row.key,
                        "column": column.key,
                        **vars(heat.cells[row.key][column.key]),
                    }
                    for row in heat.row_labels
                    for column in heat.column_labels
                ],
            }
        )


class CoverageStatsViewSet(StatsViewSet):
    """Coverage of LDCs, LLDCs and SIDS against other countries."""

    @_statistic(
        "CoverageStats",
        "GroupCoverage",
        {
            "group": serializers.ChoiceField(choices=COUNTRY_GROUPS),
            "needs": _count(),
            "covered": _count(),
            "unmet": _count(),
        },
        description="Active, covered and unmet needs of least developed "
        "countries, landlocked developing countries, small island developing "
        "States and the others (a country may be in several groups). Unmet: "
        "flagged by the engine; covered: a match not declined and not unmet; "
        "covered + unmet <= needs." + SCOPE,
    )
    def list(self, request):
        groups = coverage(viewer=request.user, filters=self.form().filters())
        return self.document([vars(group) for group in groups])


class UnmetNeedsStatsViewSet(StatsViewSet):
    """Public unmet needs, oldest first."""

    @_statistic(
        "UnmetNeedsStats",
        "UnmetNeed",
        {
            "ref": serializers.CharField(),
            "title": serializers.CharField(),
            "country": serializers.CharField(),
            "reason": serializers.CharField(),
            "created_at": serializers.DateTimeField(),
        },
        head={
            "total": serializers.IntegerField(),
            "not_public": serializers.IntegerField(
                allow_null=True, help_text="Curators only; null otherwise."
            ),
        },
        description=f"Up to {UNMET_LIMIT} active public needs for which the "
        "engine found no eligible programme above its threshold, oldest first, "
        "and their total. Needs that are not public are never listed; curators "
        "get their number in `not_public`.",
    )
    def list(self, request):
        unmet = unmet_needs(viewer=request.user, filters=self.form().filters())
        return Response(
            {
                "total": unmet.total,
                "not_public": unmet.not_public,
                "results": [
                    {
                        "ref": need.ref,
                        "title": need.title,
                        "country": need.country,
                        "reason": need.reason,
                        "created_at": need.created_at,
                    }
                    for need in unmet.items
                ],
            }
        )


class TimelineStatsViewSet(StatsViewSet):
    """Needs by status per month."""

    @_statistic(
        "TimelineStats",
        "TimelineMonth",
        {
            "month": serializers.CharField(help_text="YYYY-MM"),
            "opened": _count(),
            "matched": _count(),
            "in_delivery": _count(),
            "fulfilled": _count(),
        },
        description="Per month: needs posted, and distinct needs whose match "
        "was agreed, went into delivery or was completed (match history). The "
        "period bounds the months." + SCOPE,
    )
    def list(self, request):
        months = timeline(viewer=request.user, filters=self.form().filters())
        return self.document(
            [
                {
                    "month": month.month.strftime("%Y-%m"),
                    **{s: month.value(s) for s in TIMELINE_SERIES},
                }
                for month in months
            ]
        )


class ProviderStatsViewSet(StatsViewSet):
    """Providers by stakeholder group and region served."""

    @_statistic(
        "ProviderStats",
        "ProviderGroup",
        {
            "group": serializers.CharField(),
            "label": serializers.CharField(),
            "providers": serializers.IntegerField(),
            "regions": serializers.DictField(child=serializers.IntegerField()),
        },
        head={
            "regions": _LABEL.__class__(many=True),
        },
        description="Providers with a published programme, per stakeholder "
        "group, and per M49 region those with a programme open to it.",
    )
    def list(self, request):
        table = providers_by_group(viewer=request.user, filters=self.form().filters())
        return Response(
            {
                "regions": [vars(label) for label in table.regions],
                "results": [
                    {
                        "group": group.group.key,
                        "label": group.group.label,
                        "providers": group.total,
                        "regions": group.regions,
                    }
                    for group in table.groups
                ],
            }
        )


class MapStatsViewSet(StatsViewSet):
    """Active and unmet needs per M49 sub-region (tile-grid map)."""

    @_statistic(
        "MapStats",
        "MapTile",
        {
            "code": serializers.CharField(),
            "label": serializers.CharField(),
            "column": serializers.IntegerField(),
            "row": serializers.IntegerField(),
            "needs": _count(),
            "unmet": _count(),
        },
        description="Active and unmet needs per M49 sub-region, with the tile "
        "position used by the dashboard's map." + SCOPE,
    )
    def list(self, request):
        tiles = region_map(viewer=request.user, filters=self.form().filters())
        return self.document([vars(tile) for tile in tiles])


class FunnelStatsViewSet(StatsViewSet):
    """The conversion funnel: suggestions to rated outcomes, overall and by group."""

    @_statistic(
        "FunnelStats",
        "FunnelGroup",
        {
            "dimension": serializers.ChoiceField(choices=FUNNEL_DIMENSIONS),
            "key": serializers.CharField(),
            "label": serializers.CharField(),
            "steps": inline_serializer(
                name="FunnelStep",
                many=True,
                fields={
                    "step": serializers.ChoiceField(choices=FUNNEL_STEPS),
                    "reached": _count(),
                    "median_days": serializers.FloatField(
                        allow_null=True,
                        help_text="Median days from the suggestion to the step; "
                        "null when no dated step or (public) fewer than 3.",
                    ),
                },
            ),
        },
        head={
            "suppressed_below": serializers.IntegerField(allow_null=True),
            "steps": serializers.ListField(child=serializers.CharField()),
        },
        description="Matches of the needs in scope (suggested in the period) "
        "and how many reached each step of the match history: suggested, "
        "interest expressed, introduced, agreed, in delivery, completed, rated "
        "(a match that reached a step passed the earlier ones; declined matches "
        "count up to where they stopped), with the median days from the "
        "suggestion to each step. Overall (`all`) and by theme of the need, M49 "
        "region, country group (ldc, sids, other), provider stakeholder group "
        "and origin (engine, curator, roundtable)." + SCOPE,
    )
    def list(self, request):
        found = funnel(viewer=request.user, filters=self.form().filters())
        return self.document(
            [
                {
                    "dimension": group.dimension,
                    "key": group.key,
                    "label": group.label,
                    "steps": [vars(step) for step in group.steps],
                }
                for group in found.groups
            ],
            steps=list(FUNNEL_STEPS),
        )
