"""Gap statistics: needs against offers, from grouped queries only.

One function per statistic; each runs a fixed number of grouped queries,
whatever the number of needs and programmes, and returns plain frozen data.
They aggregate the small sets first (one row per need or programme, then per
cell) and count distinct values by hashing, not COUNT(DISTINCT) over big
joins; where the ORM cannot nest a grouped subquery, raw SQL wraps the
querysets that carry the scope (visibility still comes from ``selectors``) and
takes table names from the models only, every value as a parameter (so the
``# nosec B608`` marks: no user input is ever formatted into the SQL). The
covering indexes of ``match_need_status_idx``, ``need_stats_idx`` and
``programme_offer_idx`` let PostgreSQL read the wide tables from their
indexes. The dashboard page takes every statistic from ``dashboard``: the
same figures from the same helpers, with the needs read once for the heat
map, the coverage, the map and the unmet counts, and the regions once.

Scope (the ``viewer`` argument) and the small-group rule, as documented on the
open-data page:

* a curator's statistics count every need that is not a draft, whatever its
  visibility (non-public needs appear in aggregates only: no statistic lists
  the content of a need that is not public);
* everyone else's statistics count public needs only (the needs an anonymous
  visitor may see, through ``selectors.need_visibility_q``), so a registered or
  confidential need never moves a public figure;
* in addition, in public statistics any count of needs of 1 or 2 is given as
  ``None`` ("fewer than 3"), so that a narrow filter cannot single out a need.
  Zero stays zero.

Results are cached per statistic, scope, filters and language for
``settings.STATS_CACHE_SECONDS`` (default 60; 0 turns the cache off): the
figures of a dashboard may be up to that old, and a burst of visitors costs
the database one computation per minute and filter combination.
"""
