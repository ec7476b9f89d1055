"""Every statistic of the gap dashboard, in fewer queries."""

from __future__ import annotations

from dataclasses import dataclass

from matchmaking.stats.coverage import GroupCoverage
from matchmaking.stats.coverage import MapTile
from matchmaking.stats.coverage import coverage_of
from matchmaking.stats.coverage import tiles_of
from matchmaking.stats.demand import need_counts
from matchmaking.stats.heatmap import Heatmap
from matchmaking.stats.heatmap import heatmap_of
from matchmaking.stats.providers import ProviderTable
from matchmaking.stats.providers import providers_of
from matchmaking.stats.scope import DEFAULT_COLUMNS
from matchmaking.stats.scope import DEFAULT_ROWS
from matchmaking.stats.scope import AnyUser
from matchmaking.stats.scope import ColumnDimension
from matchmaking.stats.scope import RowDimension
from matchmaking.stats.scope import StatsFilter
from matchmaking.stats.scope import all_regions
from matchmaking.stats.scope import cached
from matchmaking.stats.timeline import Month
from matchmaking.stats.timeline import timeline_of
from matchmaking.stats.unmet import UNMET_LIMIT
from matchmaking.stats.unmet import UnmetNeeds
from matchmaking.stats.unmet import unmet_items
from matchmaking.stats.unmet import unmet_of


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
    rows: RowDimension = DEFAULT_ROWS,
    columns: ColumnDimension = DEFAULT_COLUMNS,
) -> Dashboard:
    """Every statistic as the functions above give it, in fewer queries.

    The needs are read once for the heat map's demand, the coverage, the map
    and the unmet counts (the same counts, added up from one grouped query),
    and the regions once for every chart. Nine queries: need counts, regions,
    supply and row labels (heat map), unmet needs listed, two for the
    timeline, and two for the providers.
    """
    regions = all_regions()
    demand, groups = need_counts(viewer, filters, heat=(rows, columns), groups=True)
    return Dashboard(
        heatmap=heatmap_of(
            viewer, filters, rows, columns, demand=demand, regions=regions
        ),
        coverage=coverage_of(viewer, groups),
        unmet=unmet_of(viewer, groups, unmet_items(viewer, filters, UNMET_LIMIT)),
        timeline=timeline_of(viewer, filters),
        providers=providers_of(filters, regions),
        tiles=tiles_of(viewer, groups, regions),
    )
