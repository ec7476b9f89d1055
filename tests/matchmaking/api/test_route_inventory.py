"""T3: every (route, method) of the URL conf and of the OpenAPI schema is in the matrix.

A new page or endpoint fails here until its access is written down in
tests/matchmaking/api/authz_matrix.py; an entry whose route is gone fails as stale.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern
from django.urls import URLResolver
from django.urls import get_resolver
from drf_spectacular.generators import SchemaGenerator

from . import authz_matrix as matrix

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _declared_methods(view) -> set[str] | None:
    """The methods of ``require_http_methods`` (and kin) around a function view."""
    func = view
    while func is not None:
        code = getattr(func, "__code__", None)
        if code is not None and func.__closure__:
            cells = dict(zip(code.co_freevars, func.__closure__, strict=True))
            if "request_method_list" in cells:
                return {m.upper() for m in cells["request_method_list"].cell_contents}
        func = getattr(func, "__wrapped__", None)
    return None


def methods_of(callback) -> set[str]:
    """The HTTP methods a route's view answers (HEAD and OPTIONS aside)."""
    actions = getattr(callback, "actions", None)
    if actions:  # a DRF viewset route: its method -> action map
        # (DRF adds "head" to the map on the first request it serves.)
        return {method.upper() for method in actions} & set(HTTP_METHODS)
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:  # a class-based view: the handlers it defines
        return {
            method.upper()
            for method in view_class.http_method_names
            if method.upper() in HTTP_METHODS and hasattr(view_class, method)
        }
    declared = _declared_methods(callback)
    if declared is not None:
        return declared & set(HTTP_METHODS)
    # A function view without require_http_methods (or kin) answers any
    # method: the matrix states who may GET and who may POST it.
    return {"GET", "POST"}


def _walk(patterns, namespace: str = "", prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(n for n in (namespace, pattern.namespace) if n)
            yield from _walk(pattern.url_patterns, inner, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            if pattern.name:
                key = f"{namespace}:{pattern.name}" if namespace else pattern.name
            else:
                key = prefix + str(pattern.pattern)
            yield key, pattern.callback


def url_inventory() -> set[tuple[str, str]]:
    """(URL name, or route when unnamed; method) for the whole URL conf."""
    return {
        (key, method)
        for key, callback in _walk(get_resolver().url_patterns)
        for method in methods_of(callback)
    }


def _family(key: str) -> str | None:
    return next((p for p in matrix.WEB_FAMILIES if key.startswith(p)), None)


def matrix_keys() -> set[tuple[str, str]]:
    api = {(name, method) for (_path, method), (name, _c) in matrix.API.items()}
    return api | set(matrix.API_EXTRA) | set(matrix.WEB)


def openapi_operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (path, method.upper())
        for path, operations in schema["paths"].items()
        for method in operations
        if method.upper() in HTTP_METHODS
    }


def test_every_route_and_method_is_in_the_matrix():
    found = {key for key in url_inventory() if _family(key[0]) is None}
    missing = sorted(found - matrix_keys())
    assert missing == [], f"add these (route, method) to authz_matrix.py: {missing}"


def test_no_stale_entries_in_the_matrix():
    found = url_inventory()
    stale = sorted(matrix_keys() - found)
    assert stale == [], f"no such (route, method) any more: {stale}"
    families = {_family(key) for key, _method in found} - {None}
    assert families == set(matrix.WEB_FAMILIES)


def test_every_openapi_operation_is_in_the_matrix():
    operations = openapi_operations()
    assert sorted(operations - set(matrix.API)) == []
    assert sorted(set(matrix.API) - operations) == []


def test_openapi_operations_and_url_names_agree():
    """Each OpenAPI operation's URL name really serves that method."""
    found = url_inventory()
    wrong = sorted(
        (path, method, name)
        for (path, method), (name, _cells) in matrix.API.items()
        if (name, method) not in found
    )
    assert wrong == []


@pytest.mark.parametrize("row", sorted(matrix.WEB.items()))
def test_web_rows_name_a_known_access_category(row):
    (_name, _method), category = row
    assert category in matrix.WEB_ACCESS


def test_every_cell_is_ok_or_a_denial_code():
    rows = [cells for _name, cells in matrix.API.values()]
    rows += list(matrix.API_EXTRA.values()) + list(matrix.WEB_ACCESS.values())
    for cells in rows:
        assert set(cells) == set(matrix.ROLES)
        assert set(cells.values()) <= {matrix.OK, matrix.LOGIN, 401, 403, 404}
