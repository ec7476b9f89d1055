"""The coordination view's figures against the records, and the overlap warning."""

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db.models import Q
from django.db.models import Sum

from matchmaking.funding.coordination import NOT_STATED
from matchmaking.funding.coordination import OPEN_NEED_STATUSES
from matchmaking.funding.coordination import WORLD
from matchmaking.funding.coordination import Cell
from matchmaking.funding.coordination import Coordination
from matchmaking.funding.coordination import coordination
from matchmaking.funding.coordination import overlaps_for
from matchmaking.funding.services import parse_funding
from matchmaking.funding.services import write_funding
from matchmaking.models import BudgetLine
from matchmaking.models import Country
from matchmaking.models import ExchangeRate
from matchmaking.models import Need
from matchmaking.models import ParticipatingOrganisation
from matchmaking.models import Programme
from matchmaking.models import ProgrammeFunding
from matchmaking.models import Region
from matchmaking.models import Topic
from matchmaking.stats.scope import MIN_GROUP_SIZE
from roundtable.views import coordination as view
from tests.factories import MemberStateFactory
from tests.factories import NeedFactory
from tests.factories import ProgrammeFactory
from tests.factories import ProviderFactory

TOPICS = ["csirt-establishment", "cybercrime-legislation", "awareness", "iot-security"]
COUNTRIES = ["SEN", "FJI", "NPL", "BRA", "FRA"]


def test_figures_add_up_to_the_records_on_random_data(db):
    rng = random.Random(11)  # noqa: S311 (test data)
    funders = [ProviderFactory(ref=f"f{i}", name=f"Funder {i}") for i in range(3)]
    for _ in range(25):
        programme = ProgrammeFactory(
            topics=rng.sample(TOPICS, rng.randint(1, 2)),
            status=rng.choice(["published", "published", "draft"]),
        )
        programme.eligible_countries.set(rng.sample(COUNTRIES, rng.randint(0, 2)))
        write_funding(
            programme=programme,
            funding=parse_funding(
                {
                    "participants": [
                        {"role": "funding", "provider": f.ref}
                        for f in rng.sample(funders, rng.randint(0, 2))
                    ],
                    "budget_lines": [
                        {
                            "period_start": f"{2025 + j}-01-01",
                            "period_end": f"{2025 + j}-12-31",
                            "amount": str(rng.randint(0, 10**6)),
                        }
                        for j in range(rng.randint(0, 3))
                    ],
                }
            ),
        )
    for _ in range(7):
        NeedFactory(topics=[rng.choice(TOPICS)])

    figures = coordination()

    published = Programme.objects.filter(status="published")
    lines = BudgetLine.objects.filter(programme__in=published)
    expected = sum((line.amount_usd for line in lines), Decimal(0))
    assert figures.programme_count == published.count()
    assert figures.total_usd == expected
    for axis in (0, 1, 2):
        totals = figures.by(axis).values()
        assert sum(c.usd for c in totals) == pytest.approx(expected)
        assert sum(c.programmes for c in totals) == pytest.approx(published.count())
    assert sum(figures.by_year.values()) == expected
    funder_0 = sum(
        line.amount_usd
        / max(1, line.programme.participants.filter(role="funding").count())
        for line in lines.filter(programme__participants__provider=funders[0])
    )
    assert figures.by(0)["Funder 0"].usd == pytest.approx(funder_0)


def programme(funder, countries, topics, starts, ends, **more):
    made = ProgrammeFactory(topics=topics, starts_on=starts, ends_on=ends, **more)
    made.eligible_countries.set(countries)
    write_funding(
        programme=made,
        funding=parse_funding({"participants": [{"role": "funding", "name": funder}]}),
    )
    return made


Y = dt.date


@pytest.mark.parametrize(
    ("other", "warned"),
    [
        # another funder, same country and topic, overlapping: warned
        (("B", ["SEN"], ["awareness"], Y(2026, 6, 1), Y(2027, 1, 1)), True),
        # the same funder coordinates itself
        (("A", ["SEN"], ["awareness"], Y(2026, 6, 1), Y(2027, 1, 1)), False),
        # another country
        (("B", ["NPL"], ["awareness"], Y(2026, 6, 1), Y(2027, 1, 1)), False),
        # another topic
        (("B", ["SEN"], ["iot-security"], Y(2026, 6, 1), Y(2027, 1, 1)), False),
        # periods apart
        (("B", ["SEN"], ["awareness"], Y(2028, 1, 1), Y(2028, 6, 1)), False),
        # open-ended periods overlap
        (("B", ["SEN", "FJI"], ["awareness"], None, None), True),
    ],
)
def test_the_overlap_warning_on_built_cases(db, other, warned):
    mine = programme(
        "A", ["SEN"], ["awareness"], Y(2026, 1, 1), Y(2026, 12, 31), status="draft"
    )
    theirs = programme(*other)

    found = overlaps_for(mine)

    assert [o.programme for o in found] == ([theirs] if warned else [])
    if warned:
        assert found[0].countries == ("SEN",)
        assert found[0].topics == ("awareness",)


