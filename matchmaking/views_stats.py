"""The gap dashboard, its CSV downloads and the open-data pages (thin HTML layer).

Figures come from ``stats`` (grouped queries with the viewer's scope built in);
this module only parses the filters, lays the charts out as server-side SVG
(no script, nothing the CSP forbids) and writes CSV.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from . import selectors, stats
from .enums import RegionLevel, UnmetReason
from .models import Region, Theme

# --- filters -------------------------------------------------------------------


class _Options(forms.models.ModelChoiceIterator):
    """The options from one plain query (not a server-side cursor's three trips)."""

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


class _ModelChoiceField(forms.ModelChoiceField):
    iterator = _Options


class StatsFilterForm(forms.Form):
    """Theme, region and period (months), plus the heat map's dimensions."""

    theme = _ModelChoiceField(
        Theme.objects.all(),
        required=False,
        to_field_name="slug",
        empty_label=gettext_lazy("All themes"),
        label=gettext_lazy("Theme"),
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )
    region = _ModelChoiceField(
        Region.objects.exclude(level=RegionLevel.INTERMEDIATE).order_by(
            "level", "name_en"
        ),
        required=False,
        empty_label=gettext_lazy("All regions"),
        label=gettext_lazy("Region or sub-region"),
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )
    start = forms.DateField(
        required=False,
        input_formats=["%Y-%m"],
        label=gettext_lazy("From (month)"),
        help_text=gettext_lazy("For example 2026-01"),
        widget=forms.DateInput(
            format="%Y-%m",
            attrs={"class": "govuk-input govuk-input--width-10", "type": "month"},
        ),
        error_messages={"invalid": gettext_lazy("Enter a month as YYYY-MM.")},
    )
    end = forms.DateField(
        required=False,
        input_formats=["%Y-%m"],
        label=gettext_lazy("To (month)"),
        help_text=gettext_lazy("For example 2026-12"),
        widget=forms.DateInput(
            format="%Y-%m",
            attrs={"class": "govuk-input govuk-input--width-10", "type": "month"},
        ),
        error_messages={"invalid": gettext_lazy("Enter a month as YYYY-MM.")},
    )
    rows = forms.ChoiceField(
        choices=[
            ("theme", gettext_lazy("Themes")),
            ("topic", gettext_lazy("Topics")),
        ],
        required=False,
        label=gettext_lazy("Heat map rows"),
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )
    columns = forms.ChoiceField(
        choices=[
            ("region", gettext_lazy("Regions")),
            ("subregion", gettext_lazy("Sub-regions")),
        ],
        required=False,
        label=gettext_lazy("Heat map columns"),
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The last month cannot be before the first."))
        return data

    def filters(self) -> stats.StatsFilter:
        """The valid filters as the statistics take them."""
        data = self.cleaned_data
        return stats.StatsFilter(
            theme=data["theme"].pk if data.get("theme") else None,
            region=data["region"].pk if data.get("region") else None,
            start=data.get("start"),
            end=data.get("end"),
        )

    def dimensions(self) -> tuple[str, str]:
        return (
            self.cleaned_data.get("rows") or "theme",
            self.cleaned_data.get("columns") or "region",
        )


def stats_viewer(request: HttpRequest) -> Any:
    """The user whose scope the figures use; curators may preview public ones."""
    if request.GET.get("view") == "public":
        return AnonymousUser()
    return request.user


# --- chart layout (server-side SVG) ---------------------------------------------

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


def heatmap_chart(heat: stats.Heatmap) -> dict[str, Any]:
    """Cells positioned on a grid, coloured by active needs."""
    label_width, cell_width, cell_height = 230, 84, 34
    header = 110 if heat.columns == "subregion" else 40
    top = heat.max_needs()
    detail = _("%(covered)s covered, %(unmet)s unmet")
    cells, rows = [], []
    for y, row in enumerate(heat.row_labels):
        rows.append({"label": row.label, "y": header + y * cell_height + 22})
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
                    "x": label_width + x * cell_width,
                    "y": header + y * cell_height,
                    "cx": label_width + x * cell_width + cell_width // 2,
                    "cy": header + y * cell_height + 22,
                    "fill": fill,
                    "ink": ink,
                    "value": f"{shown(cell.needs)} / {cell.programmes}",
                    "detail": detail
                    % {"covered": shown(cell.covered), "unmet": shown(cell.unmet)},
                    "gap": bool(cell.needs) and cell.programmes == 0,
                    "first": x == 0,  # starts a row of the data table
                }
            )
    columns = [
        {
            "label": column.label,
            "x": label_width + x * cell_width + cell_width // 2,
            "y": header - 8,
        }
        for x, column in enumerate(heat.column_labels)
    ]
    return {
        "width": label_width + max(1, len(heat.column_labels)) * cell_width + 40,
        "height": header + max(1, len(heat.row_labels)) * cell_height + 10,
        "cell_width": cell_width - 4,
        "cell_height": cell_height - 4,
        "rotate": heat.columns == "subregion",
        # Many columns: drawn at full size and scrolled, not shrunk.
        "wide": len(heat.column_labels) > 8,
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


def coverage_chart(groups: list[stats.GroupCoverage]) -> dict[str, Any]:
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


def timeline_chart(months: list[stats.Month]) -> dict[str, Any]:
    """One line per series across the months (suppressed points are skipped)."""
    left, width, height, top_pad = 50, 760, 220, 20
    values = [m.value(name) or 0 for m in months for name in stats.TIMELINE_SERIES]
    peak = max(values, default=0) or 1
    step = width / max(1, len(months) - 1)

    def point(index: int, value: int) -> tuple[float, float]:
        x = left + (index * step if len(months) > 1 else width / 2)
        return round(x, 1), round(top_pad + height - height * value / peak, 1)

    # Month labels and shown counts worked out once here, not by template
    # filters for each of the hundreds of cells and points.
    labels = {m.month: m.month.strftime("%Y-%m") for m in months}
    series = []
    for name in stats.TIMELINE_SERIES:
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
                    for name in stats.TIMELINE_SERIES
                ],
            }
            for m in months
        ],
        "ticks": ticks,
        "legend_y": top_pad + height + 55,
    }


