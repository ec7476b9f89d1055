"""The API's FilterSets. They live in ``matchmaking/filters.py``: saved searches
store the same queries and match records against them in the task worker, below
the API layer."""

from __future__ import annotations

from django import forms
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions

from matchmaking.filters import CountryFilter
from matchmaking.filters import IsoDateTimeFromToRangeFilter
from matchmaking.filters import MatchFilter
from matchmaking.filters import NeedFilter
from matchmaking.filters import ProgrammeFilter
from matchmaking.filters import ProviderFilter
from matchmaking.filters import RegionFilter

__all__ = [
    "ApiFilterBackend",
    "CountryFilter",
    "IsoDateTimeFromToRangeFilter",
    "MatchFilter",
    "NeedFilter",
    "ProgrammeFilter",
    "ProviderFilter",
    "RegionFilter",
    "parameter_errors",
]


def parameter_errors(filterset) -> dict[str, list[str]]:
    """The filter form's errors by query parameter (``needed_by_after``, not
    ``needed_by``): a range's error names the half that is wrong."""
    form = filterset.form
    found: dict[str, list[str]] = {}
    for name, messages in form.errors.items():
        texts = [str(message) for message in messages]
        field = form.fields.get(name)
        suffixes = getattr(getattr(field, "widget", None), "suffixes", None)
        if not suffixes:
            found[name] = texts
            continue
        halves = [f"{name}_{suffix}" if suffix else name for suffix in suffixes]
        wrong = []
        for half, sub in zip(halves, field.fields, strict=False):
            try:
                sub.clean(form.data.get(half))
            except forms.ValidationError:
                wrong.append(half)
        for half in wrong or [h for h in halves if h in form.data] or [name]:
            found[half] = texts
    return found


class ApiFilterBackend(DjangoFilterBackend):
    """django-filter's backend; an invalid value is a 400 naming the parameter."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise exceptions.ValidationError(parameter_errors(filterset))
        return filterset.qs
