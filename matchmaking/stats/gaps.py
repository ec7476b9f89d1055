"""Needs, matched programmes and unmet needs by one dimension (API: /stats/gaps/)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.db.models import Count
from django.db.models import F
from django.db.models import Q
from django.utils.translation import gettext as _

from matchmaking import selectors
from matchmaking.enums import ACTIVE_NEED_STATUSES
from matchmaking.enums import MatchStatus
from matchmaking.models import Match
from matchmaking.models import Need
from matchmaking.models import Region
from matchmaking.models import Theme
from matchmaking.models import Topic
from matchmaking.stats.scope import AnyUser
from matchmaking.stats.scope import is_curator_scope
from matchmaking.stats.scope import shown_count

# by -> (grouping path from Need, label source)
GAP_DIMENSIONS: dict[str, tuple[str, type[models.Model] | None]] = {
    "theme": ("topics__theme", Theme),
    "topic": ("topics", Topic),
    "region": ("member_state__country__region", Region),
    "subregion": ("member_state__country__subregion", Region),
    "ldc": ("member_state__country__is_ldc", None),
    "lldc": ("member_state__country__is_lldc", None),
    "sids": ("member_state__country__is_sids", None),
}


@dataclass(frozen=True)
class GapRow:
    key: str
    label: str
    open_needs: int | None
    matching_programmes: int | None
    unmet_needs: int | None


@dataclass(frozen=True)
class Gaps:
    by: str
    rows: list[GapRow]
    suppressed: bool


def _gap_key(key: object) -> str:
    return str(key).lower() if isinstance(key, bool) else str(key)


def _gap_label(by: str, key: object, labels: dict) -> str:
    if isinstance(key, bool):
        return by.upper() if key else _("Not %(group)s") % {"group": by.upper()}
    return labels.get(key, str(key))


def gaps(*, viewer: AnyUser, by: str) -> Gaps:
    """Open needs, distinct programmes matched and unmet needs per group of ``by``.

    Over the active needs the viewer may see (not the public scope of the other
    statistics) and the programmes they may see, declined matches excluded;
    counts of 1 or 2 are hidden from everyone but curators. Three queries (four
    with labels): needs per group, programmes per group, the labels.
    """
    path, label_model = GAP_DIMENSIONS[by]
    needs = (
        selectors.needs_visible_to(user=viewer)
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
        selectors.programmes_visible_to(user=viewer)
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
    suppress = not is_curator_scope(viewer)
    return Gaps(
        by=by,
        rows=[
            GapRow(
                key=_gap_key(row["key"]),
                label=_gap_label(by, row["key"], labels),
                open_needs=shown_count(row["open_needs"], suppress),
                matching_programmes=shown_count(
                    programme_counts.get(row["key"], 0), suppress
                ),
                unmet_needs=shown_count(row["unmet_needs"], suppress),
            )
            for row in rows
        ],
        suppressed=suppress,
    )