def providers_chart(table: stats.ProviderTable) -> dict[str, Any]:
    """A grid of stakeholder groups x regions, coloured by providers."""
    label_width, cell_width, cell_height, header = 230, 100, 34, 40
    top = max(
        (count for group in table.groups for count in group.regions.values()),
        default=0,
    )
    cells, rows = [], []
    for y, group in enumerate(table.groups):
        rows.append({"label": group.group.label, "y": header + y * cell_height + 22})
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
                    "x": label_width + x * cell_width,
                    "y": header + y * cell_height,
                    "cx": label_width + x * cell_width + cell_width // 2,
                    "cy": header + y * cell_height + 22,
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
        "columns": [
            {
                "label": r.label,
                "x": label_width + x * cell_width + cell_width // 2,
                "y": header - 8,
            }
            for x, r in enumerate(table.regions)
        ],
    }


def map_chart(tiles: list[stats.MapTile]) -> dict[str, Any]:
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
                    for index, text in enumerate(_wrap(tile.label, 16)[:3])
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


# --- pages -----------------------------------------------------------------------


@require_GET
def gap_dashboard(request: HttpRequest) -> HttpResponse:
    """Public gap dashboard; curators get aggregates over every need."""
    form = StatsFilterForm(request.GET or None)
    viewer = stats_viewer(request)
    if request.GET and not form.is_valid():
        return render(
            request,
            "matchmaking/gap_dashboard.html",
            {"form": form, "invalid": True},
            status=400,
        )
    filters = form.filters() if form.is_bound else stats.StatsFilter()
    rows, columns = form.dimensions() if form.is_bound else ("theme", "region")
    figures = stats.dashboard(
        viewer=viewer, filters=filters, rows=rows, columns=columns
    )
    heat, groups, unmet = figures.heatmap, figures.coverage, figures.unmet
    months, providers, tiles = figures.timeline, figures.providers, figures.tiles
    query = request.GET.copy()
    query.pop("view", None)
    return render(
        request,
        "matchmaking/gap_dashboard.html",
        {
            "form": form,
            "curator_scope": stats.is_curator_scope(viewer),
            "is_curator": selectors.is_curator(request.user),
            "previewing_public": request.GET.get("view") == "public",
            "query": query.urlencode(),
            "heat": heat,
            "heat_chart": heatmap_chart(heat),
            "groups": groups,
            "coverage_chart": coverage_chart(groups),
            "unmet": unmet,
            # The posting day, worked out here rather than by a date filter
            # on each row (the date filter's local time, as ISO 8601).
            "unmet_rows": [
                (need, timezone.localtime(need.created_at).date().isoformat())
                for need in unmet.items
            ],
            "months": months,
            "timeline_chart": timeline_chart(months),
            "series_labels": SERIES_LABELS,
            "providers": providers,
            "providers_chart": providers_chart(providers),
            "tiles": tiles,
            "map_chart": map_chart(tiles),
            "min_group": stats.MIN_GROUP_SIZE,
        },
    )