def test_a_region_serves_its_countries_and_both_sides_are_warned(client, db):
    mine = programme("A", ["SEN"], ["awareness"], None, None, status="draft")
    theirs = programme("B", [], ["awareness"], None, None)
    theirs.eligible_regions.set(["011"])  # Western Africa

    assert [o.programme for o in overlaps_for(mine)] == [theirs]
    mine.status = "published"
    mine.save()
    assert [o.programme for o in overlaps_for(theirs)] == [mine]


def test_the_page_shows_figures_to_the_public(client, db):
    programme("Nordic Fund", ["SEN"], ["awareness"], None, None)

    page = client.get("/roundtable/coordination/")

    assert page.status_code == 200
    assert "Nordic Fund" in page.content.decode()
    # No budget lines yet: the table says so instead of standing empty.
    assert "data-no-budget-lines" in page.content.decode()


def test_the_budget_lines_table_lists_years_once_there_are_lines(client, db):
    made = ProgrammeFactory(topics=["awareness"])
    write_funding(
        programme=made,
        funding=parse_funding(
            {
                "participants": [{"role": "funding", "name": "Nordic Fund"}],
                "budget_lines": [
                    {
                        "period_start": "2026-01-01",
                        "period_end": "2026-12-31",
                        "amount": "1000",
                        "currency": "USD",
                    }
                ],
            }
        ),
    )

    page = client.get("/roundtable/coordination/").content.decode()

    assert "data-no-budget-lines" not in page
    assert "2026" in page


# --- the figures against the code they replace ---------------------------


