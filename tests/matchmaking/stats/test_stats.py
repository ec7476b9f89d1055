"""Every statistic against the hand-computed values of the fixture (conftest)."""

from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser

from matchmaking.enums import NeedStatus
from matchmaking.enums import UnmetReason
from matchmaking.enums import Visibility
from matchmaking.models import MemberState
from matchmaking.stats.coverage import GroupCoverage
from matchmaking.stats.coverage import coverage
from matchmaking.stats.coverage import region_map
from matchmaking.stats.dashboard import Dashboard
from matchmaking.stats.dashboard import dashboard
from matchmaking.stats.heatmap import Cell
from matchmaking.stats.heatmap import heatmap
from matchmaking.stats.providers import providers_by_group
from matchmaking.stats.scope import StatsFilter
from matchmaking.stats.timeline import timeline
from matchmaking.stats.unmet import unmet_needs
from tests.factories import NeedFactory

ALL = StatsFilter()
ANON = AnonymousUser()


def cell(heat, row, column):
    return heat.cells[row][column]


def test_heatmap_curator_counts_every_published_need(gap_data, curator):
    heat = heatmap(viewer=curator, filters=ALL)
    assert [label.key for label in heat.row_labels] == [
        "policy-strategy",
        "incident-management-cip",
        "cybercrime",
        "culture-skills",
        "standards",
    ]
    assert [label.key for label in heat.column_labels] == [
        "002",
        "009",
        "019",
        "142",
        "150",
    ]
    # n1..n4 active in Africa; n2 and n4 have a live match; n1, n3, n4 unmet
    # (n4's suggestion does not cover it: unmet wins, so only n2 is covered).
    assert cell(heat, "incident-management-cip", "002") == Cell(4, 1, 3, 1)
    # n5: its only match is declined; p2 (law enforcement) is open to everyone.
    assert cell(heat, "cybercrime", "002") == Cell(1, 0, 0, 1)
    assert cell(heat, "cybercrime", "150") == Cell(0, 0, 0, 1)
    # n6 in Fiji, where p4 (national strategy) is offered.
    assert cell(heat, "policy-strategy", "009") == Cell(1, 0, 1, 1)
    assert cell(heat, "policy-strategy", "002") == Cell(0, 0, 0, 0)
    # n7 is fulfilled, n8 a draft: neither counts; p1 is open to Africa only.
    assert cell(heat, "incident-management-cip", "150") == Cell(0, 0, 0, 0)
    assert heat.max_needs() == 4
    assert heat.suppressed is False


def test_heatmap_public_counts_public_needs_and_suppresses_small_cells(gap_data):
    heat = heatmap(viewer=ANON, filters=ALL)
    # n1, n2, n3 only (n4 is confidential); 1 covered and 2 unmet are hidden.
    assert cell(heat, "incident-management-cip", "002") == Cell(3, None, None, 1)
    # n5 is for registered users: not counted at all (p2 still is: public).
    assert cell(heat, "cybercrime", "002") == Cell(0, 0, 0, 1)
    assert cell(heat, "policy-strategy", "009") == Cell(None, 0, None, 1)
    assert heat.suppressed is True


def test_heatmap_signed_in_non_curator_gets_public_figures(gap_data):
    from tests.factories import MembershipFactory

    focal = MembershipFactory(member_state=gap_data.needs["n4"].member_state).user
    assert heatmap(viewer=focal, filters=ALL) == heatmap(viewer=ANON, filters=ALL)


def test_heatmap_by_topic_and_subregion_with_filters(gap_data, curator):
    heat = heatmap(
        viewer=curator,
        filters=StatsFilter(theme="incident-management-cip", region="202"),
        rows="topic",
        columns="subregion",
    )
    assert [label.key for label in heat.row_labels] == [
        "csirt-establishment",
        "incident-response",
        "cyber-exercises",
        "critical-infrastructure",
        "threat-intelligence",
    ]
    assert [label.key for label in heat.column_labels] == ["202"]
    assert cell(heat, "csirt-establishment", "202") == Cell(4, 1, 3, 1)
    assert cell(heat, "incident-response", "202") == Cell(0, 0, 0, 0)


def test_heatmap_period_filter_uses_posting_month(gap_data, curator):
    feb = StatsFilter(start=date(2026, 2, 1), end=date(2026, 2, 1))
    heat = heatmap(viewer=curator, filters=feb)
    # n2 and n3 were posted in February.
    assert cell(heat, "incident-management-cip", "002") == Cell(2, 1, 1, 1)
    assert cell(heat, "cybercrime", "002") == Cell(0, 0, 0, 1)


