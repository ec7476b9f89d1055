"""Gap statistics: needs against offers, from grouped queries only.

One function per statistic; each runs a fixed number of grouped queries,
whatever the number of needs and programmes, and returns plain frozen data.
They aggregate the small sets first (one row per need or programme, then per
cell) and count distinct values by hashing, not COUNT(DISTINCT) over big
joins; where the ORM cannot nest a grouped subquery, raw SQL wraps the
querysets that carry the scope (visibility still comes from ``selectors``) and
takes table names from the models only, every value as a parameter (so the
``# nosec B608`` marks: no user input is ever formatted into the SQL). The
covering indexes of ``match_need_status_idx``, ``need_stats_idx`` and
``programme_offer_idx`` let PostgreSQL read the wide tables from their
indexes.

Scope (the ``viewer`` argument) and the small-group rule, as documented on the
open-data page:

* a curator's statistics count every need that is not a draft, whatever its
  visibility (non-public needs appear in aggregates only: no statistic lists
  the content of a need that is not public);
* everyone else's statistics count public needs only (the needs an anonymous
  visitor may see, through ``selectors.need_visibility_q``), so a registered or
  confidential need never moves a public figure;
* in addition, in public statistics any count of needs of 1 or 2 is given as
  ``None`` ("fewer than 3"), so that a narrow filter cannot single out a need.
  Zero stays zero.

Results are cached per statistic, scope, filters and language for
``settings.STATS_CACHE_SECONDS`` (default 60; 0 turns the cache off): the
figures of a dashboard may be up to that old, and a burst of visitors costs
the database one computation per minute and filter combination.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connection, models
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import get_language

from . import selectors
from .enums import (
    ACTIVE_NEED_STATUSES,
    MatchStatus,
    NeedStatus,
    ProgrammeStatus,
    RegionLevel,
)
from .models import (
    Country,
    Match,
    MatchEvent,
    Need,
    Programme,
    Provider,
    Region,
    StakeholderGroup,
    Theme,
    Topic,
)

AnyUser = selectors.AnyUser

# Public counts of needs below this are suppressed (given as None).
MIN_GROUP_SIZE = 3
# The unmet-needs list shows at most this many needs.
UNMET_LIMIT = 50

RowDimension = Literal["theme", "topic"]
ColumnDimension = Literal["region", "subregion"]
ROW_DIMENSIONS: tuple[RowDimension, ...] = ("theme", "topic")
COLUMN_DIMENSIONS: tuple[ColumnDimension, ...] = ("region", "subregion")

_ROW_PATH = {"theme": "topics__theme", "topic": "topics"}
_COLUMN_PATH = {
    "region": "member_state__country__region",
    "subregion": "member_state__country__subregion",
}
# Milestones of a need's life read from its matches' history.
TIMELINE_EVENTS = {
    "matched": MatchStatus.AGREED,
    "in_delivery": MatchStatus.IN_DELIVERY,
    "fulfilled": MatchStatus.COMPLETED,
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


# --- scope -------------------------------------------------------------------


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


def _need_scope(viewer: AnyUser) -> Q:
    """Needs counted for this viewer (drafts never)."""
    published = ~Q(status=NeedStatus.DRAFT)
    if is_curator_scope(viewer):
        rule = selectors.need_visibility_q(user=viewer)
    else:
        rule = selectors.need_visibility_q(user=AnonymousUser())
    return published if rule is None else published & rule


def _region_q(prefix: str, code: str) -> Q:
    """Countries (under ``prefix``) in the M49 grouping ``code`` at any level."""
    return (
        Q(**{f"{prefix}region_id": code})
        | Q(**{f"{prefix}subregion_id": code})
        | Q(**{f"{prefix}intermediate_region_id": code})
    )


def _need_filter(viewer: AnyUser, filters: StatsFilter, *, period: bool = True) -> Q:
    """The viewer's scope narrowed by the filters (period on the posting date)."""
    q = _need_scope(viewer)
    if filters.theme:
        q &= Q(
            pk__in=Need.topics.through.objects.filter(
                topic__theme_id=filters.theme
            ).values("need_id")
        )
    if filters.region:
        q &= _region_q("member_state__country__", filters.region)
    if period:
        if start := filters.start_at():
            q &= Q(created_at__gte=start)
        if end := filters.end_before():
            q &= Q(created_at__lt=end)
    return q


