"""A small hand-countable fixture for the gap statistics.

Needs (created; theme; state; visibility; status; engine verdict; matches):

    n1 2026-01-15 incident  SEN (LDC)        public        open           unmet
    n2 2026-02-10 incident  SEN              public        open           p1 agreed
    n3 2026-02-20 incident  SEN              public        in discussion  unmet
    n4 2026-03-05 incident  SEN              confidential  open   unmet, p1 suggested
    n5 2026-03-10 cybercrime MLI (LDC, LLDC) registered    open           p2 declined
    n6 2026-03-12 policy    FJI (SIDS)       public        open           unmet
    n7 2026-01-01 incident  FRA              public        fulfilled      p1 completed
    n8 2026-03-15 incident  SEN              public        draft          unmet

Programmes: p1 provider A (intergovernmental) open to Africa; p2 provider B
(academia) open to everyone; p3 provider A draft; p4 provider C (private
sector) open to Fiji only. History: n2's match agreed 2026-02-12; n7's match
in delivery 2026-01-20 and completed 2026-03-01.
"""

from dataclasses import dataclass
from datetime import UTC
from datetime import datetime

import pytest

from matchmaking.enums import MatchStatus
from matchmaking.enums import NeedStatus
from matchmaking.enums import ProgrammeStatus
from matchmaking.enums import UnmetReason
from matchmaking.enums import Visibility
from matchmaking.models import Country
from matchmaking.models import MatchEvent
from matchmaking.models import Need
from matchmaking.models import StakeholderGroup
from tests.factories import MatchFactory
from tests.factories import MemberStateFactory
from tests.factories import NeedFactory
from tests.factories import ProgrammeFactory
from tests.factories import ProviderFactory


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)


@dataclass
class Fixture:
    needs: dict
    programmes: dict


@pytest.fixture
def gap_data(db) -> Fixture:
    states = {
        iso3: MemberStateFactory(country=Country.objects.get(iso3=iso3))
        for iso3 in ("SEN", "MLI", "FJI", "FRA")
    }
    group = StakeholderGroup.objects.get
    a = ProviderFactory(
        name="Provider A", stakeholder_group=group(slug="intergovernmental")
    )
    b = ProviderFactory(name="Provider B", stakeholder_group=group(slug="academia"))
    c = ProviderFactory(
        name="Provider C", stakeholder_group=group(slug="private-sector")
    )
    p1 = ProgrammeFactory(provider=a, topics=["csirt-establishment"])
    p1.eligible_regions.set(["002"])
    p2 = ProgrammeFactory(provider=b, topics=["law-enforcement"])
    p3 = ProgrammeFactory(provider=a, status=ProgrammeStatus.DRAFT)
    p4 = ProgrammeFactory(provider=c, topics=["national-strategy"])
    p4.eligible_countries.set(["FJI"])
    csirt, police, strategy = (
        "csirt-establishment",
        "law-enforcement",
        ("national-strategy"),
    )
    pub, conf, reg = Visibility.PUBLIC, Visibility.CONFIDENTIAL, Visibility.REGISTERED
    met, none, weak = (
        UnmetReason.NONE,
        UnmetReason.NO_ELIGIBLE,
        (UnmetReason.NONE_RELEVANT),
    )
    rows = {
        "n1": ("2026-01-15", csirt, "SEN", pub, NeedStatus.OPEN, none),
        "n2": ("2026-02-10", csirt, "SEN", pub, NeedStatus.OPEN, met),
        "n3": ("2026-02-20", csirt, "SEN", pub, NeedStatus.IN_DISCUSSION, weak),
        "n4": ("2026-03-05", csirt, "SEN", conf, NeedStatus.OPEN, none),
        "n5": ("2026-03-10", police, "MLI", reg, NeedStatus.OPEN, met),
        "n6": ("2026-03-12", strategy, "FJI", pub, NeedStatus.OPEN, none),
        "n7": ("2026-01-01", csirt, "FRA", pub, NeedStatus.FULFILLED, met),
        "n8": ("2026-03-15", csirt, "SEN", pub, NeedStatus.DRAFT, none),
    }
    needs = {}
    for name, (day, topic, iso3, visibility, status, unmet) in rows.items():
        need = NeedFactory(
            ref=name,
            title=f"Need {name}",
            member_state=states[iso3],
            topics=[topic],
            visibility=visibility,
            status=status,
            unmet_reason=unmet,
        )
        Need.objects.filter(pk=need.pk).update(created_at=at(day))
        needs[name] = need
    m2 = MatchFactory(need=needs["n2"], programme=p1, status=MatchStatus.AGREED)
    MatchFactory(need=needs["n4"], programme=p1, status=MatchStatus.SUGGESTED)
    MatchFactory(need=needs["n5"], programme=p2, status=MatchStatus.DECLINED)
    m7 = MatchFactory(need=needs["n7"], programme=p1, status=MatchStatus.COMPLETED)
    for match, status, day in (
        (m2, MatchStatus.AGREED, "2026-02-12"),
        (m7, MatchStatus.IN_DELIVERY, "2026-01-20"),
        (m7, MatchStatus.COMPLETED, "2026-03-01"),
    ):
        event = MatchEvent.objects.create(match=match, to_status=status)
        MatchEvent.objects.filter(pk=event.pk).update(at=at(day))
    return Fixture(needs=needs, programmes={"p1": p1, "p2": p2, "p3": p3, "p4": p4})


@pytest.fixture(autouse=True)
def no_stats_cache(settings):
    """Figures are computed afresh in these tests (the cache has its own test)."""
    settings.STATS_CACHE_SECONDS = 0
