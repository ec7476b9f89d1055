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
from typing import Any

from django.db.models import Q
from django.db.models import QuerySet
from django.db.models import Sum

from matchmaking.enums import NeedStatus
from matchmaking.enums import OrganisationRole
from matchmaking.enums import ProgrammeStatus
from matchmaking.enums import Visibility
from matchmaking.models import BudgetLine
from matchmaking.models import Country
from matchmaking.models import Need
from matchmaking.models import ParticipatingOrganisation
from matchmaking.models import Programme
from matchmaking.models import ProgrammeFunding
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


def _top_regions() -> tuple[dict[str, str], dict[str, str]]:
    """M49 region code -> its top-level region; country iso3 -> top region."""
    parents = dict(Region.objects.values_list("code", "parent_id"))

    def top(code: str) -> str:
        seen = 0
        while parents.get(code) and parents[code] != WORLD and seen < 5:
            code = parents[code]
            seen += 1
        return code

    regions = {code: top(code) for code in parents}
    countries = {
        iso3: regions.get(region or "", WORLD)
        for iso3, region in Country.objects.values_list("iso3", "region_id")
    }
    return regions, countries


def _through_pairs(field_name: str, programme_ids: object) -> list[tuple[int, str]]:
    through = Programme._meta.get_field(field_name).remote_field.through
    target = f"{Programme._meta.get_field(field_name).m2m_reverse_field_name()}_id"
    return list(
        through.objects.filter(programme_id__in=programme_ids)
        .order_by()
        .values_list("programme_id", target)
    )


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


def _funders(programme_ids: object) -> dict[int, set[str]]:
    """Funder names by programme (funding organisations; none: not stated)."""
    found: dict[int, set[str]] = defaultdict(set)
    for pk, provider_name, name in _funding_organisations(
        programme_ids, "provider__name", "name"
    ):
        found[pk].add(provider_name or name)
    return found


def coordination(*, since: date | None = None) -> Coordination:
    """The figures over every published programme (and open public needs)."""
    programmes = Programme.objects.filter(status=ProgrammeStatus.PUBLISHED)
    if since:
        programmes = programmes.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=since))
    ids = programmes.values("pk")
    money: dict[int, Decimal] = {
        pk: usd or Decimal(0)
        for pk, usd in BudgetLine.objects.filter(programme_id__in=ids)
        .order_by()
        .values("programme_id")
        .annotate(usd=Sum("amount_usd"))
        .values_list("programme_id", "usd")
    }
    for pk, usd in ProgrammeFunding.objects.filter(
        programme_id__in=ids, total_budget_usd__isnull=False
    ).values_list("programme_id", "total_budget_usd"):
        money.setdefault(pk, usd)
    region_top, country_region = _top_regions()
    regions: dict[int, set[str]] = defaultdict(set)
    for pk, code in _through_pairs("eligible_regions", ids):
        regions[pk].add(region_top.get(code, code))
    for pk, iso3 in _through_pairs("eligible_countries", ids):
        regions[pk].add(country_region.get(iso3, WORLD))
    theme_of = dict(Topic.objects.values_list("slug", "theme_id"))
    themes: dict[int, set[str]] = defaultdict(set)
    for pk, slug in _through_pairs("topics", ids):
        themes[pk].add(theme_of[slug])
    funders = _funders(ids)
    result = Coordination()
    for pk in programmes.values_list("pk", flat=True).order_by():
        result.programme_count += 1
        usd = money.get(pk, Decimal(0))
        result.total_usd += usd
        keys = [
            (f, r, t)
            for f in sorted(funders.get(pk) or {NOT_STATED})
            for r in sorted(regions.get(pk) or {WORLD})
            for t in sorted(themes.get(pk) or {NOT_STATED})
        ]
        share = usd / len(keys)
        for key in keys:
            cell = result.cells.setdefault(key, Cell())
            cell.programmes += 1 / len(keys)
            cell.usd += share
    # Grouped by day, added up by year here: the database's year extraction
    # is a Python function per row on SQLite (0.5 s at 30,000 lines).
    by_year: dict[int, Decimal] = defaultdict(Decimal)
    for day, usd in (
        BudgetLine.objects.filter(programme_id__in=ids)
        .order_by()
        .values("period_start")
        .annotate(usd=Sum("amount_usd"))
        .values_list("period_start", "usd")
    ):
        by_year[day.year] += usd or Decimal(0)
    result.by_year = dict(sorted(by_year.items()))
    result.needs = _needs(region_top, country_region, theme_of)
    return result


def _needs(
    region_top: dict[str, str], country_region: dict[str, str], theme_of: dict[str, str]
) -> dict[tuple[str, str], int | None]:
    """Open public needs by region and theme; groups under the minimum hidden."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    needs = Need.objects.filter(
        status__in=OPEN_NEED_STATUSES, visibility=Visibility.PUBLIC
    )
    country_of = dict(needs.values_list("pk", "member_state__country_id"))
    through = Need._meta.get_field("topics").remote_field.through
    pairs: dict[int, set[str]] = defaultdict(set)
    for pk, slug in (
        through.objects.filter(need_id__in=needs.values("pk"))
        .order_by()
        .values_list("need_id", "topic_id")
    ):
        pairs[pk].add(theme_of[slug])
    for pk, iso3 in country_of.items():
        for theme in pairs.get(pk) or {NOT_STATED}:
            counts[(country_region.get(iso3, WORLD), theme)] += 1
    return {
        key: (count if count >= MIN_GROUP_SIZE else None)
        for key, count in counts.items()
    }


# --- the overlap warning --------------------------------------------------


@dataclass(frozen=True)
class Overlap:
    """Another funder's programme serving a same country and topic at the same time."""

    programme: Programme
    countries: tuple[str, ...]
    topics: tuple[str, ...]


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
