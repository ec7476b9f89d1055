"""Providers by stakeholder group and region served."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field

from django.db import connection
from django.db.models import Q

from matchmaking.enums import RegionLevel
from matchmaking.models import Programme
from matchmaking.models import Provider
from matchmaking.models import Region
from matchmaking.models import StakeholderGroup
from matchmaking.stats.scope import AnyUser
from matchmaking.stats.scope import Label
from matchmaking.stats.scope import StatsFilter
from matchmaking.stats.scope import all_regions
from matchmaking.stats.scope import cached
from matchmaking.stats.scope import offered_programmes
from matchmaking.stats.scope import region_q
from matchmaking.stats.sql import allowed_sql
from matchmaking.stats.sql import compiled_sql
from matchmaking.stats.sql import every_column_sql
from matchmaking.stats.sql import materialized
from matchmaking.stats.sql import open_columns_sql
from matchmaking.stats.sql import table_name
from matchmaking.stats.sql import worldwide_sql


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
        | Q(pk__in=countries.filter(region_q("country__", country_region)))
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
    return providers_of(filters, all_regions())


def providers_of(filters: StatsFilter, regions: list[Region]) -> ProviderTable:
    """The providers table (two queries), given every region."""
    parent = {r.code: r.parent_id for r in regions}
    top_regions = [r for r in regions if r.level == RegionLevel.REGION]
    offers = Programme.objects.filter(offered_programmes())
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
    offered, params = compiled_sql(
        offers.order_by().values("id", "provider_id", "ldc_only", "sids_only")
    )
    provider = table_name(Provider)
    # The programmes are read four times below: worked out once (with a
    # theme or region filter, the costly part).
    programmes = f"WITH offered AS {materialized()}({offered}) "
    offered = "SELECT * FROM offered"
    # Distinct (provider, region) pairs first: by eligibility list, and for
    # providers with a programme open to everyone, by the flags of those.
    sql = (
        f"{programmes}SELECT pv.stakeholder_group_id, y.col, COUNT(*) FROM ("  # noqa: S608  # nosec B608
        f"SELECT x.provider AS provider_id, x.col "
        f"FROM ({open_columns_sql('region', offered)}) x "
        "UNION SELECT w.provider_id, a.col FROM ("
        "SELECT DISTINCT p.provider_id, p.ldc_only, p.sids_only "
        f"FROM ({offered}) p WHERE {worldwide_sql('p')}) w "
        f"INNER JOIN ({every_column_sql('region')}) a ON {allowed_sql('w', 'a')} "
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
