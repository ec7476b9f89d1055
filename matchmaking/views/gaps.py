"""The gap dashboard and its CSV downloads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.http import Http404
from django.http import HttpRequest
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from matchmaking import selectors
from matchmaking import stored_results
from matchmaking.forms import StatsFilterForm
from matchmaking.forms import stats_viewer
from matchmaking.stats.coverage import coverage
from matchmaking.stats.coverage import region_map
from matchmaking.stats.dashboard import dashboard
from matchmaking.stats.heatmap import Heatmap
from matchmaking.stats.heatmap import heatmap
from matchmaking.stats.providers import providers_by_group
from matchmaking.stats.scope import DEFAULT_COLUMNS
from matchmaking.stats.scope import DEFAULT_ROWS
from matchmaking.stats.scope import MIN_GROUP_SIZE
from matchmaking.stats.scope import StatsFilter
from matchmaking.stats.scope import is_curator_scope
from matchmaking.stats.timeline import TIMELINE_SERIES
from matchmaking.stats.timeline import timeline
from matchmaking.stats.unmet import unmet_needs
from matchmaking.views.charts import SERIES_LABELS
from matchmaking.views.charts import coverage_chart
from matchmaking.views.charts import heatmap_chart
from matchmaking.views.charts import map_chart
from matchmaking.views.charts import providers_chart
from matchmaking.views.charts import timeline_chart
from matchmaking.views.csv import _csv_value
from matchmaking.views.csv import csv_response


def filters_refused(
    request: HttpRequest, template: str, form: StatsFilterForm, **context: Any
) -> HttpResponse:
    """A statistics page whose filters are wrong: the form with its errors, a 400."""
    return render(
        request, template, {"form": form, **context, "invalid": True}, status=400
    )


def csv_filters_refused(form: StatsFilterForm) -> HttpResponse:
    """A statistics download whose filters are wrong: the errors as JSON, a 400."""
    return HttpResponse(
        json.dumps({"error": form.errors.get_json_data()}),
        status=400,
        content_type="application/json",
    )


def scope_context(request: HttpRequest, viewer: Any) -> dict[str, Any]:
    """Whose figures a statistics page shows (curators may preview the public
    view), and its query for the links, without that switch."""
    query = request.GET.copy()
    query.pop("view", None)
    return {
        "curator_scope": is_curator_scope(viewer),
        "is_curator": selectors.is_curator(request.user),
        "previewing_public": request.GET.get("view") == "public",
        "query": query.urlencode(),
    }


@require_GET
def gap_dashboard(request: HttpRequest) -> HttpResponse:
    """Public gap dashboard; curators get aggregates over every need."""
    form = StatsFilterForm(request.GET or None)
    viewer = stats_viewer(request)
    if request.GET and not form.is_valid():
        return filters_refused(request, "matchmaking/gap_dashboard.html", form)
    filters = form.filters() if form.is_bound else StatsFilter()
    rows, columns = (
        form.dimensions() if form.is_bound else (DEFAULT_ROWS, DEFAULT_COLUMNS)
    )
    figures = dashboard(viewer=viewer, filters=filters, rows=rows, columns=columns)
    heat, groups, unmet = figures.heatmap, figures.coverage, figures.unmet
    months, providers, tiles = figures.timeline, figures.providers, figures.tiles
    return render(
        request,
        "matchmaking/gap_dashboard.html",
        {
            "form": form,
            **scope_context(request, viewer),
            "heat": heat,
            "heat_chart": heatmap_chart(heat),
            "groups": groups,
            "coverage_chart": coverage_chart(groups),
            "unmet": unmet,
            # The posting day in local time, shown in the language's short
            # date format like every other date.
            "unmet_rows": [
                (need, timezone.localtime(need.created_at).date())
                for need in unmet.items
            ],
            "months": months,
            "timeline_chart": timeline_chart(months),
            "series_labels": SERIES_LABELS,
            "providers": providers,
            "providers_chart": providers_chart(providers),
            "tiles": tiles,
            "map_chart": map_chart(tiles),
            "min_group": MIN_GROUP_SIZE,
        },
    )


@require_GET
def gap_advice(request: HttpRequest) -> HttpResponse:
    """The gap advisor: changes to programmes that would serve unmet needs.

    Narrowed to a cell of the dashboard by its theme and region filters.
    """
    form = StatsFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return filters_refused(request, "matchmaking/gap_advice.html", form)
    filters = form.filters() if form.is_bound else StatsFilter()
    advice = stored_results.gap_advice(
        user=request.user, limit=20, theme=filters.theme, region=filters.region
    )
    return render(
        request,
        "matchmaking/gap_advice.html",
        {
            "form": form,
            "advice": advice,
            "freshness": stored_results.overall_freshness(),
        },
    )


def _heatmap_rows(heat: Heatmap) -> Iterator[list[Any]]:
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
            heatmap(viewer=viewer, filters=filters, rows=rows, columns=columns)
        )
    elif name == "coverage":
        yield ["group", "needs", "covered", "unmet"]
        for group in coverage(viewer=viewer, filters=filters):
            yield [
                group.group,
                _csv_value(group.needs),
                _csv_value(group.covered),
                _csv_value(group.unmet),
            ]
    elif name == "unmet-needs":
        yield ["ref", "title", "country", "reason", "created_at"]
        unmet = unmet_needs(viewer=viewer, filters=filters, limit=None)
        for need in unmet.items:
            yield [
                need.ref,
                need.title,
                need.country,
                need.reason,
                need.created_at.isoformat(),
            ]
    elif name == "timeline":
        yield ["month", *TIMELINE_SERIES]
        for month in timeline(viewer=viewer, filters=filters):
            yield [
                month.month.strftime("%Y-%m"),
                *(_csv_value(month.value(s)) for s in TIMELINE_SERIES),
            ]
    elif name == "providers":
        table = providers_by_group(viewer=viewer, filters=filters)
        yield ["stakeholder_group", "providers", *(r.key for r in table.regions)]
        for group in table.groups:
            yield [
                group.group.key,
                group.total,
                *(group.regions[r.key] for r in table.regions),
            ]
    elif name == "map":
        yield ["subregion", "subregion_name", "needs", "unmet"]
        for tile in region_map(viewer=viewer, filters=filters):
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
        return csv_filters_refused(form)
    return csv_response(_csv_rows(name, stats_viewer(request), form), f"gap-{name}.csv")
