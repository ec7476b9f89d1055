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
from django.db.models import Model
from django.db.models import Q
from django.db.models import QuerySet
from django.db.models import Sum

from matchmaking.enums import NeedStatus
from matchmaking.enums import OrganisationRole
from matchmaking.enums import ProgrammeStatus
from matchmaking.enums import Visibility
from matchmaking.models import BudgetLine
from matchmaking.models import Country
from matchmaking.models import MemberState
from matchmaking.models import Need
from matchmaking.models import ParticipatingOrganisation
from matchmaking.models import Programme
from matchmaking.models import ProgrammeFunding
from matchmaking.models import Provider
from matchmaking.models import Region
from matchmaking.models import Topic
from matchmaking.models import period_overlaps
from matchmaking.names import name_key
from matchmaking.stats.scope import MIN_GROUP_SIZE

WORLD = "001"
NOT_STATED = ""
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


def _top_regions() -> dict[str, str]:
    """M49 region code -> its top-level region (the world stays the world)."""
    parents = dict(Region.objects.values_list("code", "parent_id"))

    def top(code: str) -> str:
        seen = 0
        while parents.get(code) and parents[code] != WORLD and seen < 5:
            code = parents[code]
            seen += 1
        return code

    return {code: top(code) for code in parents}


def _top_region_sql(column: str, region_top: dict[str, str]) -> tuple[str, list[str]]:
    """SQL for the top region of a column of region codes (the world where the
    column is empty or names no region)."""
    whens = "".join(" WHEN %s THEN %s" for _ in region_top)
    params = [value for pair in sorted(region_top.items()) for value in pair]
    return f"CASE {column}{whens} ELSE %s END", [*params, WORLD]


def _table(model: type[Model], m2m: str | None = None) -> str:
    """The quoted table of a model, or of one of its many-to-many fields."""
    if m2m is not None:
        model = model._meta.get_field(m2m).remote_field.through
    return connection.ops.quote_name(model._meta.db_table)


def _cells_query(
    region_top: dict[str, str], since: date | None
) -> tuple[str, list[object]]:
    """Published programmes and their money in cents, grouped by funder, top
    region, theme and the number of cells their programmes are split over.

    A programme's cells are its distinct funders x top regions x themes (a
    missing axis is one "not stated" / worldwide cell): one joined row each,
    so a group's row count is how many programmes share those cells with that
    split, and its money is theirs, unsplit. The CTEs read whole tables once
    (hashed on PostgreSQL, indexed automatically on SQLite) and only the
    published programmes' rows are joined. Money is summed in whole cents,
    exact on SQLite too (which stores decimals as floating point)."""
    # Only quoted table names and generated placeholders are formatted into
    # this SQL (here and below); every value is a parameter.
    published = f"SELECT id FROM {_table(Programme)} WHERE status = %s"  # noqa: S608  # nosec B608
    params: list[object] = [ProgrammeStatus.PUBLISHED]
    if since:
        published += " AND (ends_on IS NULL OR ends_on >= %s)"
        params.append(since)
    params.append(OrganisationRole.FUNDING)
    # Every listed region is in the table; a country without one is worldwide.
    regions_sql, regions_params = _top_region_sql("er.region_id", region_top)
    countries_sql, countries_params = _top_region_sql("c.region_id", region_top)
    params += [*regions_params, *countries_params, NOT_STATED, WORLD, NOT_STATED]
    sql = f"""
    WITH pub AS ({published}),
    fund AS (
        SELECT DISTINCT po.programme_id AS pid,
            COALESCE(NULLIF(pr.name, ''), po.name) AS funder
        FROM {_table(ParticipatingOrganisation)} po
        LEFT JOIN {_table(Provider)} pr ON pr.id = po.provider_id
        WHERE po.role = %s
    ),
    fund_n AS (SELECT pid, COUNT(*) AS n FROM fund GROUP BY pid),
    reg AS (
        SELECT er.programme_id AS pid, {regions_sql} AS region
        FROM {_table(Programme, "eligible_regions")} er
        UNION
        SELECT ec.programme_id AS pid, {countries_sql} AS region
        FROM {_table(Programme, "eligible_countries")} ec
        JOIN {_table(Country)} c ON c.iso3 = ec.country_id
    ),
    reg_n AS (SELECT pid, COUNT(*) AS n FROM reg GROUP BY pid),
    thm AS (
        SELECT DISTINCT pt.programme_id AS pid, t.theme_id AS theme
        FROM {_table(Programme, "topics")} pt
        JOIN {_table(Topic)} t ON t.slug = pt.topic_id
    ),
    thm_n AS (SELECT pid, COUNT(*) AS n FROM thm GROUP BY pid),
    lines AS (
        SELECT programme_id AS pid,
            COALESCE(SUM(ROUND(amount_usd * 100)), 0) AS cents
        FROM {_table(BudgetLine)}
        GROUP BY programme_id
    )
    SELECT COALESCE(f.funder, %s), COALESCE(r.region, %s), COALESCE(t.theme, %s),
        COALESCE(fn.n, 1) * COALESCE(rn.n, 1) * COALESCE(tn.n, 1),
        COUNT(*),
        SUM(COALESCE(l.cents, ROUND(pf.total_budget_usd * 100), 0))
    FROM pub p
    LEFT JOIN fund_n fn ON fn.pid = p.id
    LEFT JOIN reg_n rn ON rn.pid = p.id
    LEFT JOIN thm_n tn ON tn.pid = p.id
    LEFT JOIN lines l ON l.pid = p.id
    LEFT JOIN {_table(ProgrammeFunding)} pf ON pf.programme_id = p.id
    LEFT JOIN fund f ON f.pid = p.id
    LEFT JOIN reg r ON r.pid = p.id
    LEFT JOIN thm t ON t.pid = p.id
    GROUP BY 1, 2, 3, 4
    """  # noqa: S608  # nosec B608 (table names from the models, values as parameters)
    return sql, params


