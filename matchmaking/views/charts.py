"""Chart geometry for the gap dashboard: heat map, coverage bars, timeline, providers
and map as plain shapes for the templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from matchmaking.stats.coverage import GroupCoverage
from matchmaking.stats.coverage import MapTile
from matchmaking.stats.heatmap import Heatmap
from matchmaking.stats.providers import ProviderTable
from matchmaking.stats.timeline import TIMELINE_SERIES
from matchmaking.stats.timeline import Month

# Sequential blues (light to dark) with a text colour of sufficient contrast.
PALETTE = (
    ("#f3f2f1", "#0b0c0c"),
    ("#d2e2f1", "#0b0c0c"),
    ("#8eb8dc", "#0b0c0c"),
    ("#2e6ea8", "#ffffff"),
    ("#003078", "#ffffff"),
)


SUPPRESSED_FILL = ("#dcdcdc", "#0b0c0c")


SERIES_COLOURS = {
    "opened": "#1d70b8",
    "matched": "#00703c",
    "in_delivery": "#d4351c",
    "fulfilled": "#4c2c92",
}


SERIES_LABELS = {
    "opened": gettext_lazy("Posted"),
    "matched": gettext_lazy("Matched (agreed)"),
    "in_delivery": gettext_lazy("In delivery"),
    "fulfilled": gettext_lazy("Fulfilled"),
}


GROUP_LABELS = {
    "ldc": gettext_lazy("Least developed countries (LDCs)"),
    "lldc": gettext_lazy("Landlocked developing countries (LLDCs)"),
    "sids": gettext_lazy("Small island developing States (SIDS)"),
    "other": gettext_lazy("Other countries"),
}


def shade(value: int | None, top: int) -> tuple[str, str]:
    """Fill and text colours for a count against the largest one shown."""
    if value is None:
        return SUPPRESSED_FILL
    if value <= 0 or top <= 0:
        return PALETTE[0]
    step = min(len(PALETTE) - 1, 1 + (value * (len(PALETTE) - 1) - 1) // top)
    return PALETTE[step]


def shown(value: int | None) -> str:
    """A count as displayed: "<3" when it is suppressed."""
    return "<3" if value is None else str(value)


@dataclass(frozen=True)
class _Grid:
    """Where a table's cells go: a column of row labels, a header, equal cells."""

    label_width: int
    cell_width: int
    cell_height: int
    header: int

    def cell(self, x: int, y: int) -> dict[str, int]:
        """The corner (x, y) and text centre (cx, cy) of column x, row y."""
        left = self.label_width + x * self.cell_width
        top = self.header + y * self.cell_height
        return {"x": left, "y": top, "cx": left + self.cell_width // 2, "cy": top + 22}

    def row(self, label: str, y: int) -> dict[str, Any]:
        return {"label": label, "y": self.header + y * self.cell_height + 22}

    def column(self, label: str, x: int) -> dict[str, Any]:
        centre = self.label_width + x * self.cell_width + self.cell_width // 2
        return {"label": label, "x": centre, "y": self.header - 8}


def heatmap_chart(heat: Heatmap) -> dict[str, Any]:
    """Cells positioned on a grid, coloured by active needs."""
    label_width, cell_width, cell_height = 230, 84, 34
    header = 110 if heat.columns == "subregion" else 40
    grid = _Grid(label_width, cell_width, cell_height, header)
    top = heat.max_needs()
    detail = _("%(covered)s covered, %(unmet)s unmet")
    cells, rows = [], []
    for y, row in enumerate(heat.row_labels):
        rows.append(grid.row(row.label, y))
        for x, column in enumerate(heat.column_labels):
            cell = heat.cells[row.key][column.key]
            fill, ink = shade(cell.needs, top)
            cells.append(
                {
                    "row": row,
                    "column": column,
                    "row_key": row.key,
                    "column_key": column.key,
                    "cell": cell,
                    **grid.cell(x, y),
                    "fill": fill,
                    "ink": ink,
                    "value": f"{shown(cell.needs)} / {cell.programmes}",
                    "detail": detail
                    % {"covered": shown(cell.covered), "unmet": shown(cell.unmet)},
                    "gap": bool(cell.needs) and cell.programmes == 0,
                    "first": x == 0,  # starts a row of the data table
                }
            )
    columns = [grid.column(c.label, x) for x, c in enumerate(heat.column_labels)]
    return {
        "width": label_width + max(1, len(heat.column_labels)) * cell_width + 40,
        "height": header + max(1, len(heat.row_labels)) * cell_height + 10,
        "cell_width": cell_width - 4,
        "cell_height": cell_height - 4,
        "rotate": heat.columns == "subregion",
        "cells": cells,
        "rows": rows,
        "columns": columns,
        "legend": _legend(top),
    }


def _legend(top: int) -> list[dict[str, Any]]:
    return [
        {"fill": fill, "x": 10 + index * 40}
        for index, (fill, _ink) in enumerate(PALETTE)
    ]


def coverage_chart(groups: list[GroupCoverage]) -> dict[str, Any]:
    """Two bars per country group: active needs, and those with a live match."""
    label_width, bar_max, bar_height = 300, 420, 18
    top = max((g.needs or 0 for g in groups), default=0) or 1
    bars = []
    for index, group in enumerate(groups):
        y = 10 + index * 62
        needs_width = bar_max * (group.needs or 0) // top
        covered_width = bar_max * (group.covered or 0) // top
        bars.append(
            {
                "group": group,
                "label": GROUP_LABELS[group.group],
                "y": y,
                "label_y": y + 28,
                "needs_y": y,
                "covered_y": y + bar_height + 4,
                "needs_width": max(needs_width, 1),
                "covered_width": max(covered_width, 1),
                "needs_text": shown(group.needs),
                "covered_text": shown(group.covered),
                "needs_text_x": label_width + max(needs_width, 1) + 6,
                "covered_text_x": label_width + max(covered_width, 1) + 6,
                "share": (
                    f"{round(group.covered_share * 100)}%"
                    if group.covered_share is not None
                    else "-"
                ),
            }
        )
    return {
        "width": label_width + bar_max + 60,
        "height": 20 + len(groups) * 62,
        "label_width": label_width,
        "bar_height": bar_height,
        "bars": bars,
    }


def timeline_chart(months: list[Month]) -> dict[str, Any]:
    """One line per series across the months (suppressed points are skipped)."""
    left, width, height, top_pad = 50, 760, 220, 20
    values = [m.value(name) or 0 for m in months for name in TIMELINE_SERIES]
    peak = max(values, default=0) or 1
    step = width / max(1, len(months) - 1)

    def point(index: int, value: int) -> tuple[float, float]:
        x = left + (index * step if len(months) > 1 else width / 2)
        return round(x, 1), round(top_pad + height - height * value / peak, 1)

    # Month labels and shown counts worked out once here, not by template
    # filters for each of the hundreds of cells and points.
    labels = {m.month: m.month.strftime("%Y-%m") for m in months}
    series = []
    for name in TIMELINE_SERIES:
        points = [
            (*point(i, m.value(name)), m.value(name), m.month)
            for i, m in enumerate(months)
            if m.value(name) is not None
        ]
        series.append(
            {
                "name": name,
                "label": SERIES_LABELS[name],
                "colour": SERIES_COLOURS[name],
                "path": " ".join(f"{x},{y}" for x, y, _v, _m in points),
                "points": [
                    {"x": x, "y": y, "value": v, "label": labels[m]}
                    for x, y, v, m in points
                ],
            }
        )
    ticks = [
        {"x": point(i, 0)[0], "label": m.month.strftime("%Y-%m")}
        for i, m in enumerate(months)
        if len(months) <= 12 or i % max(1, len(months) // 12) == 0
    ]
    return {
        "width": left + width + 40,
        "height": top_pad + height + 70,
        "left": left,
        "right": left + width,
        "base": top_pad + height,
        "top": top_pad,
        "peak": peak,
        "series": series,
        "rows": [
            {
                "label": labels[m.month],
                "cells": [
                    (name, "<3" if m.value(name) is None else m.value(name))
                    for name in TIMELINE_SERIES
                ],
            }
            for m in months
        ],
        "ticks": ticks,
        "legend_y": top_pad + height + 55,
    }


def providers_chart(table: ProviderTable) -> dict[str, Any]:
    """A grid of stakeholder groups x regions, coloured by providers."""
    label_width, cell_width, cell_height, header = 230, 100, 34, 40
    grid = _Grid(label_width, cell_width, cell_height, header)
    top = max(
        (count for group in table.groups for count in group.regions.values()),
        default=0,
    )
    cells, rows = [], []
    for y, group in enumerate(table.groups):
        rows.append(grid.row(group.group.label, y))
        for x, region in enumerate(table.regions):
            value = group.regions.get(region.key, 0)
            fill, ink = shade(value, top)
            cells.append(
                {
                    "group": group.group,
                    "region": region,
                    "row_key": group.group.key,
                    "column_key": region.key,
                    "value": str(value),
                    "gap": False,
                    "first": x == 0,  # starts a row of the data table
                    "total": group.total,
                    **grid.cell(x, y),
                    "fill": fill,
                    "ink": ink,
                }
            )
    return {
        "width": label_width + len(table.regions) * cell_width + 20,
        "height": header + len(table.groups) * cell_height + 10,
        "cell_width": cell_width - 4,
        "cell_height": cell_height - 4,
        "cells": cells,
        "rows": rows,
        "columns": [grid.column(r.label, x) for x, r in enumerate(table.regions)],
    }


def map_chart(tiles: list[MapTile]) -> dict[str, Any]:
    """Sub-region tiles on a grid, coloured by unmet needs."""
    width, height = 118, 78
    top = max((t.unmet or 0 for t in tiles), default=0)
    placed = []
    for tile in tiles:
        fill, ink = shade(tile.unmet, top)
        y = tile.row * (height + 6)
        placed.append(
            {
                "tile": tile,
                "x": tile.column * (width + 6),
                "y": y,
                "cx": tile.column * (width + 6) + width // 2,
                "fill": fill,
                "ink": ink,
                "lines": [
                    {"text": text, "y": y + 16 + index * 14}
                    for index, text in enumerate(_wrap(tile.label, 15)[:3])
                ],
            }
        )
    columns = max((t.column for t in tiles), default=0) + 1
    rows = max((t.row for t in tiles), default=0) + 1
    return {
        "width": columns * (width + 6),
        "height": rows * (height + 6),
        "tile_width": width,
        "tile_height": height,
        "tiles": placed,
    }


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in str(text).split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines
