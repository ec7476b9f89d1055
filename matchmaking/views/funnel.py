"""The conversion funnel page and its CSV download."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from matchmaking.forms import StatsFilterForm
from matchmaking.forms import stats_viewer
from matchmaking.stats.funnel import FUNNEL_STEPS
from matchmaking.stats.funnel import Funnel
from matchmaking.stats.funnel import FunnelGroup
from matchmaking.stats.funnel import funnel
from matchmaking.stats.funnel import step_label
from matchmaking.stats.scope import MIN_GROUP_SIZE
from matchmaking.stats.scope import StatsFilter
from matchmaking.views.charts import shown
from matchmaking.views.csv import _csv_value
from matchmaking.views.csv import csv_response
from matchmaking.views.gaps import csv_filters_refused
from matchmaking.views.gaps import filters_refused
from matchmaking.views.gaps import scope_context

# The filters the funnel takes (the heat map's row and column choices do not apply).
FILTER_FIELDS = ("theme", "region", "start", "end")
DIMENSION_TITLES = {
    "theme": _("By theme"),
    "region": _("By region"),
    "country_group": _("By country group (LDCs, SIDS)"),
    "provider_group": _("By provider stakeholder group"),
    "origin": _("By origin"),
}


def _median(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def funnel_chart(overall: FunnelGroup | None) -> dict[str, Any]:
    """One horizontal bar per step, its length the matches that reached it."""
    label_width, bar_max, bar_height, pitch = 220, 360, 22, 34
    steps = overall.steps if overall else ()
    top = max((s.reached or 0 for s in steps), default=0) or 1
    bars = []
    for index, step in enumerate(steps):
        y = 10 + index * pitch
        width = max(1, bar_max * (step.reached or 0) // top)
        bars.append(
            {
                "step": step.step,
                "label": step_label(step.step),
                "y": y,
                "text_y": y + 16,
                "width": width,
                "text": shown(step.reached),
                "text_x": label_width + width + 6,
            }
        )
    return {
        "width": label_width + bar_max + 70,
        "height": 20 + len(bars) * pitch,
        "label_width": label_width,
        "bar_height": bar_height,
        "bars": bars,
    }


def _share(reached: int | None, base: int | None) -> str:
    if reached is None or not base:
        return "-"
    return f"{round(reached * 100 / base)}%"


def _rows(group: FunnelGroup) -> list[dict[str, Any]]:
    base = group.steps[0].reached if group.steps else None
    return [
        {
            "step": step.step,
            "label": step_label(step.step),
            "reached": shown(step.reached),
            "share": _share(step.reached, base),
            "median": _median(step.median_days),
        }
        for step in group.steps
    ]


def _tables(found: Funnel) -> list[dict[str, Any]]:
    return [
        {
            "dimension": dimension,
            "title": title,
            "groups": [
                {"group": group, "cells": _rows(group)}
                for group in found.dimension(dimension)
            ],
        }
        for dimension, title in DIMENSION_TITLES.items()
    ]


@require_GET
def funnel_page(request: HttpRequest) -> HttpResponse:
    """The conversion funnel: public figures, curators' over every need."""
    form = StatsFilterForm(request.GET or None)
    viewer = stats_viewer(request)
    fields = [form[name] for name in FILTER_FIELDS]
    if request.GET and not form.is_valid():
        return filters_refused(
            request, "matchmaking/gap_funnel.html", form, fields=fields
        )
    filters = form.filters() if form.is_bound else StatsFilter()
    found = funnel(viewer=viewer, filters=filters)
    overall = next(iter(found.dimension("all")), None)
    return render(
        request,
        "matchmaking/gap_funnel.html",
        {
            "form": form,
            "fields": fields,
            **scope_context(request, viewer),
            "chart": funnel_chart(overall),
            "overall": _rows(overall) if overall else [],
            "step_labels": [step_label(step) for step in FUNNEL_STEPS],
            "tables": _tables(found),
            "min_group": MIN_GROUP_SIZE,
        },
    )


def _csv_rows(found: Funnel) -> Iterator[list[Any]]:
    yield ["dimension", "key", "label", "step", "reached", "median_days"]
    for group in found.groups:
        for step in group.steps:
            yield [
                group.dimension,
                group.key,
                group.label,
                step.step,
                _csv_value(step.reached),
                "" if step.median_days is None else step.median_days,
            ]


@require_GET
def funnel_csv(request: HttpRequest) -> HttpResponse:
    """The funnel as CSV, with the page's filters and scope."""
    form = StatsFilterForm(request.GET)
    if not form.is_valid():
        return csv_filters_refused(form)
    found = funnel(viewer=stats_viewer(request), filters=form.filters())
    return csv_response(_csv_rows(found), "gap-funnel.csv")
