"""The heat map: demand (needs) against supply (programmes on offer) per cell."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Q
from django.db.models import QuerySet
from django.utils import timezone

from matchmaking.enums import RegionLevel
from matchmaking.models import Programme
from matchmaking.models import Region
from matchmaking.models import Theme
from matchmaking.models import Topic
from matchmaking.stats.demand import need_counts
from matchmaking.stats.scope import DEFAULT_COLUMNS
from matchmaking.stats.scope import DEFAULT_ROWS
from matchmaking.stats.scope import AnyUser
from matchmaking.stats.scope import ColumnDimension
from matchmaking.stats.scope import Label
from matchmaking.stats.scope import RowDimension
from matchmaking.stats.scope import StatsFilter
from matchmaking.stats.scope import all_regions
from matchmaking.stats.scope import cached
from matchmaking.stats.scope import is_curator_scope
from matchmaking.stats.scope import offered_programmes
from matchmaking.stats.scope import shown_count
from matchmaking.stats.sql import allowed_sql
from matchmaking.stats.sql import compiled_sql
from matchmaking.stats.sql import every_column_sql
from matchmaking.stats.sql import open_columns_sql
from matchmaking.stats.sql import row_source
from matchmaking.stats.sql import table_name
from matchmaking.stats.sql import worldwide_sql


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
    rows: RowDimension = DEFAULT_ROWS,
    columns: ColumnDimension = DEFAULT_COLUMNS,
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
    demand, _groups = need_counts(viewer, filters, heat=(rows, columns))
    return heatmap_of(
        viewer, filters, rows, columns, demand=demand, regions=all_regions()
    )


def heatmap_of(
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
                needs=shown_count(needs, suppress),
                covered=shown_count(covered, suppress),
                unmet=shown_count(unmet, suppress),
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


def _running_programmes(filters: StatsFilter) -> QuerySet:
    """Programmes on offer in the period: published, public, not ended."""
    offers = Programme.objects.filter(offered_programmes())
    start = filters.start or (None if filters.end else timezone.localdate())
    if start:
        offers = offers.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=start))
    if end := filters.end_before():
        offers = offers.filter(Q(starts_on__isnull=True) | Q(starts_on__lt=end.date()))
    return offers.order_by().values("id", "provider_id", "ldc_only", "sids_only")


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
    offered, params = compiled_sql(_running_programmes(filters))
    source = row_source(rows, Programme.topics.through, "programme", distinct=False)
    theme, theme_params = "", ()
    if only_theme:
        theme, theme_params = "AND src.r = %s", (only_theme,)
    elif filters.theme:
        theme = (
            f'AND src.r IN (SELECT t."slug" FROM {table_name(Topic)} t '  # noqa: S608  # nosec B608
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
        f"INNER JOIN ({open_columns_sql(columns, offered)}) cov "
        f"ON cov.pid = src.oid WHERE 1 = 1 {theme} {shown}) d GROUP BY d.r, d.col"
    )
    worldwide = (
        "SELECT w.r, a.col, SUM(w.n) AS n FROM ("  # noqa: S608  # nosec B608
        "SELECT d.r, d.ldc_only, d.sids_only, COUNT(*) AS n FROM ("
        "SELECT DISTINCT src.r, p.ldc_only, p.sids_only, src.oid "
        f"FROM ({source}) src INNER JOIN ({offered}) p ON p.id = src.oid "
        f"WHERE {worldwide_sql('p')} {theme}) d "
        "GROUP BY d.r, d.ldc_only, d.sids_only) w "
        f"INNER JOIN ({every_column_sql(columns)}) a ON {allowed_sql('w', 'a')} "
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
