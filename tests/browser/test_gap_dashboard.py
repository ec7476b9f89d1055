"""The gap dashboard in a real browser: every chart drawn, filters, tables, axe."""

import pytest
from playwright.sync_api import expect

from tests.factories.matchmaking import TEST_PASSWORD
from tests.matchmaking.stats.conftest import gap_data  # noqa: F401 (shared fixtures)
from tests.matchmaking.stats.conftest import no_stats_cache  # noqa: F401 (shared fixtures)

pytestmark = pytest.mark.browser

CHARTS = (
    "heatmap-chart",
    "coverage-chart",
    "map-chart",
    "timeline-chart",
    "providers-chart",
)

# Every mark of a chart (cell, bar, tile or point) with its data, and the value
# the data table gives for the same row and column.
PAIRS = """
chart => {
  const svg = document.querySelector(`svg[data-chart="${chart}"]`);
  const table = document.querySelector(`table[data-table="${chart}"]`);
  const marks = svg.querySelectorAll("[data-value]");
  return Array.from(marks).map(mark => {
    const row = mark.dataset.row, column = mark.dataset.column;
    const selector = column
      ? `[data-row="${row}"][data-column="${column}"]`
      : `[data-row="${row}"]`;
    const cell = table.querySelector(selector);
    return [row, column || "", mark.dataset.value, cell ? cell.dataset.value : null];
  });
}
"""


def chart_and_table(page, chart: str) -> list[list[str]]:
    return page.evaluate(PAIRS, chart)


def heat_value(page, row: str, column: str) -> str:
    return page.locator(
        f'svg[data-chart="heatmap-chart"] g[data-row="{row}"][data-column="{column}"]'
    ).get_attribute("data-value")


def test_dashboard_draws_every_chart_and_its_table(visit, gap_data, curator):  # noqa: F811
    visitor = visit()
    visitor.goto("/gaps/")
    page = visitor.page
    for chart in CHARTS:
        pairs = chart_and_table(page, chart)
        assert pairs, chart
        mismatched = [pair for pair in pairs if pair[2] != pair[3]]
        assert mismatched == [], chart
        # The SVG has an accessible name and is drawn with a size.
        svg = page.locator(f'svg[data-chart="{chart}"]')
        expect(svg).to_have_attribute("role", "img")
        box = svg.bounding_box()
        assert box is not None
        assert box["width"] > 100
        assert box["height"] > 50
    # Public figures: n1..n3 in Africa, 1 programme on offer (p1); small
    # counts hidden. Fiji: n6 and p4, the programme open to Fiji only.
    assert heat_value(page, "incident-management-cip", "002") == "3 / 1"
    assert heat_value(page, "policy-strategy", "009") == "<3 / 1"
    expect(page.locator("#unmet-table tbody tr")).to_have_count(3)
    expect(page.locator("#unmet-table")).not_to_contain_text("Need n4")
    visitor.check("gap-dashboard")

    # Filters change the charts: cybercrime by topic and sub-region.
    page.get_by_label("Theme").select_option("cybercrime")
    page.get_by_label("Heat map rows").select_option("topic")
    page.get_by_label("Heat map columns").select_option("subregion")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_load_state("networkidle")
    assert "theme=cybercrime" in page.url
    rows = page.locator('svg[data-chart="heatmap-chart"] g.chart-cell')
    expect(rows).to_have_count(5 * 17)
    assert {
        row for row, _column, _value, _cell in chart_and_table(page, "heatmap-chart")
    } == {
        "cybercrime-legislation",
        "law-enforcement",
        "digital-forensics",
        "prosecution-judiciary",
        "cybercrime-cooperation",
    }
    # No public cybercrime need was posted: the timeline says so instead.
    expect(page.locator("#timeline")).to_contain_text(
        "No need was posted and no match moved in this period."
    )
    for chart in CHARTS:
        if chart == "timeline-chart":
            continue
        pairs = chart_and_table(page, chart)
        assert pairs, chart
        assert [pair for pair in pairs if pair[2] != pair[3]] == [], chart
    # Only the academic provider offers a cybercrime programme (to everyone).
    cells = chart_and_table(page, "providers-chart")
    assert {(row, value) for row, _c, value, _t in cells if value != "0"} == {
        ("academia", "1")
    }
    visitor.check("gap-dashboard-filtered")

    # A period bounds the months of the timeline.
    visitor.goto("/gaps/?start=2026-02&end=2026-04")
    pairs = chart_and_table(page, "timeline-chart")
    assert sorted({row for row, _c, _v, _t in pairs}) == [
        "2026-02",
        "2026-03",
        "2026-04",
    ]
    assert [pair for pair in pairs if pair[2] != pair[3]] == []

    # The curator's view counts the confidential n4, without listing it.
    curator_visitor = visit()
    curator_visitor.sign_in("curator", TEST_PASSWORD)
    curator_visitor.goto("/gaps/")
    assert heat_value(curator_visitor.page, "incident-management-cip", "002") == "4 / 1"
    expect(curator_visitor.page.locator("#unmet")).to_contain_text(
        "1 more need that is not public is unmet (not listed)."
    )
    expect(curator_visitor.page.locator("#unmet-table")).not_to_contain_text("Need n4")
    curator_visitor.check("gap-dashboard-curator")


def test_open_data_page_passes_axe(visit, gap_data):  # noqa: F811
    visitor = visit()
    visitor.goto("/open-data/")
    expect(visitor.page.get_by_role("heading", name="Licence")).to_be_visible()
    visitor.check("open-data")
