"""Open data: the public dataset and its CSV files."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404
from django.http import HttpRequest
from django.http import HttpResponse
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from matchmaking import selectors
from matchmaking.enums import UnmetReason
from matchmaking.models import TAG_FIELDS
from matchmaking.models import Programme
from matchmaking.stats.scope import MIN_GROUP_SIZE
from matchmaking.views.csv import csv_response


def public_dataset() -> dict:
    """Public programmes and public needs as ``cbm-dataset/1`` (anonymous scope)."""
    # Imported here, not at the top: the dataset exchange and its checks load
    # for the few requests that download the dataset, not in every web worker
    # as it starts (through the URLconf).
    from matchmaking.dataset.exchange import export_dataset

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
    *TAG_FIELDS,
    *Programme.OFFER_FIELDS,
)


NEED_CSV_FIELDS = (
    "ref",
    "country",
    "status",
    "title",
    "summary",
    *TAG_FIELDS,
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
            "min_group": MIN_GROUP_SIZE,
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
    if name == "iati-activities.xml":
        # Imported here, not at the top: the IATI code and lxml (about 10 ms of
        # CPU) would otherwise load in every web worker as it starts, through
        # the URLconf, for the few requests that download the activities.
        from matchmaking.funding import iati

        response = StreamingHttpResponse(
            iati.stream_public_activities(base_url=request.build_absolute_uri("/")),
            content_type="application/xml; charset=utf-8",
        )
        response["Content-Disposition"] = 'inline; filename="iati-activities.xml"'
        return response
    if name == "programmes.csv":
        records, fields = public_dataset()["programmes"], PROGRAMME_CSV_FIELDS
    elif name == "needs.csv":
        records, fields = public_dataset()["needs"], NEED_CSV_FIELDS
    else:
        raise Http404
    rows = [list(fields), *([_flat(r, f) for f in fields] for r in records)]
    return csv_response(rows, name)
