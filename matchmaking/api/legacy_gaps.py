"""The legacy gap statistics endpoint (/api/v1/stats/gaps/)."""

from __future__ import annotations

from django.db.models import Count, F, Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from matchmaking import selectors
from matchmaking.api.base import GAP_DIMENSIONS, ApiViewMixin, DocumentSchema, errors
from matchmaking.api.permissions import (
    PUBLIC_READ,
)
from matchmaking.api.serializers import (
    GapStatsSerializer,
)
from matchmaking.enums import ACTIVE_NEED_STATUSES, MatchStatus
from matchmaking.models import (
    Match,
    Need,
)

SUPPRESS_BELOW = 3


def _gap_key(key) -> str:
    return str(key).lower() if isinstance(key, bool) else str(key)


def _gap_label(by: str, key, labels: dict) -> str:
    if isinstance(key, bool):
        return by.upper() if key else _("Not %(group)s") % {"group": by.upper()}
    return labels.get(key, str(key))


class GapQuerySerializer(serializers.Serializer):
    by = serializers.ChoiceField(choices=sorted(GAP_DIMENSIONS), default="theme")


class GapStatsViewSet(ApiViewMixin, viewsets.ViewSet):
    """Where needs go unanswered: counts by theme, topic, region, LDC/LLDC/SIDS."""

    permission_classes = PUBLIC_READ
    queryset = Need.objects.none()  # for the schema generator only
    pagination_class = None  # one document, not a list
    schema = DocumentSchema()

    @extend_schema(
        parameters=[GapQuerySerializer],
        responses={200: GapStatsSerializer, **errors(400, 401, 429)},
        description="Open needs (open or in discussion), distinct programmes "
        "matched to them (declined matches excluded) and needs flagged unmet, per "
        "group, over the needs you may see. For everyone but curators, counts of "
        "1 or 2 are given as null so that small groups cannot single out a need.",
    )
    def list(self, request):
        query = GapQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        by = query.validated_data["by"]
        path, label_model = GAP_DIMENSIONS[by]
        user = request.user
        needs = (
            selectors.needs_visible_to(user=user)
            .filter(status__in=ACTIVE_NEED_STATUSES)
            .prefetch_related(None)
            .select_related(None)
            .values("pk")
        )
        need_rows = (
            Need.objects.filter(pk__in=needs)
            .values(key=F(path))
            .annotate(
                open_needs=Count("pk", distinct=True),
                unmet_needs=Count("pk", distinct=True, filter=~Q(unmet_reason="")),
            )
            .order_by("key")
        )
        programmes = (
            selectors.programmes_visible_to(user=user)
            .prefetch_related(None)
            .select_related(None)
            .values("pk")
        )
        programme_counts = dict(
            Match.objects.filter(need__in=needs, programme__in=programmes)
            .exclude(status=MatchStatus.DECLINED)
            .values(key=F(f"need__{path}"))
            .annotate(n=Count("programme", distinct=True))
            .order_by()
            .values_list("key", "n")
        )
        rows = [row for row in need_rows if row["key"] is not None]
        labels = {}
        if label_model is not None:
            labels = {
                obj.pk: str(obj.name)
                for obj in label_model.objects.filter(pk__in=[r["key"] for r in rows])
            }
        suppress = not selectors.is_curator(user)

        def shown(value: int) -> int | None:
            return None if suppress and 0 < value < SUPPRESS_BELOW else value

        results = [
            {
                "key": _gap_key(row["key"]),
                "label": _gap_label(by, row["key"], labels),
                "open_needs": shown(row["open_needs"]),
                "matching_programmes": shown(programme_counts.get(row["key"], 0)),
                "unmet_needs": shown(row["unmet_needs"]),
            }
            for row in rows
        ]
        return Response(
            {
                "by": by,
                "suppressed_below": SUPPRESS_BELOW if suppress else None,
                "results": results,
            }
        )
