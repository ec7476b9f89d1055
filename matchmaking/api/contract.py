"""The served schema is the contract: a query parameter it does not name is a 400.

The accepted parameters of each operation are read from the OpenAPI schema
drf-spectacular generates (once per process), so what the docs list and what
the API accepts cannot drift apart: a filter added to a FilterSet, or a
parameter declared with ``extend_schema``, is accepted and documented at once.
"""

from __future__ import annotations

import functools
import re
import threading

from django.utils.translation import gettext as _
from drf_spectacular.generators import SchemaGenerator
from rest_framework import exceptions

# Accepted everywhere: DRF's format override (an unknown value is a 400 too).
ALWAYS = frozenset({"format"})

_lock = threading.Lock()


@functools.cache
def _operations() -> tuple[tuple[re.Pattern[str], dict[str, frozenset[str]]], ...]:
    """(path pattern, {METHOD: query parameter names}) for every operation."""
    with _lock:
        schema = SchemaGenerator().get_schema(request=None, public=True)
    table = []
    for path, operations in schema.get("paths", {}).items():
        pieces = re.split(r"\{[^}/]+\}", path)
        pattern = re.compile("^" + "[^/]+".join(map(re.escape, pieces)) + "$")
        methods = {
            method.upper(): frozenset(
                parameter["name"]
                for parameter in operation.get("parameters", [])
                if parameter.get("in") == "query"
            )
            for method, operation in operations.items()
            if isinstance(operation, dict) and "responses" in operation
        }
        table.append((pattern, methods))
    return tuple(table)


def accepted_parameters(path: str, method: str) -> frozenset[str] | None:
    """The query parameters the schema documents for the operation (None: none)."""
    method = "GET" if method == "HEAD" else method
    for pattern, methods in _operations():
        if pattern.match(path) and method in methods:
            return methods[method] | ALWAYS
    return None


def refuse_unknown_parameters(request) -> None:
    """A 400 naming each query parameter the operation does not accept."""
    given = set(request.query_params)
    if not given - ALWAYS:
        return
    accepted = accepted_parameters(request.path_info, request.method)
    if accepted is None:
        return  # not an operation of the schema (OPTIONS, or a 405 to come)
    unknown = sorted(given - accepted)
    if not unknown:
        return
    names = ", ".join(sorted(accepted - ALWAYS)) or "-"
    message = _("Unknown parameter. This operation accepts: %(names)s.") % {
        "names": names
    }
    raise exceptions.ValidationError({name[:100]: [message] for name in unknown})