def _needs(viewer: AnyUser, filters: StatsFilter, *, period: bool = True) -> QuerySet:
    return Need.objects.filter(_need_filter(viewer, filters, period=period)).order_by()


def _shown(value: int, suppress: bool) -> int | None:
    """A count of needs as the viewer may see it (None: fewer than 3)."""
    if suppress and 0 < value < MIN_GROUP_SIZE:
        return None
    return value


def _live_match() -> Exists:
    """The need has a match that is not declined."""
    return Exists(
        Match.objects.filter(need=OuterRef("pk")).exclude(status=MatchStatus.DECLINED)
    )


def _offered_programmes() -> Q:
    """Programmes counted as offers: those anyone may see, published."""
    rule = selectors.programme_visibility_q(user=AnonymousUser())
    published = Q(status=ProgrammeStatus.PUBLISHED)
    return published if rule is None else published & rule


# --- heat map ------------------------------------------------------------------


@dataclass(frozen=True)
class Label:
    key: str
    label: str


@dataclass(frozen=True)
class Cell:
    """Needs (active), those with a live match, those unmet, programmes on offer."""

    needs: int | None
    covered: int | None
    unmet: int | None
    programmes: int


@dataclass(frozen=True)
class Heatmap:
    rows: RowDimension
    columns: ColumnDimension
    row_labels: tuple[Label, ...]
    column_labels: tuple[Label, ...]
    # cells[row key][column key]
    cells: dict[str, dict[str, Cell]]
    suppressed: bool

    def max_needs(self) -> int:
        return max(
            (c.needs or 0 for row in self.cells.values() for c in row.values()),
            default=0,
        )


def _row_labels(rows: RowDimension, filters: StatsFilter) -> tuple[Label, ...]:
    if rows == "theme":
        themes = Theme.objects.all()
        if filters.theme:
            themes = themes.filter(pk=filters.theme)
        return tuple(Label(t.pk, t.name) for t in themes)
    topics = Topic.objects.order_by("theme__position", "position", "slug")
    if filters.theme:
        topics = topics.filter(theme_id=filters.theme)
    return tuple(Label(t.pk, t.name) for t in topics)


def _column_labels(columns: ColumnDimension, filters: StatsFilter) -> tuple[Label, ...]:
    level = RegionLevel.REGION if columns == "region" else RegionLevel.SUBREGION
    regions = Region.objects.filter(level=level)
    if filters.region:
        # The columns that can hold needs of the chosen grouping.
        regions = regions.filter(
            Q(code=filters.region)
            | Q(children__code=filters.region)
            | Q(children__children__code=filters.region)
            | Q(parent_id=filters.region)
            | Q(parent__parent_id=filters.region)
        ).distinct()
    return tuple(Label(r.code, r.name) for r in regions.order_by("code"))


@cached
def heatmap(
    *,
    viewer: AnyUser,
    filters: StatsFilter,
    rows: RowDimension = "theme",
    columns: ColumnDimension = "region",
) -> Heatmap:
    """Active needs (demand) against programmes on offer (supply), per cell.

    A cell is a theme or topic x a region or sub-region. Demand: the viewer's
    active needs of the cell, those with a live match and those unmet. Supply:
    the published programmes running in the period (not ended, without one)
    offering the cell's theme or topic and open to at least one country of the
    cell's region, by the engine's geography rules (programmes open to
    everyone count for every region; LDC-only and SIDS-only ones only where
    such countries lie). Four queries: demand grouped by cell, supply grouped
    by cell, and the row and column labels.
    """
    suppress = not is_curator_scope(viewer)
    only_theme = filters.theme if rows == "theme" else None
    counted = {
        (r, c): (needs, covered, unmet)
        for r, c, needs, covered, unmet in _demand_rows(
            viewer, filters, rows, columns, only_theme
        )
    }
    offered: dict[tuple[str, str], int] = {}
    for r, c, n in _supply_rows(filters, rows, columns, only_theme):
        # Two parts (restricted and worldwide programmes) add up: disjoint sets.
        offered[(r, c)] = offered.get((r, c), 0) + int(n)
    row_labels = _row_labels(rows, filters)
    column_labels = _column_labels(columns, filters)
    cells: dict[str, dict[str, Cell]] = {}
    for row in row_labels:
        cells[row.key] = {}
        for column in column_labels:
            needs, covered, unmet = counted.get((row.key, column.key), (0, 0, 0))
            cells[row.key][column.key] = Cell(
                needs=_shown(int(needs), suppress),
                covered=_shown(int(covered), suppress),
                unmet=_shown(int(unmet), suppress),
                programmes=offered.get((row.key, column.key), 0),
            )
    return Heatmap(
        rows=rows,
        columns=columns,
        row_labels=row_labels,
        column_labels=column_labels,
        cells=cells,
        suppressed=suppress,
    )


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _sql(queryset: QuerySet) -> tuple[str, tuple]:
    """A queryset compiled for embedding as a subquery of raw SQL."""
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