def test_coverage_by_country_group(gap_data, curator):
    assert coverage(viewer=curator, filters=ALL) == [
        GroupCoverage("ldc", needs=5, covered=1, unmet=3),
        GroupCoverage("lldc", needs=1, covered=0, unmet=0),
        GroupCoverage("sids", needs=1, covered=0, unmet=1),
        GroupCoverage("other", needs=0, covered=0, unmet=0),
    ]
    assert coverage(viewer=ANON, filters=ALL) == [
        GroupCoverage("ldc", needs=3, covered=None, unmet=None),
        GroupCoverage("lldc", needs=0, covered=0, unmet=0),
        GroupCoverage("sids", needs=None, covered=0, unmet=None),
        GroupCoverage("other", needs=0, covered=0, unmet=0),
    ]
    assert coverage(viewer=curator, filters=ALL)[0].covered_share == 0.2


def test_unmet_needs_lists_public_needs_oldest_first(gap_data, curator):
    public = unmet_needs(viewer=ANON, filters=ALL)
    assert [item.ref for item in public.items] == ["n1", "n3", "n6"]
    assert public.items[0].country == "SEN"
    assert public.items[0].country_name == "Senegal"
    assert public.items[1].reason == UnmetReason.NONE_RELEVANT
    assert (public.total, public.not_public) == (3, None)
    # Curators see the same list: n4 is counted, never listed.
    richer = unmet_needs(viewer=curator, filters=ALL)
    assert [item.ref for item in richer.items] == ["n1", "n3", "n6"]
    assert (richer.total, richer.not_public) == (3, 1)
    limited = unmet_needs(viewer=ANON, filters=ALL, limit=2)
    assert [item.ref for item in limited.items] == ["n1", "n3"]
    assert limited.total == 3
    everything = unmet_needs(viewer=ANON, filters=ALL, limit=None)
    assert [item.ref for item in everything.items] == ["n1", "n3", "n6"]


def test_timeline_per_month(gap_data, curator):
    months = timeline(viewer=curator, filters=ALL)
    assert [
        (m.month, m.opened, m.matched, m.in_delivery, m.fulfilled) for m in months
    ] == [
        (date(2026, 1, 1), 2, 0, 1, 0),  # n7, n1 posted; n7 in delivery
        (date(2026, 2, 1), 2, 1, 0, 0),  # n2, n3 posted; n2 agreed
        (date(2026, 3, 1), 3, 0, 0, 1),  # n4, n5, n6 posted; n7 completed
    ]


def test_timeline_public_is_suppressed_and_period_bounds_months(gap_data, curator):
    months = timeline(viewer=ANON, filters=ALL)
    assert [
        (m.month, m.opened, m.matched, m.in_delivery, m.fulfilled) for m in months
    ] == [
        (date(2026, 1, 1), None, 0, None, 0),
        (date(2026, 2, 1), None, None, 0, 0),
        (date(2026, 3, 1), None, 0, 0, None),
    ]
    period = StatsFilter(start=date(2026, 2, 1), end=date(2026, 4, 1))
    months = timeline(viewer=curator, filters=period)
    assert [
        (m.month, m.opened, m.matched, m.in_delivery, m.fulfilled) for m in months
    ] == [
        (date(2026, 2, 1), 2, 1, 0, 0),
        (date(2026, 3, 1), 3, 0, 0, 1),
        (date(2026, 4, 1), 0, 0, 0, 0),
    ]


def test_timeline_empty_without_needs(db, curator):
    assert timeline(viewer=curator, filters=ALL) == []


def provider_rows(table):
    return {
        group.group.key: (group.total, group.regions)
        for group in table.groups
        if group.total
    }


def test_providers_by_group_and_region_served(gap_data):
    table = providers_by_group(viewer=ANON, filters=ALL)
    assert [label.key for label in table.regions] == ["002", "009", "019", "142", "150"]
    none = dict.fromkeys(["002", "009", "019", "142", "150"], 0)
    assert provider_rows(table) == {
        "intergovernmental": (1, {**none, "002": 1}),  # p1 (p3 is a draft)
        "academia": (1, dict.fromkeys(none, 1)),  # p2 is open to everyone
        "private-sector": (1, {**none, "009": 1}),  # p4: Fiji only
    }
    themed = providers_by_group(viewer=ANON, filters=StatsFilter(theme="cybercrime"))
    assert provider_rows(themed) == {"academia": (1, dict.fromkeys(none, 1))}
    regional = providers_by_group(viewer=ANON, filters=StatsFilter(region="202"))
    assert set(provider_rows(regional)) == {"intergovernmental", "academia"}


