"""The coordination view's figures against the records, and the overlap warning."""

import datetime as dt
import random
from decimal import Decimal

import pytest

from matchmaking.funding.coordination import coordination
from matchmaking.funding.coordination import overlaps_for
from matchmaking.funding.services import parse_funding
from matchmaking.funding.services import write_funding
from matchmaking.models import BudgetLine
from matchmaking.models import Programme
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