def reference_figures(*, since=None):
    """The figures as the view computed them before they were grouped in the
    database: every programme read into Python and split over its cells."""

    parents = dict(Region.objects.values_list("code", "parent_id"))

    def top(code):
        seen = 0
        while parents.get(code) and parents[code] != WORLD and seen < 5:
            code = parents[code]
            seen += 1
        return code

    region_top = {code: top(code) for code in parents}
    country_region = {
        iso3: region_top.get(region or "", WORLD)
        for iso3, region in Country.objects.values_list("iso3", "region_id")
    }
    theme_of = dict(Topic.objects.values_list("slug", "theme_id"))

    def pairs(field_name, ids):
        field = Programme._meta.get_field(field_name)
        target = f"{field.m2m_reverse_field_name()}_id"
        return field.remote_field.through.objects.filter(
            programme_id__in=ids
        ).values_list("programme_id", target)

    programmes = Programme.objects.filter(status="published")
    if since:
        programmes = programmes.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=since))
    ids = programmes.values("pk")
    money = {
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
    regions = defaultdict(set)
    for pk, code in pairs("eligible_regions", ids):
        regions[pk].add(region_top.get(code, code))
    for pk, iso3 in pairs("eligible_countries", ids):
        regions[pk].add(country_region.get(iso3, WORLD))
    themes = defaultdict(set)
    for pk, slug in pairs("topics", ids):
        themes[pk].add(theme_of[slug])
    funders = defaultdict(set)
    for pk, provider_name, name in ParticipatingOrganisation.objects.filter(
        programme_id__in=ids, role="funding"
    ).values_list("programme_id", "provider__name", "name"):
        funders[pk].add(provider_name or name)
    result = Coordination()
    for pk in programmes.values_list("pk", flat=True):
        result.programme_count += 1
        usd = money.get(pk, Decimal(0))
        result.total_usd += usd
        keys = [
            (f, r, t)
            for f in sorted(funders.get(pk) or {NOT_STATED})
            for r in sorted(regions.get(pk) or {WORLD})
            for t in sorted(themes.get(pk) or {NOT_STATED})
        ]
        for key in keys:
            cell = result.cells.setdefault(key, Cell())
            cell.programmes += 1 / len(keys)
            cell.usd += usd / len(keys)
    by_year = defaultdict(Decimal)
    for line in BudgetLine.objects.filter(programme_id__in=ids):
        by_year[line.period_start.year] += line.amount_usd or Decimal(0)
    result.by_year = dict(sorted(by_year.items()))
    counts = defaultdict(int)
    needs = Need.objects.filter(status__in=OPEN_NEED_STATUSES, visibility="public")
    for need in needs.select_related("member_state").prefetch_related("topics"):
        region = country_region.get(need.member_state.country_id, WORLD)
        for theme in {t.theme_id for t in need.topics.all()} or {NOT_STATED}:
            counts[(region, theme)] += 1
    result.needs = {
        key: (count if count >= MIN_GROUP_SIZE else None)
        for key, count in counts.items()
    }
    return result


MORE_TOPICS = [*TOPICS, "incident-response", "critical-infrastructure-protection"]
NAMED = ["Donor X", "Donor Y", "Funder 1"]  # a name may be a provider's
REGIONS = ["002", "011", "142", "034", "009", "150", "419"]


def random_records(rng):

    ExchangeRate.objects.create(
        currency="EUR", valid_from="2020-01-01", usd_per_unit="1.0833333333"
    )
    ExchangeRate.objects.create(
        currency="EUR", valid_from="2026-01-01", usd_per_unit="1.17"
    )
    ExchangeRate.objects.create(
        currency="JPY", valid_from="2020-01-01", usd_per_unit="0.0066666667"
    )
    funders = [ProviderFactory(ref=f"f{i}", name=f"Funder {i}") for i in range(4)]
    topics = [t for t in MORE_TOPICS if Topic.objects.filter(slug=t).exists()]
    for _ in range(60):
        made = ProgrammeFactory(
            topics=rng.sample(topics, rng.randint(1, 3)),
            status=rng.choice(["published", "published", "published", "draft"]),
            starts_on=rng.choice([None, dt.date(2024, 3, 1)]),
            ends_on=rng.choice([None, dt.date(2025, 1, 1), dt.date(2028, 1, 1)]),
        )
        made.eligible_countries.set(rng.sample(COUNTRIES, rng.randint(0, 3)))
        made.eligible_regions.set(rng.sample(REGIONS, rng.choice([0, 0, 1, 2])))
        participants = [
            {"role": "funding", "provider": f.ref}
            for f in rng.sample(funders, rng.randint(0, 2))
        ] + [
            {"role": rng.choice(["funding", "implementing"]), "name": name}
            for name in rng.sample(
                ["Donor X", "Donor Y", "Funder 1"], rng.randint(0, 2)
            )
        ]
        funding = {
            "currency": rng.choice(["USD", "EUR", "JPY", "XOF"]),
            "participants": participants,
            "budget_lines": [
                {
                    "period_start": f"{2024 + j}-0{rng.randint(1, 9)}-01",
                    "period_end": f"{2024 + j}-12-31",
                    "amount": f"{rng.randint(0, 10**7)}.{rng.randint(0, 99):02d}",
                }
                for j in range(rng.choice([0, 0, 1, 3]))
            ],
        }
        if rng.random() < 0.5:
            funding["total_budget"] = str(rng.randint(0, 10**8))
        write_funding(programme=made, funding=parse_funding(funding))
    states = [
        MemberStateFactory(country=Country.objects.get(iso3=c)) for c in COUNTRIES
    ]
    for _ in range(40):
        NeedFactory(
            member_state=rng.choice(states),
            topics=rng.sample(topics, rng.randint(0, 2)),
            status=rng.choice(
                ["open", "in_discussion", "in_delivery", "draft", "closed"]
            ),
            visibility=rng.choice(["public", "public", "confidential", "registered"]),
        )


def same_figures(found, expected):
    assert found.programme_count == expected.programme_count
    assert found.total_usd == expected.total_usd
    assert found.by_year == expected.by_year
    assert found.needs == expected.needs
    assert sorted(found.cells) == sorted(expected.cells)
    for key, cell in expected.cells.items():
        assert found.cells[key].programmes == pytest.approx(cell.programmes, rel=1e-12)
        assert found.cells[key].usd == pytest.approx(cell.usd, rel=Decimal("1e-20"))


@pytest.mark.parametrize("seed", [3, 5])
def test_the_figures_are_those_computed_record_by_record(client, db, monkeypatch, seed):

    random_records(random.Random(seed))  # noqa: S311 (test data)

    same_figures(coordination(), reference_figures())
    since = dt.date(2026, 1, 1)
    same_figures(coordination(since=since), reference_figures(since=since))
    page = tables(client.get("/roundtable/coordination/"))
    monkeypatch.setattr(view, "coordination", reference_figures)
    assert tables(client.get("/roundtable/coordination/")) == page


def tables(response):
    """The page's figures (the rest holds a per-request token and nonce)."""
    page = response.content.decode()
    return page[page.index('<h1 class="govuk-heading-xl">') : page.rindex("</table>")]


def test_needs_groups_under_the_minimum_are_hidden_and_only_open_public_count(
    client, db
):

    senegal = MemberStateFactory(country=Country.objects.get(iso3="SEN"))
    fiji = MemberStateFactory(country=Country.objects.get(iso3="FJI"))
    for status in ("open", "in_discussion", "in_delivery"):
        NeedFactory(member_state=senegal, topics=["awareness"], status=status)
    # one need in two topics of one theme counts once there
    NeedFactory(member_state=fiji, topics=["csirt-establishment", "awareness"])
    NeedFactory(member_state=fiji, topics=["awareness"])
    # not counted: a draft, a closed, a confidential and a registered-only need
    NeedFactory(member_state=fiji, topics=["awareness"], status="draft")
    NeedFactory(member_state=fiji, topics=["awareness"], status="closed")
    NeedFactory(member_state=fiji, topics=["awareness"], visibility="confidential")
    NeedFactory(member_state=fiji, topics=["awareness"], visibility="registered")
    awareness = Topic.objects.get(slug="awareness").theme_id
    csirt = Topic.objects.get(slug="csirt-establishment").theme_id

    needs = coordination().needs

    expected = {("002", awareness): 3, ("009", awareness): None}
    if csirt != awareness:
        expected[("009", csirt)] = None
    assert needs == expected
    page = client.get("/roundtable/coordination/").content.decode()
    assert "&lt; 3" in page
