"""Needs by kind of country (LDC, LLDC, SIDS, other) and by sub-region (the map)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from matchmaking.enums import RegionLevel
from matchmaking.models import Region
from matchmaking.stats.demand import NeedGroup
from matchmaking.stats.demand import need_counts
from matchmaking.stats.scope import AnyUser
from matchmaking.stats.scope import StatsFilter
from matchmaking.stats.scope import all_regions
from matchmaking.stats.scope import cached
from matchmaking.stats.scope import is_curator_scope
from matchmaking.stats.scope import shown_count

COUNTRY_GROUPS = ("ldc", "lldc", "sids", "other")
# Whether a group of needs (of one kind of country) is in a country group.
_IN_GROUP: dict[str, Callable[[NeedGroup], bool]] = {
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
    _cells, groups = need_counts(viewer, filters, groups=True)
    return coverage_of(viewer, groups)


def coverage_of(viewer: AnyUser, groups: list[NeedGroup]) -> list[GroupCoverage]:
    suppress = not is_curator_scope(viewer)
    result = []
    for name in COUNTRY_GROUPS:
        members = [g for g in groups if _IN_GROUP[name](g)]
        result.append(
            GroupCoverage(
                group=name,
                needs=shown_count(sum(g.needs for g in members), suppress),
                covered=shown_count(sum(g.covered for g in members), suppress),
                unmet=shown_count(sum(g.unmet for g in members), suppress),
            )
        )
    return result


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
    _cells, groups = need_counts(viewer, filters, groups=True, live=False)
    return tiles_of(viewer, groups, all_regions())


def tiles_of(
    viewer: AnyUser, groups: list[NeedGroup], regions: list[Region]
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
                needs=shown_count(needs, suppress),
                unmet=shown_count(unmet, suppress),
            )
        )
    return tiles
