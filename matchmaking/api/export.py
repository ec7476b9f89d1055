"""Bulk export: everything the caller may see, streamed as NDJSON or CSV.

``GET /api/v1/export/{programmes|needs|matches}/?format=ndjson|csv`` streams
the records the caller may see, in the shape of the list endpoints plus a
``cursor``, ordered by that cursor. The rows are read in chunks by keyset
(``pk > last``), so memory stays at one chunk whatever the size; a broken
download resumes with ``?after=<cursor of the last row received>``. Records
created while an export runs come after every earlier one.
"""

from __future__ import annotations

import csv
import gc
import io
import json
from collections.abc import Iterator

from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from drf_spectacular.utils import OpenApiResponse
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework import renderers
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from matchmaking import tagkeys
from matchmaking import translations
from matchmaking.api.base import MAX_PAGE_SIZE
from matchmaking.api.base import ApiViewMixin
from matchmaking.api.base import errors
from matchmaking.api.matches import MatchViewSet
from matchmaking.api.needs import NeedViewSet
from matchmaking.api.permissions import PUBLIC_READ
from matchmaking.api.programmes import ProgrammeViewSet

# Rows read and serialized at a time: the largest page of the lists, so an
# export holds no more than a page does, whatever its length.
CHUNK = MAX_PAGE_SIZE
# A cell a spreadsheet would run as a formula starts with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class NDJSONRenderer(renderers.BaseRenderer):
    """Newline-delimited JSON (only for negotiation: the view streams)."""

    media_type = "application/x-ndjson"
    format = "ndjson"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data).encode()


class CSVRenderer(NDJSONRenderer):
    media_type = "text/csv"
    format = "csv"


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        text = ";".join(value)
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cursor(after: str | None) -> int:
    if after is None:
        return 0
    if not after.isascii() or not after.isdigit() or len(after) > 18:
        raise exceptions.ValidationError(
            {"after": [_("Give the cursor of the last row you received.")]}
        )
    return int(after)


PARAMETERS = [
    OpenApiParameter(
        "format",
        str,
        enum=["ndjson", "csv"],
        description="`ndjson` (one JSON object a line, the default) or `csv`; "
        "or send `Accept: application/x-ndjson` or `text/csv`.",
    ),
    OpenApiParameter(
        "after",
        {"type": "string", "pattern": "^[0-9]{1,18}$"},
        description="Resume after the row with this `cursor`.",
    ),
]


def _documented(what: str, one: str):
    return extend_schema(
        parameters=PARAMETERS,
        responses={
            (200, "application/x-ndjson"): OpenApiResponse(
                OpenApiTypes.STR,
                description=f"The {what} you may see, one JSON object a line "
                "(the list endpoint's shape plus `cursor`).",
            ),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description=f"The {what} you may see as CSV: a header row, "
                "lists joined by `;`, objects as JSON.",
            ),
            # JSON, whatever the export's media type (the view's renderers
            # would otherwise be taken for these too).
            **{
                (code, "application/json"): response
                for code, response in errors(400, 401, 429).items()
            },
        },
        description=f"Stream every {one} you may see, ordered by `cursor`; "
        "resume a broken download with `after`.",
        summary=f"Export {what}",
    )


class ExportViewSet(ApiViewMixin, viewsets.ViewSet):
    """Streamed exports of programmes, needs and matches."""

    permission_classes = PUBLIC_READ
    renderer_classes = [NDJSONRenderer, CSVRenderer]
    throttle_scope = "dataset"
    pagination_class = None
    filter_backends: list = []

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response):  # an error: the one JSON shape
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = "application/json"
        return super().finalize_response(request, response, *args, **kwargs)

    def _stream(self, resource, *, matches: bool = False) -> StreamingHttpResponse:
        view = resource(request=self.request, action="list", format_kwarg=None)
        view.kwargs = {}
        queryset = view.get_queryset() if matches else view.records()
        serializer_class = view.serializer_class
        context = view.get_serializer_context()
        after = _cursor(self.request.query_params.get("after"))
        fields = [
            name
            for name, field in serializer_class(context=context).fields.items()
            if not field.write_only
        ]

        def records() -> Iterator[dict]:
            last = after
            while True:
                chunk = list(queryset.filter(pk__gt=last).order_by("pk")[:CHUNK])
                if not chunk:
                    return
                if not matches:
                    tagkeys.attach_tag_keys(chunk)
                    translations.attach_translations(chunk)
                rows = serializer_class(chunk, many=True, context=context).data
                for record, row in zip(chunk, rows, strict=True):
                    yield {"cursor": str(record.pk), **row}
                last, done = chunk[-1].pk, len(chunk) < CHUNK
                # A chunk's records hold reference cycles (prefetched
                # relations point back at them): collect the young
                # generations now, or chunks pile up until a full collection.
                del chunk, rows
                gc.collect(1)
                if done:
                    return

        if self.request.accepted_renderer.format == "csv":
            content = _csv_lines(["cursor", *fields], records())
            media_type = "text/csv; charset=utf-8"
            suffix = "csv"
        else:
            content = (
                json.dumps(row, ensure_ascii=False, default=str) + "\n"
                for row in records()
            )
            media_type = "application/x-ndjson; charset=utf-8"
            suffix = "ndjson"
        response = StreamingHttpResponse(content, content_type=media_type)
        name = queryset.model._meta.verbose_name_plural
        response["Content-Disposition"] = (
            f'attachment; filename="{str(name).replace(" ", "-")}.{suffix}"'
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @_documented("programmes", "programme")
    @action(detail=False, methods=["get"])
    def programmes(self, request):
        return self._stream(ProgrammeViewSet)

    @_documented("needs", "need")
    @action(detail=False, methods=["get"])
    def needs(self, request):
        return self._stream(NeedViewSet)

    @_documented("matches", "match")
    @action(detail=False, methods=["get"])
    def matches(self, request):
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated
        return self._stream(MatchViewSet, matches=True)


def _csv_lines(header: list[str], rows: Iterator[dict]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(header)
    yield flush()
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in header])
        yield flush()
