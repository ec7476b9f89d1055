"""What every statistic shares: filters, scope, the small-group rule, the cache."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from typing import Literal

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db.models import Exists
from django.db.models import OuterRef
from django.db.models import Q
from django.db.models import QuerySet
from django.utils.translation import get_language

from matchmaking import selectors
from matchmaking.enums import MatchStatus
from matchmaking.enums import NeedStatus
from matchmaking.enums import ProgrammeStatus
from matchmaking.models import Match
from matchmaking.models import Need
from matchmaking.models import Region

AnyUser = selectors.AnyUser

# Public counts of needs below this are suppressed (given as None).
MIN_GROUP_SIZE = 3

RowDimension = Literal["theme", "topic"]
ColumnDimension = Literal["region", "subregion"]
ROW_DIMENSIONS: tuple[RowDimension, ...] = ("theme", "topic")
COLUMN_DIMENSIONS: tuple[ColumnDimension, ...] = ("region", "subregion")
# The heat map's rows and columns when none are chosen.
DEFAULT_ROWS: RowDimension = "theme"
DEFAULT_COLUMNS: ColumnDimension = "region"

COLUMN_PATH = {
    "region": "member_state__country__region",
    "subregion": "member_state__country__subregion",
}


@dataclass(frozen=True)
class StatsFilter:
    """What every statistic can be narrowed to; ``None`` means no restriction."""

    theme: str | None = None  # Theme slug
    region: str | None = None  # M49 code of a region, sub-region or intermediate
    start: date | None = None  # first month of the period (its first day)
    end: date | None = None  # last month of the period (its first day)

    def start_at(self) -> datetime | None:
        """The period's first instant."""
        if self.start is None:
            return None
        return datetime(self.start.year, self.start.month, 1, tzinfo=UTC)

    def end_before(self) -> datetime | None:
        """The first instant after the period."""
        if self.end is None:
            return None
        year, month = self.end.year, self.end.month
        if month == 12:
            return datetime(year + 1, 1, 1, tzinfo=UTC)
        return datetime(year, month + 1, 1, tzinfo=UTC)


def cached[T](function: Callable[..., T]) -> Callable[..., T]:
    """Cache a statistic per scope, filters, options and language (not per user)."""

    @functools.wraps(function)
    def wrapper(*, viewer: AnyUser, filters: StatsFilter, **options) -> T:
        seconds = getattr(settings, "STATS_CACHE_SECONDS", 60)
        if seconds <= 0:
            return function(viewer=viewer, filters=filters, **options)
        scope = "curator" if is_curator_scope(viewer) else "public"
        signature = (function.__name__, scope, filters, sorted(options.items()))
        key = (
            "stats:"
            + hashlib.sha256(repr((signature, get_language())).encode()).hexdigest()
        )
        found = cache.get(key)
        if found is None:
            found = function(viewer=viewer, filters=filters, **options)
            cache.set(key, found, seconds)
        return found

    return wrapper


def is_curator_scope(viewer: AnyUser) -> bool:
    """Curators get the statistics over every need; everyone else public ones."""
    return selectors.is_curator(viewer)


def need_scope(viewer: AnyUser) -> Q:
    """Needs counted for this viewer (drafts never)."""
    published = ~Q(status=NeedStatus.DRAFT)
    if is_curator_scope(viewer):
        rule = selectors.need_visibility_q(user=viewer)
    else:
        rule = selectors.need_visibility_q(user=AnonymousUser())
    return published if rule is None else published & rule


def region_q(prefix: str, code: str) -> Q:
    """Countries (under ``prefix``) in the M49 grouping ``code`` at any level."""
    return (
        Q(**{f"{prefix}region_id": code})
        | Q(**{f"{prefix}subregion_id": code})
        | Q(**{f"{prefix}intermediate_region_id": code})
    )


def need_filter(viewer: AnyUser, filters: StatsFilter, *, period: bool = True) -> Q:
    """The viewer's scope narrowed by the filters (period on the posting date)."""
    q = need_scope(viewer)
    if filters.theme:
        q &= Q(
            pk__in=Need.topics.through.objects.filter(
                topic__theme_id=filters.theme
            ).values("need_id")
        )
    if filters.region:
        q &= region_q("member_state__country__", filters.region)
    if period:
        if start := filters.start_at():
            q &= Q(created_at__gte=start)
        if end := filters.end_before():
            q &= Q(created_at__lt=end)
    return q


def scoped_needs(
    viewer: AnyUser, filters: StatsFilter, *, period: bool = True
) -> QuerySet:
    return Need.objects.filter(need_filter(viewer, filters, period=period)).order_by()


def shown_count(value: int, suppress: bool) -> int | None:
    """A count of needs as the viewer may see it (None: fewer than 3)."""
    if suppress and 0 < value < MIN_GROUP_SIZE:
        return None
    return value


def live_match() -> Exists:
    """The need has a match that is not declined."""
    return Exists(
        Match.objects.filter(need=OuterRef("pk")).exclude(status=MatchStatus.DECLINED)
    )


def offered_programmes() -> Q:
    """Programmes counted as offers: those anyone may see, published."""
    rule = selectors.programme_visibility_q(user=AnonymousUser())
    published = Q(status=ProgrammeStatus.PUBLISHED)
    return published if rule is None else published & rule


@dataclass(frozen=True)
class Label:
    key: str
    label: str


def all_regions() -> list[Region]:
    """Every M49 grouping (a few dozen rows), by code."""
    return list(Region.objects.order_by("code"))


def period_q(path: str, filters: StatsFilter) -> Q:
    q = Q()
    if start := filters.start_at():
        q &= Q(**{f"{path}__gte": start})
    if end := filters.end_before():
        q &= Q(**{f"{path}__lt": end})
    return q