def _row_source(
    rows: RowDimension, through: type[models.Model], owner: str, *, distinct: bool
) -> str:
    """(owner id, row key) pairs from a through table of topics.

    By theme, an owner with two topics of a theme gives the pair twice unless
    ``distinct``.
    """
    table = _table(through)
    if rows == "topic":
        return f'SELECT "{owner}_id" AS oid, "topic_id" AS r FROM {table}'  # noqa: S608  # nosec B608
    return (
        f'SELECT {"DISTINCT " if distinct else ""}x."{owner}_id" AS oid, '  # noqa: S608  # nosec B608
        f't."theme_id" AS r FROM {table} x '
        f'INNER JOIN {_table(Topic)} t ON t."slug" = x."topic_id"'
    )


def _demand_rows(
    viewer: AnyUser,
    filters: StatsFilter,
    rows: RowDimension,
    columns: ColumnDimension,
    only_theme: str | None,
) -> list[tuple]:
    """(row, column, needs, covered, unmet) of the viewer's active needs.

    Each need's facts (its column, a live match, unmet) are worked out once,
    then spread over its rows: a need counts once per cell, with no
    COUNT(DISTINCT) over a join.
    """
    one = Value(1)
    needs = (
        _needs(viewer, filters)
        .filter(status__in=ACTIVE_NEED_STATUSES)
        .values(
            nid=F("pk"),
            c=F(_COLUMN_PATH[columns]),
            live=Case(When(_live_match(), then=one), default=Value(0)),
            unmet=Case(When(~Q(unmet_reason=""), then=one), default=Value(0)),
        )
    )
    need_sql, params = _sql(needs)
    where = ""
    if only_theme:
        where, params = "WHERE src.r = %s", (*params, only_theme)
    source = _row_source(rows, Need.topics.through, "need", distinct=True)
    sql = (
        "SELECT src.r, n.c, COUNT(*), SUM(n.live), SUM(n.unmet) "  # noqa: S608  # nosec B608
        f"FROM ({source}) src "
        f"INNER JOIN ({need_sql}) n ON n.nid = src.oid {where} "
        "GROUP BY src.r, n.c"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _running_programmes(filters: StatsFilter) -> QuerySet:
    """Programmes on offer in the period: published, public, not ended."""
    offers = Programme.objects.filter(_offered_programmes())
    start = filters.start or (None if filters.end else timezone.localdate())
    if start:
        offers = offers.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=start))
    if end := filters.end_before():
        offers = offers.filter(Q(starts_on__isnull=True) | Q(starts_on__lt=end.date()))
    return offers.order_by().values("id", "provider_id", "ldc_only", "sids_only")


# Geography of programmes in SQL (the engine's rules: matching._geography and
# the LDC-only / SIDS-only flags), for the supply side of the statistics. Only
# table and column names from the models are put into these strings; every
# value is a query parameter.
_FLAGS = (
    "CASE WHEN c.is_ldc THEN 1 ELSE 0 END AS ldc, "
    "CASE WHEN c.is_sids THEN 1 ELSE 0 END AS sids, "
    "CASE WHEN c.is_ldc AND c.is_sids THEN 1 ELSE 0 END AS both_flags"
)


def _allowed(p: str, x: str) -> str:
    """Programme (alias ``p``) flags let in a country of area ``x``'s flags."""
    return (
        f"(NOT {p}.ldc_only OR {x}.ldc = 1) AND (NOT {p}.sids_only OR "
        f"{x}.sids = 1) AND (NOT ({p}.ldc_only AND {p}.sids_only) OR "
        f"{x}.both_flags = 1)"
    )