def coordination(*, since: date | None = None) -> Coordination:
    """The figures over every published programme (and open public needs):
    grouped and summed in the database, so only the groups reach Python."""
    region_top = _top_regions()
    sql, params = _cells_query(region_top, since)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
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
    ids = Programme.objects.filter(status=ProgrammeStatus.PUBLISHED)
    if since:
        ids = ids.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=since))
    # Grouped by day, added up by year here: the database's year extraction
    # is a Python function per row on SQLite (0.5 s at 30,000 lines).
    by_year: dict[int, Decimal] = defaultdict(Decimal)
    for day, amount in (
        BudgetLine.objects.filter(programme_id__in=ids.values("pk"))
        .order_by()
        .values("period_start")
        .annotate(usd=Sum("amount_usd"))
        .values_list("period_start", "usd")
    ):
        by_year[day.year] += amount or Decimal(0)
    result.by_year = dict(sorted(by_year.items()))
    result.needs = _needs(region_top)
    return result


def _decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def _needs(region_top: dict[str, str]) -> dict[tuple[str, str], int | None]:
    """Open public needs by top region and theme (a need counts once in each
    of its themes; none: "not stated"); groups under the minimum hidden."""
    region_sql, region_params = _top_region_sql("c.region_id", region_top)
    statuses = ", ".join("%s" for _ in OPEN_NEED_STATUSES)
    sql = f"""
    SELECT region, theme, COUNT(*) FROM (
        SELECT DISTINCT n.id, {region_sql} AS region, COALESCE(tp.theme_id, %s) AS theme
        FROM {_table(Need)} n
        JOIN {_table(MemberState)} ms ON ms.id = n.member_state_id
        JOIN {_table(Country)} c ON c.iso3 = ms.country_id
        LEFT JOIN {_table(Need, "topics")} nt ON nt.need_id = n.id
        LEFT JOIN {_table(Topic)} tp ON tp.slug = nt.topic_id
        WHERE n.status IN ({statuses}) AND n.visibility = %s
    ) need_themes
    GROUP BY region, theme
    """  # noqa: S608  # nosec B608 (table names from the models, values as parameters)
    params = [*region_params, NOT_STATED, *OPEN_NEED_STATUSES, Visibility.PUBLIC]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        counts = cursor.fetchall()
    return {
        (region, theme): (int(count) if count >= MIN_GROUP_SIZE else None)
        for region, theme, count in counts
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
