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
indexes. The dashboard page takes every statistic from ``dashboard``: the
same figures from the same helpers, with the needs read once for the heat
map, the coverage, the map and the unmet counts, and the regions once.

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
from django.utils.translation import gettext as _

from matchmaking import selectors
from matchmaking.enums import (
    ACTIVE_NEED_STATUSES,
    MatchStatus,
    NeedStatus,
    ProgrammeStatus,
    RegionLevel,
)
from matchmaking.models import (
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


# --- gaps by one dimension -----------------------------------------------------

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
                open_needs=_shown(row["open_needs"], suppress),
                matching_programmes=_shown(
                    programme_counts.get(row["key"], 0), suppress
                ),
                unmet_needs=_shown(row["unmet_needs"], suppress),
            )
            for row in rows
        ],
        suppressed=suppress,
    )


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


def _regions() -> list[Region]:
    """Every M49 grouping (a few dozen rows), by code."""
    return list(Region.objects.order_by("code"))


def _column_labels(
    columns: ColumnDimension, filters: StatsFilter, regions: list[Region]
) -> tuple[Label, ...]:
    """The columns that can hold needs of the chosen grouping (all without one)."""
    level = RegionLevel.REGION if columns == "region" else RegionLevel.SUBREGION
    parent = {r.code: r.parent_id for r in regions}
    chosen = filters.region

    def holds(region: Region) -> bool:
        # The grouping itself, or one or two levels above or below it.
        above = (chosen, parent.get(chosen), parent.get(parent.get(chosen)))
        up = parent.get(region.code)
        return region.code in above or chosen in (up, parent.get(up))

    return tuple(
        Label(r.code, r.name)
        for r in regions
        if r.level == level and (not chosen or holds(r))
    )


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
    demand, _groups = _need_counts(viewer, filters, heat=(rows, columns))
    return _heatmap_of(
        viewer, filters, rows, columns, demand=demand, regions=_regions()
    )


