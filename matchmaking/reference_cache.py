"""Reference data kept between requests, per data generation.

Every catalogue page reads the same reference rows: the eight facets' options
(named in the reader's language, regions and languages in its collation
order) and, for a search, the countries' and topics' names a query may name.
They are kept in the default cache under the generations of every answer and
of the reference family (``matchmaking/api_cache.py``), so an edit of a
region, a language or the taxonomy shows on the next request; for
``REFERENCE_CACHE_SECONDS`` at most (0: read every time).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache

from matchmaking import api_cache


def generation() -> tuple[int, ...] | None:
    """The generations reference data is kept under (one query); None: keep
    nothing (the cache off, or no counters to read)."""
    if settings.REFERENCE_CACHE_SECONDS <= 0:
        return None
    found = api_cache.generations((api_cache.REFERENCE,))
    return None if found is None else found[0]


def kept[T](name: str, generation: tuple[int, ...] | None, build: Callable[[], T]) -> T:
    """``build()``, kept under ``name`` for ``generation`` (None: built now)."""
    if generation is None:
        return build()
    key = "reference:{}:{}".format(name, ".".join(str(g) for g in generation))
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, settings.REFERENCE_CACHE_SECONDS)
    return value