def test_region_map_tiles(gap_data, curator):
    tiles = {tile.code: tile for tile in region_map(viewer=curator, filters=ALL)}
    assert len(tiles) == 17
    assert (tiles["202"].needs, tiles["202"].unmet) == (5, 3)
    assert (tiles["054"].needs, tiles["054"].unmet) == (1, 1)
    assert (tiles["155"].needs, tiles["155"].unmet) == (0, 0)
    assert (tiles["202"].column, tiles["202"].row) == (2, 3)
    public = {tile.code: tile for tile in region_map(viewer=ANON, filters=ALL)}
    assert (public["202"].needs, public["202"].unmet) == (3, None)
    assert (public["054"].needs, public["054"].unmet) == (None, None)


def test_confidential_needs_never_move_public_figures(gap_data, curator):
    """Curator aggregates count a confidential need; public ones are unchanged."""
    fiji = MemberState.objects.get(country_id="FJI")
    region = StatsFilter(region="054")
    before = (
        heatmap(viewer=ANON, filters=region),
        coverage(viewer=ANON, filters=region),
        unmet_needs(viewer=ANON, filters=region),
        timeline(viewer=ANON, filters=region),
        region_map(viewer=ANON, filters=region),
    )
    for _ in range(3):
        NeedFactory(
            member_state=fiji,
            topics=["national-strategy"],
            visibility=Visibility.CONFIDENTIAL,
            status=NeedStatus.OPEN,
            unmet_reason=UnmetReason.NO_ELIGIBLE,
            title="Secret need",
        )
    after = (
        heatmap(viewer=ANON, filters=region),
        coverage(viewer=ANON, filters=region),
        unmet_needs(viewer=ANON, filters=region),
        timeline(viewer=ANON, filters=region),
        region_map(viewer=ANON, filters=region),
    )
    assert after == before
    # The isolated Fiji cell stays "fewer than 3" for the public ...
    assert after[0].cells["policy-strategy"]["009"].needs is None
    assert "Secret need" not in [item.title for item in after[2].items]
    # ... while curators count the three confidential needs with n6.
    heat = heatmap(viewer=curator, filters=region)
    assert heat.cells["policy-strategy"]["009"] == Cell(4, 0, 4, 1)
    assert unmet_needs(viewer=curator, filters=region).not_public == 3


@pytest.mark.parametrize(
    ("function", "queries"),
    [
        (heatmap, 4),
        (coverage, 1),
        (unmet_needs, 2),
        (timeline, 2),
        (providers_by_group, 3),
        (region_map, 2),
    ],
)
def test_statistics_run_a_fixed_number_of_queries(
    gap_data, curator, django_assert_num_queries, function, queries
):
    filters = StatsFilter(theme="incident-management-cip", region="002")
    with django_assert_num_queries(queries):
        function(viewer=curator, filters=filters)
    for name in ("n9", "n10", "n11"):
        NeedFactory(ref=name, member_state=gap_data.needs["n1"].member_state)
    with django_assert_num_queries(queries):
        function(viewer=curator, filters=filters)


@pytest.mark.parametrize(
    "filters",
    [
        ALL,
        StatsFilter(theme="incident-management-cip", region="002"),
        StatsFilter(region="054"),
        StatsFilter(region="009"),
        StatsFilter(start=date(2026, 2, 1), end=date(2026, 3, 1)),
    ],
)
@pytest.mark.parametrize(
    ("rows", "columns"), [("theme", "region"), ("topic", "subregion")]
)
def test_dashboard_gives_the_figures_of_each_statistic(
    gap_data, curator, django_assert_num_queries, filters, rows, columns
):
    for viewer in (ANON, curator):
        # Needs, regions, supply, row labels, unmet needs, timeline (2),
        # providers (2).
        with django_assert_num_queries(9):
            figures = dashboard(
                viewer=viewer, filters=filters, rows=rows, columns=columns
            )
        assert figures == Dashboard(
            heatmap=heatmap(viewer=viewer, filters=filters, rows=rows, columns=columns),
            coverage=coverage(viewer=viewer, filters=filters),
            unmet=unmet_needs(viewer=viewer, filters=filters),
            timeline=timeline(viewer=viewer, filters=filters),
            providers=providers_by_group(viewer=viewer, filters=filters),
            tiles=region_map(viewer=viewer, filters=filters),
        )