def _heatmap_of(
    viewer: AnyUser,
    filters: StatsFilter,
    rows: RowDimension,
    columns: ColumnDimension,
    *,
    demand: dict[tuple[str, str], tuple[int, int, int]],
    regions: list[Region],
) -> Heatmap:
    """The heat map from its demand: adds the supply and the labels (2 queries)."""
    suppress = not is_curator_scope(viewer)
    only_theme = filters.theme if rows == "theme" else None
    row_labels = _row_labels(rows, filters)
    column_labels = _column_labels(columns, filters, regions)
    # With a region chosen, only the few columns around it are shown.
    shown = tuple(c.key for c in column_labels) if filters.region else None
    offered: dict[tuple[str, str], int] = {}
    for r, c, n in _supply_rows(filters, rows, columns, only_theme, shown):
        # Two parts (restricted and worldwide programmes) add up: disjoint sets.
        offered[(r, c)] = offered.get((r, c), 0) + int(n)
    cells: dict[str, dict[str, Cell]] = {}
    for row in row_labels:
        cells[row.key] = {}
        for column in column_labels:
            needs, covered, unmet = demand.get((row.key, column.key), (0, 0, 0))
            cells[row.key][column.key] = Cell(
                needs=_shown(needs, suppress),
                covered=_shown(covered, suppress),
                unmet=_shown(unmet, suppress),
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


def _materialized() -> str:
    """Keeps PostgreSQL from folding a CTE into the query that reads it."""
    return "MATERIALIZED " if connection.vendor == "postgresql" else ""


def _fenced(sql: str) -> str:
    """A subquery PostgreSQL plans apart (OFFSET 0), with no parallel workers."""
    return f"{sql} OFFSET 0" if connection.vendor == "postgresql" else sql


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


@dataclass(frozen=True)
class _NeedGroup:
    """Active needs of one sub-region, kind of country and visibility."""

    subregion: str | None
    ldc: bool
    lldc: bool
    sids: bool
    public: bool
    needs: int
    covered: int  # with a live match (0 when not asked for)
    unmet: int


def _need_counts(
    viewer: AnyUser,
    filters: StatsFilter,
    *,
    heat: tuple[RowDimension, ColumnDimension] | None = None,
    groups: bool = False,
    live: bool = True,
) -> tuple[dict[tuple[str, str], tuple[int, int, int]], list[_NeedGroup]]:
    """The viewer's active needs counted per heat map cell and per group, in one query.

    Each need's facts (its column, sub-region and kind of country, public or
    not, a live match, unmet) are worked out once, then counted per cell (a
    need spread over its rows: once per cell, with no COUNT(DISTINCT) over a
    join) for ``heat`` = (rows, columns), and per ``_NeedGroup`` if
    ``groups``, from which coverage, the map and the unmet counts add up.
    ``live=False`` skips the matches (``covered`` is then 0).
    """
    one, zero = Value(1), Value(0)
    facts: dict[str, F | Case | Value] = {"nid": F("pk")}
    if heat:
        facts["c"] = F(_COLUMN_PATH[heat[1]])
    if groups:
        country = "member_state__country__"
        facts |= {
            "sub": F(f"{country}subregion"),
            "ldc": F(f"{country}is_ldc"),
            "lldc": F(f"{country}is_lldc"),
            "sids": F(f"{country}is_sids"),
            "pub": Case(When(_need_scope(AnonymousUser()), then=one), default=zero),
        }
    facts["live"] = Case(When(_live_match(), then=one), default=zero) if live else zero
    facts["unmet"] = Case(When(~Q(unmet_reason=""), then=one), default=zero)
    need_sql, params = _sql(
        _needs(viewer, filters).filter(status__in=ACTIVE_NEED_STATUSES).values(**facts)
    )
    # Read twice (cells and groups): worked out once, as a CTE (which
    # PostgreSQL materialises when it is read more than once). Read once: a
    # fenced subquery all the same, lest a theme filter pushed into it turn
    # the plan into a loop over every need and topic.
    both = heat is not None and groups
    needs = "needs" if both else f"({_fenced(need_sql)})"
    parts = []
    if heat:
        # From the needs to their topics (themes: one row per need and theme).
        topics = _table(Need.topics.through)
        if heat[0] == "topic":
            pairs = (
                f'SELECT n.*, x."topic_id" AS r FROM {needs} n '  # noqa: S608  # nosec B608
                f'INNER JOIN {topics} x ON x."need_id" = n.nid'
            )
        else:
            pairs = (
                "SELECT DISTINCT n.nid, n.c, n.live, n.unmet, "  # noqa: S608  # nosec B608
                f't."theme_id" AS r FROM {needs} n INNER JOIN {topics} x '
                f'ON x."need_id" = n.nid INNER JOIN {_table(Topic)} t '
                'ON t."slug" = x."topic_id"'
            )
        where = ""
        if heat[0] == "theme" and filters.theme:
            where, params = "WHERE p.r = %s", (*params, filters.theme)
        parts.append(
            "SELECT 'cell', p.r, p.c, NULL, NULL, NULL, NULL, "  # noqa: S608  # nosec B608
            f"COUNT(*), SUM(p.live), SUM(p.unmet) FROM ({pairs}) p {where} "
            "GROUP BY p.r, p.c"
        )
    if groups:
        parts.append(
            "SELECT 'group', n.sub, NULL, n.ldc, n.lldc, n.sids, n.pub, "  # noqa: S608  # nosec B608
            f"COUNT(*), SUM(n.live), SUM(n.unmet) FROM {needs} n "
            "GROUP BY n.sub, n.ldc, n.lldc, n.sids, n.pub"
        )
    sql = " UNION ALL ".join(parts)
    if both:
        sql = f"WITH needs AS ({need_sql}) {sql}"
    demand: dict[tuple[str, str], tuple[int, int, int]] = {}
    found: list[_NeedGroup] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for kind, a, b, ldc, lldc, sids, pub, n, covered, unmet in cursor.fetchall():
            if kind == "cell":
                demand[(a, b)] = (int(n), int(covered), int(unmet))
            else:
                found.append(
                    _NeedGroup(
                        subregion=a,
                        ldc=bool(ldc),
                        lldc=bool(lldc),
                        sids=bool(sids),
                        public=bool(pub),
                        needs=int(n),
                        covered=int(covered),
                        unmet=int(unmet),
                    )
                )
    return demand, found


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
    shown_columns: tuple[str, ...] | None = None,
) -> list[tuple]:
    """(row, column, programmes) of programmes on offer, in two disjoint parts.

    Programmes with an eligibility list: one row per programme and column it
    reaches, counted per cell. Programmes open to everyone: counted per row
    and flags first (a handful of rows), then given to every column holding
    a country their flags let in. Only the cells the heat map shows: the
    theme's topics when a theme is chosen, and ``shown_columns`` if given.
    """
    offered, params = _sql(_running_programmes(filters))
    source = _row_source(rows, Programme.topics.through, "programme", distinct=False)
    theme, theme_params = "", ()
    if only_theme:
        theme, theme_params = "AND src.r = %s", (only_theme,)
    elif filters.theme:
        theme = (
            f'AND src.r IN (SELECT t."slug" FROM {_table(Topic)} t '  # noqa: S608  # nosec B608
            'WHERE t."theme_id" = %s)'
        )
        theme_params = (filters.theme,)
    shown, shown_params = "", ()
    if shown_columns is not None:
        marks = ", ".join(["%s"] * len(shown_columns)) or "NULL"
        shown, shown_params = f"AND cov.col IN ({marks})", shown_columns
    # Distinct triples first, then plain counts: both hashed, where a
    # COUNT(DISTINCT) would sort its rows on text keys.
    restricted = (
        "SELECT d.r, d.col, COUNT(*) AS n FROM ("  # noqa: S608  # nosec B608
        f"SELECT DISTINCT src.r, cov.col, src.oid FROM ({source}) src "
        f"INNER JOIN ({_open_columns_sql(columns, offered)}) cov "
        f"ON cov.pid = src.oid WHERE 1 = 1 {theme} {shown}) d GROUP BY d.r, d.col"
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
    with connection.cursor() as cursor:
        cursor.execute(
            f"{restricted} UNION ALL {worldwide}",
            (
                *params,
                *params,
                *theme_params,
                *shown_params,
                *params,
                *theme_params,
            ),
        )
        return cursor.fetchall()


# --- LDC / LLDC / SIDS coverage ---------------------------------------------------

COUNTRY_GROUPS = ("ldc", "lldc", "sids", "other")
# Whether a group of needs (of one kind of country) is in a country group.
_IN_GROUP: dict[str, Callable[[_NeedGroup], bool]] = {
    "ldc": lambda g: g.ldc,
    "lldc": lambda g: g.lldc,
    "sids": lambda g: g.sids,
    "other": lambda g: not (g.ldc or g.lldc or g.sids),
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
    _cells, groups = _need_counts(viewer, filters, groups=True)
    return _coverage_of(viewer, groups)


def _coverage_of(viewer: AnyUser, groups: list[_NeedGroup]) -> list[GroupCoverage]:
    suppress = not is_curator_scope(viewer)
    result = []
    for name in COUNTRY_GROUPS:
        members = [g for g in groups if _IN_GROUP[name](g)]
        result.append(
            GroupCoverage(
                group=name,
                needs=_shown(sum(g.needs for g in members), suppress),
                covered=_shown(sum(g.covered for g in members), suppress),
                unmet=_shown(sum(g.unmet for g in members), suppress),
            )
        )
    return result


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
    counts = _unmet(viewer, filters).aggregate(
        public=Count("pk", filter=_need_scope(AnonymousUser())),
        other=Count("pk", filter=~_need_scope(AnonymousUser())),
    )
    return UnmetNeeds(
        items=_unmet_items(viewer, filters, limit),
        total=counts["public"],
        not_public=counts["other"] if is_curator_scope(viewer) else None,
    )


def _unmet(viewer: AnyUser, filters: StatsFilter) -> QuerySet:
    return (
        _needs(viewer, filters)
        .filter(status__in=ACTIVE_NEED_STATUSES)
        .exclude(unmet_reason="")
    )


def _unmet_items(
    viewer: AnyUser, filters: StatsFilter, limit: int | None
) -> list[UnmetNeed]:
    """The public unmet needs, oldest first (one query)."""
    listed = _unmet(viewer, filters).filter(_need_scope(AnonymousUser()))
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


def _unmet_of(
    viewer: AnyUser, groups: list[_NeedGroup], items: list[UnmetNeed]
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


def _month(value: datetime | date | str) -> date:
    if isinstance(value, str):
        # A month from raw SQL on SQLite: "2026-01-01 00:00:00".
        value = date.fromisoformat(value[:10])
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
    return _timeline(viewer, filters)


def _timeline(viewer: AnyUser, filters: StatsFilter) -> list[Month]:
    suppress = not is_curator_scope(viewer)
    needs = _needs(viewer, filters, period=False)
    opened = (
        needs.filter(_period_q("created_at", filters))
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    # Distinct (month, milestone, need) first, then plain counts: hashed,
    # where a COUNT(DISTINCT) would sort the history. The needs in scope are
    # a fenced subquery: PostgreSQL then hashes the history against the
    # matches in one pass (or probes them for a narrow filter) rather than
    # looping over every need in scope with parallel workers.
    reached, params = _sql(
        MatchEvent.objects.filter(to_status__in=list(TIMELINE_EVENTS.values()))
        .filter(_period_q("at", filters))
        .values(month=TruncMonth("at"), reached=F("to_status"), nid=F("match__need"))
        .order_by()
    )
    scope, scope_params = _sql(needs.values("pk"))
    series: dict[str, dict[date, int]] = {name: {} for name in TIMELINE_SERIES}
    for row in opened:
        series["opened"][_month(row["month"])] = row["n"]
    by_status = {status: name for name, status in TIMELINE_EVENTS.items()}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT d.month, d.reached, COUNT(*) FROM (SELECT DISTINCT e.month, "  # noqa: S608  # nosec B608
            f"e.reached, e.nid FROM ({reached}) e "
            f"WHERE e.nid IN ({_fenced(scope)})) d GROUP BY d.month, d.reached",
            (*params, *scope_params),
        )
        for month, status, n in cursor.fetchall():
            series[by_status[status]][_month(month)] = n
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
    programmes running in it. Three queries: the regions, the grouped counts
    and the stakeholder groups.
    """
    return _providers_of(filters, _regions())


def _providers_of(filters: StatsFilter, regions: list[Region]) -> ProviderTable:
    """The providers table (two queries), given every region."""
    parent = {r.code: r.parent_id for r in regions}
    top_regions = [r for r in regions if r.level == RegionLevel.REGION]
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
        inside = {r.code for r in regions if r.parent_id == filters.region}
        inside |= {r.code for r in regions if r.parent_id in inside}
        offers = offers.filter(_serves_q(around | inside, filters.region))
    # Distinct providers per group and region their programmes reach (by the
    # geography of the heat map's supply side), and per group in total ('').
    offered, params = _sql(
        offers.order_by().values("id", "provider_id", "ldc_only", "sids_only")
    )
    provider = _table(Provider)
    # The programmes are read four times below: worked out once (with a
    # theme or region filter, the costly part).
    programmes = f"WITH offered AS {_materialized()}({offered}) "
    offered = "SELECT * FROM offered"
    # Distinct (provider, region) pairs first: by eligibility list, and for
    # providers with a programme open to everyone, by the flags of those.
    sql = (
        f"{programmes}SELECT pv.stakeholder_group_id, y.col, COUNT(*) FROM ("  # noqa: S608  # nosec B608
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
    _cells, groups = _need_counts(viewer, filters, groups=True, live=False)
    return _tiles_of(viewer, groups, _regions())


def _tiles_of(
    viewer: AnyUser, groups: list[_NeedGroup], regions: list[Region]
) -> list[MapTile]:
    suppress = not is_curator_scope(viewer)
    counted: dict[str | None, tuple[int, int]] = {}
    for g in groups:
        needs, unmet = counted.get(g.subregion, (0, 0))
        counted[g.subregion] = (needs + g.needs, unmet + g.unmet)
    tiles = []
    for region in regions:
        if region.level != RegionLevel.SUBREGION:
            continue
        column, row = TILE_GRID.get(region.code, (len(tiles) % 8, 4))
        needs, unmet = counted.get(region.code, (0, 0))
        tiles.append(
            MapTile(
                code=region.code,
                label=region.name,
                column=column,
                row=row,
                needs=_shown(needs, suppress),
                unmet=_shown(unmet, suppress),
            )
        )
    return tiles


# --- the whole dashboard -------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    """Every statistic of the gap dashboard."""

    heatmap: Heatmap
    coverage: list[GroupCoverage]
    unmet: UnmetNeeds
    timeline: list[Month]
    providers: ProviderTable
    tiles: list[MapTile]


@cached
def dashboard(
    *,
    viewer: AnyUser,
    filters: StatsFilter,
    rows: RowDimension = "theme",
    columns: ColumnDimension = "region",
) -> Dashboard:
    """Every statistic as the functions above give it, in fewer queries.

    The needs are read once for the heat map's demand, the coverage, the map
    and the unmet counts (the same counts, added up from one grouped query),
    and the regions once for every chart. Nine queries: need counts, regions,
    supply and row labels (heat map), unmet needs listed, two for the
    timeline, and two for the providers.
    """
    regions = _regions()
    demand, groups = _need_counts(viewer, filters, heat=(rows, columns), groups=True)
    return Dashboard(
        heatmap=_heatmap_of(
            viewer, filters, rows, columns, demand=demand, regions=regions
        ),
        coverage=_coverage_of(viewer, groups),
        unmet=_unmet_of(viewer, groups, _unmet_items(viewer, filters, UNMET_LIMIT)),
        timeline=_timeline(viewer, filters),
        providers=_providers_of(filters, regions),
        tiles=_tiles_of(viewer, groups, regions),
    )
