"""Who funds what, where: published programmes' money and numbers by funder,
region and theme, over time, beside the needs states have posted; and the
overlap warning between programmes of different funders.

Only public data: published programmes and public needs. A programme's money
(its budget lines' US-dollar equivalents, or its total budget's when it has
no lines) is split evenly over its funders, regions and themes, so every row
and column adds up to the programmes' money."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import connection
from django.db.models import Count
from django.db.models import Model
from django.db.models import Q
from django.db.models import QuerySet
from django.db.models import Sum

from matchmaking.coordination_cells import NOT_STATED
from matchmaking.coordination_cells import WORLD
from matchmaking.coordination_cells import top_regions
from matchmaking.enums import NeedStatus
from matchmaking.enums import OrganisationRole
from matchmaking.enums import ProgrammeStatus
from matchmaking.enums import Visibility
from matchmaking.models import CoordinationCell
from matchmaking.models import CoordinationShare
from matchmaking.models import CoordinationYear
from matchmaking.models import CoordinationYearTotal
from matchmaking.models import Country
from matchmaking.models import MemberState
from matchmaking.models import Need
from matchmaking.models import ParticipatingOrganisation
from matchmaking.models import Programme
from matchmaking.models import Region
from matchmaking.models import Topic
from matchmaking.models import period_overlaps
from matchmaking.names import name_key
from matchmaking.stats.scope import MIN_GROUP_SIZE

OPEN_NEED_STATUSES = (NeedStatus.OPEN, NeedStatus.IN_DISCUSSION, NeedStatus.IN_DELIVERY)


@dataclass
class Cell:
    programmes: float = 0.0  # a programme counts 1 in total, split like its money
    usd: Decimal = Decimal(0)


@dataclass
class Coordination:
    """The figures of the coordination view."""

    # (funder, region code, theme slug) -> cell
    cells: dict[tuple[str, str, str], Cell] = field(default_factory=dict)
    by_year: dict[int, Decimal] = field(default_factory=dict)
    # (region code, theme slug) -> open public needs (None: fewer than the minimum)
    needs: dict[tuple[str, str], int | None] = field(default_factory=dict)
    programme_count: int = 0
    total_usd: Decimal = Decimal(0)

    def by(self, axis: int) -> dict[str, Cell]:
        """Totals along one axis (0 funder, 1 region, 2 theme)."""
        totals: dict[str, Cell] = defaultdict(Cell)
        for key, cell in self.cells.items():
            total = totals[key[axis]]
            total.programmes += cell.programmes
            total.usd += cell.usd
        return dict(totals)


def _table(model: type[Model], m2m: str | None = None) -> str:
    """The quoted table of a model, or of one of its many-to-many fields."""
    if m2m is not None:
        model = model._meta.get_field(m2m).remote_field.through
    return connection.ops.quote_name(model._meta.db_table)


def _cells_and_years(
    since: date | None,
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The published programmes grouped by funder, top region, theme and the
    number of cells their programmes are split over (how many, their money in
    cents), and their budget lines by year (how many, cents): the sums kept on
    write (matchmaking.coordination_cells), or with ``since`` the kept cells and
    years of the programmes not ended before it, grouped here."""
    if since is None:
        cells = CoordinationCell.objects.filter(programmes__gt=0).values_list(
            "funder", "region", "theme", "split", "programmes", "cents"
        )
        years = CoordinationYearTotal.objects.filter(lines__gt=0).values_list(
            "year", "cents"
        )
        return list(cells), list(years)
    current = Q(ends_on__isnull=True) | Q(ends_on__gte=since)
    cells = (
        CoordinationShare.objects.filter(current)
        .order_by()
        .values("funder", "region", "theme", "split")
        .annotate(n=Count("*"), money=Sum("cents"))
        .values_list("funder", "region", "theme", "split", "n", "money")
    )
    years = (
        CoordinationYear.objects.filter(current)
        .order_by()
        .values("year")
        .annotate(n=Sum("lines"), money=Sum("cents"))
        .filter(n__gt=0)
        .values_list("year", "money")
    )
    return list(cells), list(years)


def coordination(*, since: date | None = None) -> Coordination:
    """The figures over every published programme (and open public needs):
    read from the cells kept on write, so only the groups reach Python."""
    rows, years = _cells_and_years(since)
    # Exact shares (fractions of a programme and of a cent), rounded once.
    cells: dict[tuple[str, str, str], list[Fraction]] = {}
    for funder, region, theme, split, count, cents in rows:
        cell = cells.setdefault((funder, region, theme), [Fraction(0), Fraction(0)])
        cell[0] += Fraction(int(count), int(split))
        cell[1] += Fraction(int(cents), int(split) * 100)
    result = Coordination()
    programmes, usd = Fraction(0), Fraction(0)
    for key in sorted(cells):
        share, money = cells[key]
        programmes += share
        usd += money
        result.cells[key] = Cell(programmes=float(share), usd=_decimal(money))
    result.programme_count = int(programmes)
    result.total_usd = _decimal(usd)
    result.by_year = {
        int(year): Decimal(int(cents)).scaleb(-2) for year, cents in sorted(years)
    }
    result.needs = _needs(top_regions())
    return result


