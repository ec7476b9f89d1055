"""Every gap figure follows one rule, on random data: a need is unmet when the
engine flagged it, covered when it has a match that is not declined and is not
unmet; coverage, the heat map, the unmet list and the gap table add up to the
same totals (so no group is "100 % covered" beside unmet needs)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.cache import caches
from django.db import transaction
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from matchmaking.enums import MatchStatus
from matchmaking.enums import UnmetReason
from matchmaking.models import Country
from matchmaking.stats.coverage import COUNTRY_GROUPS
from matchmaking.stats.coverage import coverage
from matchmaking.stats.gaps import gaps
from matchmaking.stats.heatmap import heatmap
from matchmaking.stats.scope import StatsFilter
from matchmaking.stats.unmet import unmet_needs
from tests.factories import MatchFactory
from tests.factories import MemberStateFactory
from tests.factories import NeedFactory
from tests.factories import ProgrammeFactory
from tests.factories import UserFactory

# An LDC, an LDC and LLDC, a SIDS, an LLDC only, none of them.
COUNTRIES = ("SEN", "MLI", "FJI", "KGZ", "FRA")
MATCHES = (None, MatchStatus.SUGGESTED, MatchStatus.AGREED, MatchStatus.DECLINED)


@dataclass(frozen=True)
class Spec:
    country: str
    status: str
    public: bool
    flagged: bool
    match: str | None


specs = st.lists(
    st.builds(
        Spec,
        country=st.sampled_from(COUNTRIES),
        status=st.sampled_from(["open", "in_discussion", "closed"]),
        public=st.booleans(),
        flagged=st.booleans(),
        match=st.sampled_from(MATCHES),
    ),
    max_size=8,
)


def _in_group(group: str, country: Country) -> bool:
    if group == "other":
        return not (country.is_ldc or country.is_lldc or country.is_sids)
    return getattr(country, f"is_{group}")


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(needs=specs)
def test_coverage_unmet_and_totals_agree(needs):
    with transaction.atomic():
        caches["default"].clear()
        curator = UserFactory(is_curator=True)
        programme = ProgrammeFactory()
        countries = {c.iso3: c for c in Country.objects.filter(iso3__in=COUNTRIES)}
        states = {iso3: MemberStateFactory(country=c) for iso3, c in countries.items()}
        for spec in needs:
            need = NeedFactory(
                member_state=states[spec.country],
                status=spec.status,
                visibility="public" if spec.public else "confidential",
                unmet_reason=UnmetReason.NONE_RELEVANT if spec.flagged else "",
            )
            if spec.match:
                MatchFactory(need=need, programme=programme, status=spec.match)
        active = [s for s in needs if s.status != "closed"]
        unmet = [s for s in active if s.flagged]
        covered = [
            s
            for s in active
            if s.match and s.match != MatchStatus.DECLINED and not s.flagged
        ]
        everything = StatsFilter()

        groups = coverage(viewer=curator, filters=everything)
        for row in groups:
            assert row.group in COUNTRY_GROUPS
            mine = [s for s in active if _in_group(row.group, countries[s.country])]
            assert (row.needs, row.covered, row.unmet) == (
                len(mine),
                len([s for s in mine if s in covered]),
                len([s for s in mine if s in unmet]),
            )
            assert row.covered + row.unmet <= row.needs
            if row.covered_share == 1:
                assert row.unmet == 0

        cells = [
            c
            for row in heatmap(viewer=curator, filters=everything).cells.values()
            for c in row.values()
        ]
        # One topic per need: each active need is in exactly one cell.
        assert sum(c.needs for c in cells) == len(active)
        assert sum(c.covered for c in cells) == len(covered)
        assert sum(c.unmet for c in cells) == len(unmet)

        listed = unmet_needs(viewer=curator, filters=everything, limit=None)
        assert listed.total + listed.not_public == len(unmet)
        assert listed.total == len([s for s in unmet if s.public])

        table = gaps(viewer=curator, by="ldc").rows
        assert sum(r.open_needs for r in table) == len(active)
        assert sum(r.unmet_needs for r in table) == len(unmet)
        transaction.set_rollback(True)