def test_statistics_are_cached_per_scope_and_filters(
    gap_data, curator, settings, django_assert_num_queries
):
    from django.core.cache import cache

    cache.clear()
    settings.STATS_CACHE_SECONDS = 60
    public = coverage(viewer=ANON, filters=ALL)
    with django_assert_num_queries(0):
        assert coverage(viewer=ANON, filters=ALL) == public
    # The curator's scope and another filter are other entries.
    with django_assert_num_queries(1):
        assert coverage(viewer=curator, filters=ALL)[0].needs == 5
    with django_assert_num_queries(1):
        coverage(viewer=ANON, filters=StatsFilter(region="009"))
    cache.clear()


def test_heatmap_programmes_are_the_supply_open_to_each_cell(gap_data, curator):
    """Programmes on offer: by topic, not ended, eligibility and LDC/SIDS flags."""
    from matchmaking.models import Country
    from matchmaking.models import Provider
    from matchmaking.models import StakeholderGroup
    from tests.factories import ProgrammeFactory
    from tests.factories import ProviderFactory

    sids_regions = set(
        Country.objects.filter(is_sids=True).values_list("region_id", flat=True)
    )
    # The M49 facts the figures below rest on.
    assert {"002", "009", "019"} <= sids_regions
    assert "150" not in sids_regions
    assert Country.objects.get(iso3="SEN").is_ldc
    assert not Country.objects.get(iso3="FRA").is_ldc
    provider = gap_data.programmes["p1"].provider
    ldc_senegal = ProgrammeFactory(
        provider=provider, topics=["incident-response"], ldc_only=True
    )
    ldc_senegal.eligible_countries.set(["SEN"])
    ldc_france = ProgrammeFactory(
        provider=provider, topics=["incident-response"], ldc_only=True
    )
    ldc_france.eligible_countries.set(["FRA"])
    civil = ProviderFactory(
        name="Provider D",
        stakeholder_group=StakeholderGroup.objects.get(slug="civil-society"),
    )
    ldc_europe = ProgrammeFactory(
        provider=civil, topics=["incident-response"], ldc_only=True
    )
    ldc_europe.eligible_regions.set(["150"])
    ProgrammeFactory(
        provider=provider,
        topics=["incident-response"],
        starts_on=date(2025, 1, 1),
        ends_on=date(2025, 6, 30),
    )
    ProgrammeFactory(provider=provider, topics=["cyber-exercises"], sids_only=True)
    # Western Africa is an intermediate region (Sub-Saharan Africa, Africa);
    # two topics of one theme: counted once in the theme's row.
    western = ProgrammeFactory(
        provider=provider, topics=["incident-response", "cyber-exercises"]
    )
    western.eligible_regions.set(["011"])

    heat = heatmap(viewer=curator, filters=ALL)
    # p1, the LDC-only one for Senegal, the Western Africa one, the SIDS-only
    # one (Africa has SIDS); not the ended one.
    assert cell(heat, "incident-management-cip", "002") == Cell(4, 1, 3, 4)
    # Europe: no SIDS, no LDC (the LDC-only ones for France and Europe reach
    # no country), and the worldwide one has ended.
    assert cell(heat, "incident-management-cip", "150") == Cell(0, 0, 0, 0)
    assert cell(heat, "incident-management-cip", "009").programmes == 1
    period = StatsFilter(start=date(2025, 3, 1), end=date(2025, 4, 1))
    running = heatmap(viewer=curator, filters=period)
    assert cell(running, "incident-management-cip", "150").programmes == 1

    topics = heatmap(viewer=curator, filters=ALL, rows="topic", columns="subregion")
    assert cell(topics, "incident-response", "202").programmes == 2
    assert cell(topics, "incident-response", "015").programmes == 0
    assert cell(topics, "cyber-exercises", "202").programmes == 2
    assert cell(topics, "cyber-exercises", "015").programmes == 0
    assert cell(topics, "csirt-establishment", "202").programmes == 1

    # The providers table reads the same geography: Provider D's only
    # programme reaches no country.
    table = providers_by_group(viewer=ANON, filters=ALL)
    assert provider_rows(table)["civil-society"] == (
        1,
        dict.fromkeys(["002", "009", "019", "142", "150"], 0),
    )
    assert Provider.objects.count() == 4