def _every_column_sql(columns: ColumnDimension) -> str:
    """(col, ldc, sids, both_flags): each column, and what kinds of country it holds."""
    country = _table(Country)
    return (
        "SELECT g.col, MAX(g.ldc) AS ldc, MAX(g.sids) AS sids, "  # noqa: S608  # nosec B608
        "MAX(g.both_flags) AS both_flags FROM "
        f"(SELECT c.{columns}_id AS col, {_FLAGS} FROM {country} c) g "
        "WHERE g.col IS NOT NULL GROUP BY g.col"
    )


def _open_columns_sql(columns: ColumnDimension, offered: str) -> str:
    """(pid, provider, col): programmes with an eligibility list, columns reached.

    Only programmes in the subquery ``offered`` (its parameters are needed
    twice). A column is reached through an eligible country in it, or an
    eligible grouping (region, sub-region, intermediate region) holding one of
    its countries that the programme's LDC-only / SIDS-only flags let in. A
    (pid, col) pair can come more than once: callers count distinct values.
    Programmes open to everyone have no row here (see ``_worldwide_sql``).
    """
    column = f"{columns}_id"
    country = _table(Country)
    by_region = _table(Programme.eligible_regions.through)
    by_country = _table(Programme.eligible_countries.through)
    groupings = " UNION ALL ".join(
        f"SELECT c.{level} AS code, c.{column} AS col, {_FLAGS} "  # noqa: S608  # nosec B608
        f"FROM {country} c"
        for level in ("region_id", "subregion_id", "intermediate_region_id")
    )
    reach = (
        "SELECT g.code, g.col, MAX(g.ldc) AS ldc, MAX(g.sids) AS sids, "  # noqa: S608  # nosec B608
        f"MAX(g.both_flags) AS both_flags FROM ({groupings}) g "
        "WHERE g.code IS NOT NULL AND g.col IS NOT NULL GROUP BY g.code, g.col"
    )
    return (
        "SELECT er.programme_id AS pid, p.provider_id AS provider, "  # noqa: S608  # nosec B608
        f"reach.col FROM {by_region} er "
        f"INNER JOIN ({offered}) p ON p.id = er.programme_id "
        f"INNER JOIN ({reach}) reach ON reach.code = er.region_id "
        f"WHERE {_allowed('p', 'reach')} "
        "UNION ALL "
        "SELECT ec.programme_id AS pid, p.provider_id AS provider, "
        f"c.{column} AS col FROM {by_country} ec "
        f"INNER JOIN ({offered}) p ON p.id = ec.programme_id "
        f"INNER JOIN (SELECT c.iso3, c.{column}, {_FLAGS} FROM {country} c) c "
        f"ON c.iso3 = ec.country_id "
        f"WHERE c.{column} IS NOT NULL AND {_allowed('p', 'c')}"
    )


def _worldwide_sql(p: str) -> str:
    """Programme ``p`` has no eligibility list: it is open to everyone."""
    by_region = _table(Programme.eligible_regions.through)
    by_country = _table(Programme.eligible_countries.through)
    return (
        f"NOT EXISTS (SELECT 1 FROM {by_region} er "  # noqa: S608  # nosec B608
        f"WHERE er.programme_id = {p}.id) "
        f"AND NOT EXISTS (SELECT 1 FROM {by_country} ec "
        f"WHERE ec.programme_id = {p}.id)"
    )


def _supply_rows(
    filters: StatsFilter,
    rows: RowDimension,
    columns: ColumnDimension,
    only_theme: str | None,
) -> list[tuple]:
    """(row, column, programmes) of programmes on offer, in two disjoint parts.

    Programmes with an eligibility list: one row per programme and column it
    reaches, counted per cell. Programmes open to everyone: counted per row
    and flags first (a handful of rows), then given to every column holding
    a country their flags let in.
    """
    offered, params = _sql(_running_programmes(filters))
    source = _row_source(rows, Programme.topics.through, "programme", distinct=False)
    theme = "AND src.r = %s" if only_theme else ""
    # Distinct triples first, then plain counts: both hashed, where a
    # COUNT(DISTINCT) would sort its rows on text keys.
    restricted = (
        "SELECT d.r, d.col, COUNT(*) AS n FROM ("  # noqa: S608  # nosec B608
        f"SELECT DISTINCT src.r, cov.col, src.oid FROM ({source}) src "
        f"INNER JOIN ({_open_columns_sql(columns, offered)}) cov "
        f"ON cov.pid = src.oid WHERE 1 = 1 {theme}) d GROUP BY d.r, d.col"
    )
    worldwide = (
        "SELECT w.r, a.col, SUM(w.n) AS n FROM ("  # noqa: S608  # nosec B608
        "SELECT d.r, d.ldc_only, d.sids_only, COUNT(*) AS n FROM ("
        "SELECT DISTINCT src.r, p.ldc_only, p.sids_only, src.oid "
        f"FROM ({source}) src INNER JOIN ({offered}) p ON p.id = src.oid "
        f"WHERE {_worldwide_sql('p')} {theme}) d "
        "GROUP BY d.r, d.ldc_only, d.sids_only) w "
        f"INNER JOIN ({_every_column_sql(columns)}) a ON {_allowed('w', 'a')} "
        "GROUP BY w.r, a.col"
    )
    theme_params = (only_theme,) if only_theme else ()
    with connection.cursor() as cursor:
        cursor.execute(
            f"{restricted} UNION ALL {worldwide}",
            (*params, *params, *theme_params, *params, *theme_params),
        )
        return cursor.fetchall()


