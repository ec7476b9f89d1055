"""A saved search's query: the API's query string, checked and normalised.

The programme catalogue and the needs register name some filters differently
from the API (``assistance`` is ``assistance_type``...): ``from_page`` says
what a page's search is in the API's words, so that one query means the same
on the page, in the API and in the alert.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _

from matchmaking import selectors
from matchmaking.enums import NeedStatus
from matchmaking.enums import ProgrammeStatus
from matchmaking.filters import NeedFilter
from matchmaking.filters import ProgrammeFilter
from matchmaking.models import QUERY_LENGTH
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.models import SearchScope

FILTERS = {SearchScope.PROGRAMMES: ProgrammeFilter, SearchScope.NEEDS: NeedFilter}
MODELS = {SearchScope.PROGRAMMES: Programme, SearchScope.NEEDS: Need}
# Not part of what is searched for.
IGNORED = frozenset({"page", "page_size", "ordering", "format"})

# Page parameter -> (API parameter, value mapping).
_PROGRAMME_PAGE = {
    "q": "q",
    "theme": "theme",
    "topic": "topic",
    "assistance": "assistance_type",
    "audience": "audience",
    "region": "region",
    "language": "language",
    "mode": "delivery_mode",
    "cost": "cost_model",
    "funder": "funder",
}
_NEED_PAGE = {"q": "q", "theme": "theme", "region": "region"}


def listed(scope: str) -> Q:
    """The records a list shows to everyone who may see them (no drafts)."""
    if scope == SearchScope.PROGRAMMES:
        return Q(status=ProgrammeStatus.PUBLISHED)
    return ~Q(status__in=[NeedStatus.DRAFT, NeedStatus.WITHDRAWN])


def is_listed(scope: str, status: str) -> bool:
    """Whether a record of this status is in its list (``listed``, in memory)."""
    if scope == SearchScope.PROGRAMMES:
        return status == ProgrammeStatus.PUBLISHED
    return status not in (NeedStatus.DRAFT, NeedStatus.WITHDRAWN)


def visible(scope: str, user: Any) -> QuerySet[Any]:
    """The records of the list that the user may see."""
    if scope == SearchScope.PROGRAMMES:
        return selectors.programmes_visible_to(user=user, with_tags=False)
    return selectors.needs_visible_to(user=user, with_tags=False)


def _parameters(filterset: Any) -> set[str]:
    names: set[str] = set()
    for name, field in filterset.form.fields.items():
        suffixes = getattr(field.widget, "suffixes", None)
        if suffixes:
            names.update(f"{name}_{suffix}" if suffix else name for suffix in suffixes)
        else:
            names.add(name)
    return names


def normalise(*, scope: str, query: str) -> str:
    """The query string checked by the list's FilterSet, sorted, without paging.

    Raises ValidationError on ``query`` naming the first bad parameter.
    """
    if scope not in FILTERS:
        raise ValidationError({"scope": [_("Choose programmes or needs.")]})
    data = QueryDict(query.lstrip("?"), mutable=True)
    pairs = sorted(
        (key, value)
        for key, values in data.lists()
        if key not in IGNORED
        for value in values
        if value != ""
    )
    clean = QueryDict(mutable=True)
    for key, value in pairs:
        clean.appendlist(key, value)
    filterset = FILTERS[scope](clean, queryset=MODELS[scope].objects.none())
    unknown = sorted(set(clean) - _parameters(filterset))
    if unknown:
        raise ValidationError(
            {"query": [_("Unknown parameter: %(name)s.") % {"name": unknown[0]}]}
        )
    if not filterset.is_valid():
        name, messages = next(iter(filterset.errors.items()))
        raise ValidationError({"query": [f"{name}: {messages[0]}"]})
    text = urlencode(pairs)
    if len(text) > QUERY_LENGTH:
        raise ValidationError(
            {"query": [_("At most %(count)s characters.") % {"count": QUERY_LENGTH}]}
        )
    return text


def from_page(*, scope: str, page_query: str) -> str:
    """A page's search (catalogue or register parameters) in the API's words."""
    data = QueryDict(page_query.lstrip("?"))
    names = _PROGRAMME_PAGE if scope == SearchScope.PROGRAMMES else _NEED_PAGE
    pairs = [
        (names[key], value)
        for key, values in data.lists()
        if key in names
        for value in values
        if value
    ]
    if scope == SearchScope.PROGRAMMES:
        reserved = data.getlist("eligibility")
        pairs += [
            (f"{flag}_only", "true") for flag in ("ldc", "sids") if flag in reserved
        ]
    return urlencode(pairs)


def matches(*, scope: str, query: str, records: QuerySet[Any]) -> QuerySet[Any]:
    """The records (already scoped to a viewer) that the query selects."""
    filterset = FILTERS[scope](QueryDict(query), queryset=records.filter(listed(scope)))
    if not filterset.is_valid():  # a vocabulary entry removed since: no match
        return records.none()
    return filterset.qs


def to_page(*, scope: str, query: str) -> str:
    """The page parameters showing a saved search's results (those the page has)."""
    names = _PROGRAMME_PAGE if scope == SearchScope.PROGRAMMES else _NEED_PAGE
    page = {api: name for name, api in names.items()}
    pairs = []
    for key, values in QueryDict(query).lists():
        if key in page:
            pairs += [(page[key], value) for value in values]
        elif (
            scope == SearchScope.PROGRAMMES
            and key in ("ldc_only", "sids_only")
            and values[-1] == "true"
        ):
            pairs.append(("eligibility", key.removesuffix("_only")))
    return urlencode(pairs)
