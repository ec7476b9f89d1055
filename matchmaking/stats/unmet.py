"""The needs the engine found no eligible programme for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count
from django.db.models import QuerySet

from matchmaking.enums import ACTIVE_NEED_STATUSES
from matchmaking.models import Country
from matchmaking.models import Need
from matchmaking.stats.demand import NeedGroup
from matchmaking.stats.scope import AnyUser
from matchmaking.stats.scope import StatsFilter
from matchmaking.stats.scope import cached
from matchmaking.stats.scope import is_curator_scope
from matchmaking.stats.scope import need_scope
from matchmaking.stats.scope import scoped_needs

# The unmet-needs list shows at most this many needs.
UNMET_LIMIT = 50


@dataclass(frozen=True)
class UnmetNeed:
    ref: str
    title: str
    country: str
    country_name: str
    reason: str
    created_at: datetime


@dataclass(frozen=True)
class UnmetNeeds:
    """Public unmet needs, oldest first, and (curators) how many others exist."""

    items: list[UnmetNeed]
    total: int
    not_public: int | None = None  # curators only: unmet needs not listed


@cached
def unmet_needs(
    *, viewer: AnyUser, filters: StatsFilter, limit: int | None = UNMET_LIMIT
) -> UnmetNeeds:
    """Active needs the engine found no eligible programme for, oldest first.

    ``limit=None`` lists them all (the CSV download).

    Lists public needs only, for every viewer; a curator also gets the count
    of non-public unmet needs. Two queries: the page and the counts.
    """
    counts = _unmet(viewer, filters).aggregate(
        public=Count("pk", filter=need_scope(AnonymousUser())),
        other=Count("pk", filter=~need_scope(AnonymousUser())),
    )
    return UnmetNeeds(
        items=unmet_items(viewer, filters, limit),
        total=counts["public"],
        not_public=counts["other"] if is_curator_scope(viewer) else None,
    )


def _unmet(viewer: AnyUser, filters: StatsFilter) -> QuerySet:
    return (
        scoped_needs(viewer, filters)
        .filter(status__in=ACTIVE_NEED_STATUSES)
        .exclude(unmet_reason="")
    )


def unmet_items(
    viewer: AnyUser, filters: StatsFilter, limit: int | None
) -> list[UnmetNeed]:
    """The public unmet needs, oldest first (one query)."""
    listed = _unmet(viewer, filters).filter(need_scope(AnonymousUser()))
    if limit is not None:
        # The page's ids first, from the covering index (need_stats_idx),
        # then only their rows: not a scan of the whole table for a few.
        page = listed.order_by("created_at", "id").values("pk")[:limit]
        listed = Need.objects.filter(pk__in=page)
    listed = listed.order_by("created_at", "id").values(
        "ref",
        "title",
        "unmet_reason",
        "created_at",
        "member_state__country_id",
        *(f"member_state__country__{name}" for name in _NAME_FIELDS),
    )
    rows = list(listed)

    names: dict[str, str] = {}

    def country_name(row: dict) -> str:
        code = row["member_state__country_id"]
        if code not in names:
            names[code] = Country(
                **{name: row[f"member_state__country__{name}"] for name in _NAME_FIELDS}
            ).name
        return names[code]

    return [
        UnmetNeed(
            ref=row["ref"],
            title=row["title"],
            country=row["member_state__country_id"],
            country_name=country_name(row),
            reason=row["unmet_reason"],
            created_at=row["created_at"],
        )
        for row in rows
    ]


def unmet_of(
    viewer: AnyUser, groups: list[NeedGroup], items: list[UnmetNeed]
) -> UnmetNeeds:
    """The unmet needs with their counts added up from the need groups."""
    return UnmetNeeds(
        items=items,
        total=sum(g.unmet for g in groups if g.public),
        not_public=(
            sum(g.unmet for g in groups if not g.public)
            if is_curator_scope(viewer)
            else None
        ),
    )


_NAME_FIELDS = ("name_en", "name_fr", "name_es", "name_ar", "name_zh", "name_ru")