# --- LDC / LLDC / SIDS coverage ---------------------------------------------------

COUNTRY_GROUPS = ("ldc", "lldc", "sids", "other")
_GROUP_Q = {
    "ldc": Q(member_state__country__is_ldc=True),
    "lldc": Q(member_state__country__is_lldc=True),
    "sids": Q(member_state__country__is_sids=True),
    "other": Q(
        member_state__country__is_ldc=False,
        member_state__country__is_lldc=False,
        member_state__country__is_sids=False,
    ),
}


@dataclass(frozen=True)
class GroupCoverage:
    """Active needs of a country group, those with a live match, those unmet."""

    group: str
    needs: int | None
    covered: int | None
    unmet: int | None

    @property
    def covered_share(self) -> float | None:
        """Covered needs as a fraction of needs (None when either is hidden)."""
        if not self.needs or self.covered is None:
            return None
        return self.covered / self.needs


@cached
def coverage(*, viewer: AnyUser, filters: StatsFilter) -> list[GroupCoverage]:
    """Coverage of needs from LDCs, LLDCs and SIDS against other countries.

    One query. A country can be in several groups (an LDC that is also a SIDS);
    "other" is the countries in none of them.
    """
    suppress = not is_curator_scope(viewer)
    aggregates = {}
    for group, q in _GROUP_Q.items():
        aggregates[f"{group}_needs"] = Count("pk", filter=q)
        aggregates[f"{group}_covered"] = Count("pk", filter=q & Q(live=True))
        aggregates[f"{group}_unmet"] = Count("pk", filter=q & ~Q(unmet_reason=""))
    totals = (
        _needs(viewer, filters)
        .filter(status__in=ACTIVE_NEED_STATUSES)
        .alias(live=_live_match())
        .aggregate(**aggregates)
    )
    return [
        GroupCoverage(
            group=group,
            needs=_shown(totals[f"{group}_needs"], suppress),
            covered=_shown(totals[f"{group}_covered"], suppress),
            unmet=_shown(totals[f"{group}_unmet"], suppress),
        )
        for group in COUNTRY_GROUPS
    ]


