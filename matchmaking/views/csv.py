"""CSV answers that spreadsheets open safely (formula-looking cells neutralised),
streamed.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

from django.http import StreamingHttpResponse


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