# --- CSV -------------------------------------------------------------------------


class _Echo:
    def write(self, value: str) -> str:
        return value


# A text cell starting with one of these is a formula to a spreadsheet (OWASP
# "CSV injection"): such cells get a leading apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return f"'{value}"
    return value


def csv_response(rows: Iterable[Iterable[Any]], filename: str) -> StreamingHttpResponse:
    """A CSV download (UTF-8, RFC 4180 line ends) named ``filename``."""
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow([_safe_cell(value) for value in row]) for row in rows),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv_value(value: int | None) -> str | int:
    return "<3" if value is None else value


def _heatmap_rows(heat: stats.Heatmap) -> Iterator[list[Any]]:
    yield [
        heat.rows,
        f"{heat.rows}_name",
        heat.columns,
        f"{heat.columns}_name",
        "needs",
        "covered",
        "unmet",
        "programmes",
    ]
    for row in heat.row_labels:
        for column in heat.column_labels:
            cell = heat.cells[row.key][column.key]
            yield [
                row.key,
                row.label,
                column.key,
                column.label,
                _csv_value(cell.needs),
                _csv_value(cell.covered),
                _csv_value(cell.unmet),
                cell.programmes,
            ]


def _csv_rows(name: str, viewer: Any, form: StatsFilterForm) -> Iterator[list[Any]]:
    filters = form.filters()
    if name == "heatmap":
        rows, columns = form.dimensions()
        yield from _heatmap_rows(
            stats.heatmap(viewer=viewer, filters=filters, rows=rows, columns=columns)
        )
    elif name == "coverage":
        yield ["group", "needs", "covered", "unmet"]
        for group in stats.coverage(viewer=viewer, filters=filters):
            yield [
                group.group,
                _csv_value(group.needs),
                _csv_value(group.covered),
                _csv_value(group.unmet),
            ]
    elif name == "unmet-needs":
        yield ["ref", "title", "country", "reason", "created_at"]
        unmet = stats.unmet_needs(viewer=viewer, filters=filters, limit=None)
        for need in unmet.items:
            yield [
                need.ref,
                need.title,
                need.country,
                need.reason,
                need.created_at.isoformat(),
            ]
    elif name == "timeline":
        yield ["month", *stats.TIMELINE_SERIES]
        for month in stats.timeline(viewer=viewer, filters=filters):
            yield [
                month.month.strftime("%Y-%m"),
                *(_csv_value(month.value(s)) for s in stats.TIMELINE_SERIES),
            ]
    elif name == "providers":
        table = stats.providers_by_group(viewer=viewer, filters=filters)
        yield ["stakeholder_group", "providers", *(r.key for r in table.regions)]
        for group in table.groups:
            yield [
                group.group.key,
                group.total,
                *(group.regions[r.key] for r in table.regions),
            ]
    elif name == "map":
        yield ["subregion", "subregion_name", "needs", "unmet"]
        for tile in stats.region_map(viewer=viewer, filters=filters):
            yield [
                tile.code,
                tile.label,
                _csv_value(tile.needs),
                _csv_value(tile.unmet),
            ]