def _decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def _needs(region_top: dict[str, str]) -> dict[tuple[str, str], int | None]:
    """Open public needs by top region and theme (a need counts once in each
    of its themes; none: "not stated"); groups under the minimum hidden.

    The database counts the needs by their country's region and theme; a
    need has one country, so the counts of the regions under one top region
    add up here (mapping each row to its top region in SQL, a CASE of some
    300 branches, cost more than the grouping)."""
    statuses = ", ".join("%s" for _ in OPEN_NEED_STATUSES)
    sql = f"""
    SELECT c.region_id, COALESCE(tp.theme_id, %s), COUNT(DISTINCT n.id)
    FROM {_table(Need)} n
    JOIN {_table(MemberState)} ms ON ms.id = n.member_state_id
    JOIN {_table(Country)} c ON c.iso3 = ms.country_id
    LEFT JOIN {_table(Need, "topics")} nt ON nt.need_id = n.id
    LEFT JOIN {_table(Topic)} tp ON tp.slug = nt.topic_id
    WHERE n.status IN ({statuses}) AND n.visibility = %s
    GROUP BY 1, 2
    """  # noqa: S608  # nosec B608 (table names from the models, values as parameters)
    params = [NOT_STATED, *OPEN_NEED_STATUSES, Visibility.PUBLIC]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for region, theme, count in rows:
        counts[(region_top.get(region, WORLD), theme)] += int(count)
    return {
        key: (count if count >= MIN_GROUP_SIZE else None)
        for key, count in sorted(counts.items())
    }


# --- the overlap warning --------------------------------------------------


@dataclass(frozen=True)
class Overlap:
    """Another funder's programme serving a same country and topic at the same time."""

    programme: Programme
    countries: tuple[str, ...]
    topics: tuple[str, ...]


def _funding_organisations(
    programme_ids: object, *fields: str
) -> QuerySet[ParticipatingOrganisation, tuple[Any, ...]]:
    """``(programme id, *fields)`` of the funding organisations of programmes."""
    return (
        ParticipatingOrganisation.objects.filter(
            programme_id__in=programme_ids, role=OrganisationRole.FUNDING
        )
        .order_by()
        .values_list("programme_id", *fields)
    )


def funder_keys(programme_ids: Iterable[int]) -> dict[int, frozenset[str]]:
    """Who funds each programme, comparable across records: its funding
    organisations (registered ones by id, others by name), else its provider."""
    ids = list(programme_ids)
    keys: dict[int, set[str]] = defaultdict(set)
    for pk, provider_id, name in _funding_organisations(ids, "provider_id", "name"):
        keys[pk].add(f"p{provider_id}" if provider_id else f"n{name_key(name)}")
    for pk, provider_id in Programme.objects.filter(pk__in=ids).values_list(
        "pk", "provider_id"
    ):
        if not keys.get(pk):
            keys[pk].add(f"p{provider_id}")
    return {pk: frozenset(v) for pk, v in keys.items()}


def _served_countries(programme: Programme) -> set[str]:
    """The countries a programme names, directly or through its regions."""
    countries = set(programme.eligible_countries.values_list("iso3", flat=True))
    codes = list(programme.eligible_regions.values_list("code", flat=True))
    if codes:
        countries |= set(
            Country.objects.filter(
                Q(region_id__in=codes)
                | Q(subregion_id__in=codes)
                | Q(intermediate_region_id__in=codes)
            ).values_list("iso3", flat=True)
        )
    return countries


def overlaps_for(programme: Programme) -> list[Overlap]:
    """Published programmes of other funders serving one of this programme's
    countries in one of its topics in an overlapping period (worldwide
    programmes name no country, so they overlap nothing)."""
    countries = _served_countries(programme)
    topics = set(programme.topics.values_list("slug", flat=True))
    if not countries or not topics:
        return []
    candidates = (
        Programme.objects.filter(status=ProgrammeStatus.PUBLISHED, topics__in=topics)
        .exclude(pk=programme.pk)
        .filter(
            Q(eligible_countries__in=countries)
            | Q(
                eligible_regions__in=Region.objects.filter(
                    Q(
                        code__in=Country.objects.filter(iso3__in=countries).values(
                            "region_id"
                        )
                    )
                    | Q(
                        code__in=Country.objects.filter(iso3__in=countries).values(
                            "subregion_id"
                        )
                    )
                    | Q(
                        code__in=Country.objects.filter(iso3__in=countries).values(
                            "intermediate_region_id"
                        )
                    )
                )
            )
        )
        .distinct()
        .select_related("provider")
        .order_by("title", "pk")
    )
    candidates = [
        other
        for other in candidates
        if period_overlaps(
            programme.starts_on, programme.ends_on, other.starts_on, other.ends_on
        )
    ]
    if not candidates:
        return []
    funders = funder_keys([programme.pk, *(c.pk for c in candidates)])
    mine = funders.get(programme.pk, frozenset())
    found = []
    for other in candidates:
        if funders.get(other.pk, frozenset()) & mine:
            continue  # a shared funder coordinates itself
        shared_countries = countries & _served_countries(other)
        shared_topics = topics & set(other.topics.values_list("slug", flat=True))
        if shared_countries and shared_topics:
            found.append(
                Overlap(
                    programme=other,
                    countries=tuple(sorted(shared_countries)),
                    topics=tuple(sorted(shared_topics)),
                )
            )
    return found
