"""The API's FilterSets. They live in ``matchmaking/filters.py``: saved searches
store the same queries and match records against them in the task worker, below
the API layer."""

from matchmaking.filters import (
    CountryFilter,
    IsoDateTimeFromToRangeFilter,
    MatchFilter,
    NeedFilter,
    ProgrammeFilter,
    ProviderFilter,
    RegionFilter,
)

__all__ = [
    "CountryFilter",
    "IsoDateTimeFromToRangeFilter",
    "MatchFilter",
    "NeedFilter",
    "ProgrammeFilter",
    "ProviderFilter",
    "RegionFilter",
]