CSV_STATISTICS = ("heatmap", "coverage", "unmet-needs", "timeline", "providers", "map")


@require_GET
def gap_csv(request: HttpRequest, name: str) -> HttpResponse:
    """One statistic of the dashboard as CSV, with the same filters and scope."""
    if name not in CSV_STATISTICS:
        raise Http404
    form = StatsFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponse(
            json.dumps({"error": form.errors.get_json_data()}),
            status=400,
            content_type="application/json",
        )
    return csv_response(_csv_rows(name, stats_viewer(request), form), f"gap-{name}.csv")


# --- open data -------------------------------------------------------------------


def public_dataset() -> dict:
    """Public programmes and public needs as ``cbm-dataset/1`` (anonymous scope)."""
    from .dataset import export_dataset

    anonymous = AnonymousUser()
    return export_dataset(
        providers=selectors.providers_visible_to(user=anonymous).none(),
        programmes=selectors.programmes_visible_to(user=anonymous),
        needs=selectors.needs_visible_to(user=anonymous),
        about=_(
            "Public programmes and needs of the cyber capacity-building "
            "matchmaking platform; licence CC BY 4.0."
        ),
    )


PROGRAMME_CSV_FIELDS = (
    "ref",
    "provider",
    "status",
    "title",
    "summary",
    "topics",
    "assistance_types",
    "audiences",
    "languages",
    "delivery_modes",
    "eligible_regions",
    "eligible_countries",
    "ldc_only",
    "sids_only",
    "cost_model",
    "capacity",
    "starts_on",
    "ends_on",
)
NEED_CSV_FIELDS = (
    "ref",
    "country",
    "status",
    "title",
    "summary",
    "topics",
    "assistance_types",
    "audiences",
    "languages",
    "delivery_modes",
    "priority",
    "needed_by",
)


def _flat(record: dict, name: str) -> Any:
    """A dataset value in one CSV cell: lists joined with ';'."""
    if name.startswith("eligible_") or name in ("ldc_only", "sids_only"):
        value = record["eligibility"][name.removeprefix("eligible_")]
    else:
        value = record[name]
    if isinstance(value, list):
        return ";".join(value)
    if value is None:
        return ""
    return value


@require_GET
def open_data(request: HttpRequest) -> HttpResponse:
    """What can be downloaded, its fields and its licence."""
    return render(
        request,
        "matchmaking/open_data.html",
        {
            "min_group": stats.MIN_GROUP_SIZE,
            "cache_seconds": getattr(settings, "STATS_CACHE_SECONDS", 60),
            "unmet_reasons": [c for c in UnmetReason.choices if c[0]],
        },
    )


@require_GET
def open_data_download(request: HttpRequest, name: str) -> HttpResponse:
    """The public dataset as JSON, or its programmes or needs as CSV."""
    if name == "dataset.json":
        response = HttpResponse(
            json.dumps(public_dataset(), cls=DjangoJSONEncoder, ensure_ascii=False),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = 'attachment; filename="cbm-dataset.json"'
        return response
    if name == "programmes.csv":
        records, fields = public_dataset()["programmes"], PROGRAMME_CSV_FIELDS
    elif name == "needs.csv":
        records, fields = public_dataset()["needs"], NEED_CSV_FIELDS
    else:
        raise Http404
    rows = [list(fields), *([_flat(r, f) for f in fields] for r in records)]
    return csv_response(rows, name)