# --- unmet needs ---------------------------------------------------------------


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
    from .models import Country

    unmet = (
        _needs(viewer, filters)
        .filter(status__in=ACTIVE_NEED_STATUSES)
        .exclude(unmet_reason="")
    )
    public = _need_scope(AnonymousUser())
    listed = (
        unmet.filter(public)
        .order_by("created_at", "id")
        .values(
            "ref",
            "title",
            "unmet_reason",
            "created_at",
            "member_state__country_id",
            *(f"member_state__country__{name}" for name in _NAME_FIELDS),
        )
    )
    rows = list(listed if limit is None else listed[:limit])
    counts = unmet.aggregate(
        public=Count("pk", filter=public), other=Count("pk", filter=~public)
    )

    def country_name(row: dict) -> str:
        country = Country(
            **{name: row[f"member_state__country__{name}"] for name in _NAME_FIELDS}
        )
        return country.name

    items = [
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
    return UnmetNeeds(
        items=items,
        total=counts["public"],
        not_public=counts["other"] if is_curator_scope(viewer) else None,
    )


_NAME_FIELDS = ("name_en", "name_fr", "name_es", "name_ar", "name_zh", "name_ru")


# --- status over time --------------------------------------------------------------

TIMELINE_SERIES = ("opened", "matched", "in_delivery", "fulfilled")


@dataclass(frozen=True)
class Month:
    month: date
    opened: int | None
    matched: int | None
    in_delivery: int | None
    fulfilled: int | None

    def value(self, series: str) -> int | None:
        return getattr(self, series)


def _month(value: datetime | date) -> date:
    return date(value.year, value.month, 1)


def _months_between(first: date, last: date) -> list[date]:
    months = []
    current = first
    while current <= last:
        months.append(current)
        year, month = current.year, current.month + 1
        if month > 12:
            year, month = year + 1, 1
        current = date(year, month, 1)
    return months


@cached
def timeline(*, viewer: AnyUser, filters: StatsFilter) -> list[Month]:
    """Needs per month: posted, matched (agreed), in delivery, fulfilled.

    Two queries: needs posted per month, and distinct needs reaching each
    milestone per month from the match history (the first month a need reached
    it counts; a need is counted once per milestone and month). The period
    filter is on the month of the event; every month in between is listed.
    """
    suppress = not is_curator_scope(viewer)
    needs = _needs(viewer, filters, period=False)
    opened = (
        needs.filter(_period_q("created_at", filters))
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    events = (
        MatchEvent.objects.filter(
            match__need__in=needs.values("pk"),
            to_status__in=list(TIMELINE_EVENTS.values()),
        )
        .filter(_period_q("at", filters))
        .annotate(month=TruncMonth("at"))
        .values("month", "to_status")
        .annotate(n=Count("match__need", distinct=True))
        .order_by()
    )
    series: dict[str, dict[date, int]] = {name: {} for name in TIMELINE_SERIES}
    for row in opened:
        series["opened"][_month(row["month"])] = row["n"]
    by_status = {status: name for name, status in TIMELINE_EVENTS.items()}
    for row in events:
        series[by_status[row["to_status"]]][_month(row["month"])] = row["n"]
    seen = [m for values in series.values() for m in values]
    first = filters.start or (min(seen) if seen else None)
    last = filters.end or (max(seen) if seen else None)
    if first is None or last is None:
        return []
    return [
        Month(
            month=month,
            **{
                name: _shown(series[name].get(month, 0), suppress)
                for name in TIMELINE_SERIES
            },
        )
        for month in _months_between(_month(first), _month(last))
    ]


def _period_q(path: str, filters: StatsFilter) -> Q:
    q = Q()
    if start := filters.start_at():
        q &= Q(**{f"{path}__gte": start})
    if end := filters.end_before():
        q &= Q(**{f"{path}__lt": end})
    return q


# --- providers ---------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderGroup:
    group: Label
    total: int
    # region code -> providers of the group with a programme open to it
    regions: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderTable:
    regions: tuple[Label, ...]
    groups: list[ProviderGroup]


def _serves_q(codes: Iterable[str], country_region: str) -> Q:
    """The programme is open to states of a grouping.

    By one of ``codes`` among its eligible regions, by an eligible country in
    ``country_region``, or by having no restriction at all. Uncorrelated
    ``IN`` subqueries over the two through tables: each is hashed once, and no
    join multiplies the programme's row.
    """
    regions = Programme.eligible_regions.through.objects.values("programme_id")
    countries = Programme.eligible_countries.through.objects.values("programme_id")
    return (
        Q(pk__in=regions.filter(region_id__in=list(codes)))
        | Q(pk__in=countries.filter(_region_q("country__", country_region)))
        | (~Q(pk__in=regions) & ~Q(pk__in=countries))
    )


@cached
def providers_by_group(*, viewer: AnyUser, filters: StatsFilter) -> ProviderTable:
    """Providers with a published programme, by stakeholder group and region served.

    A provider serves a region when one of its programmes is open to one of
    the region's countries: by that country, a grouping holding it, or being
    open to everyone, and with its LDC-only / SIDS-only flags letting the
    country in (the supply side of the heat map). Providers and published
    programmes are public, so nothing is suppressed; the period keeps
    programmes running in it. Four queries: the region tree (for the region
    filter), the top regions, the grouped counts and the stakeholder groups.
    """
    regions = list(Region.objects.values_list("code", "level", "parent_id"))
    parent = {code: up for code, _level, up in regions}
    top_regions = list(Region.objects.filter(level=RegionLevel.REGION).order_by("code"))
    offers = Programme.objects.filter(_offered_programmes())
    if filters.theme:
        offers = offers.filter(
            pk__in=Programme.topics.through.objects.filter(
                topic__theme_id=filters.theme
            ).values("programme_id")
        )
    if filters.start:
        offers = offers.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=filters.start))
    if end := filters.end_before():
        offers = offers.filter(Q(starts_on__isnull=True) | Q(starts_on__lt=end.date()))
    if filters.region:
        # Open to the grouping itself, to anything around or inside it.
        around = {filters.region}
        code = filters.region
        while parent.get(code):
            code = parent[code]
            around.add(code)
        inside = {c for c, _level, up in regions if up == filters.region}
        inside |= {c for c, _level, up in regions if up in inside}
        offers = offers.filter(_serves_q(around | inside, filters.region))
    # Distinct providers per group and region their programmes reach (by the
    # geography of the heat map's supply side), and per group in total ('').
    offered, params = _sql(
        offers.order_by().values("id", "provider_id", "ldc_only", "sids_only")
    )
    provider = _table(Provider)
    # Distinct (provider, region) pairs first: by eligibility list, and for
    # providers with a programme open to everyone, by the flags of those.
    sql = (
        "SELECT pv.stakeholder_group_id, y.col, COUNT(*) FROM ("  # noqa: S608  # nosec B608
        f"SELECT x.provider AS provider_id, x.col "
        f"FROM ({_open_columns_sql('region', offered)}) x "
        "UNION SELECT w.provider_id, a.col FROM ("
        "SELECT DISTINCT p.provider_id, p.ldc_only, p.sids_only "
        f"FROM ({offered}) p WHERE {_worldwide_sql('p')}) w "
        f"INNER JOIN ({_every_column_sql('region')}) a ON {_allowed('w', 'a')} "
        f"UNION ALL SELECT DISTINCT p.provider_id, '' AS col FROM ({offered}) p) y "
        f"INNER JOIN {provider} pv ON pv.id = y.provider_id "
        "GROUP BY pv.stakeholder_group_id, y.col"
    )
    params = params * 4
    rows: dict[str, dict[str, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for group, column, count in cursor.fetchall():
            rows.setdefault(group, {})[column] = count
    groups = []
    for group in StakeholderGroup.objects.all():
        row = rows.get(group.pk, {})
        groups.append(
            ProviderGroup(
                group=Label(group.pk, group.name),
                total=row.get("", 0),
                regions={
                    region.code: row.get(region.code, 0) for region in top_regions
                },
            )
        )
    return ProviderTable(
        regions=tuple(Label(r.code, r.name) for r in top_regions), groups=groups
    )


# --- map ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MapTile:
    """A sub-region on the tile-grid map."""

    code: str
    label: str
    column: int
    row: int
    needs: int | None
    unmet: int | None


# A tile grid of the 17 M49 sub-regions placed roughly where they lie.
TILE_GRID = {
    "021": (0, 0),
    "154": (2, 0),
    "151": (3, 0),
    "143": (4, 0),
    "030": (5, 0),
    "155": (2, 1),
    "039": (3, 1),
    "145": (4, 1),
    "034": (5, 1),
    "035": (6, 1),
    "419": (0, 2),
    "015": (2, 2),
    "057": (6, 2),
    "202": (2, 3),
    "054": (5, 3),
    "053": (6, 3),
    "061": (7, 3),
}


@cached
def region_map(*, viewer: AnyUser, filters: StatsFilter) -> list[MapTile]:
    """Active and unmet needs per M49 sub-region, placed on a tile grid.

    Two queries: the grouped counts and the sub-regions.
    """
    suppress = not is_curator_scope(viewer)
    counted = {
        row["c"]: row
        for row in _needs(viewer, filters)
        .filter(status__in=ACTIVE_NEED_STATUSES)
        .values(c=F("member_state__country__subregion"))
        .annotate(needs=Count("pk"), unmet=Count("pk", filter=~Q(unmet_reason="")))
        .order_by()
    }
    tiles = []
    for region in Region.objects.filter(level=RegionLevel.SUBREGION).order_by("code"):
        column, row = TILE_GRID.get(region.code, (len(tiles) % 8, 4))
        found = counted.get(region.code, {})
        tiles.append(
            MapTile(
                code=region.code,
                label=region.name,
                column=column,
                row=row,
                needs=_shown(found.get("needs", 0), suppress),
                unmet=_shown(found.get("unmet", 0), suppress),
            )
        )
    return tiles
