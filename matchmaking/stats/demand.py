"""Active needs counted once per heat map cell and per group of countries."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Case
from django.db.models import F
from django.db.models import Q
from django.db.models import Value
from django.db.models import When

from matchmaking.enums import ACTIVE_NEED_STATUSES
from matchmaking.models import Need
from matchmaking.models import Topic
from matchmaking.stats.scope import COLUMN_PATH
from matchmaking.stats.scope import AnyUser
from matchmaking.stats.scope import ColumnDimension
from matchmaking.stats.scope import RowDimension
from matchmaking.stats.scope import StatsFilter
from matchmaking.stats.scope import live_match
from matchmaking.stats.scope import need_scope
from matchmaking.stats.scope import scoped_needs
from matchmaking.stats.sql import compiled_sql
from matchmaking.stats.sql import fenced
from matchmaking.stats.sql import table_name


@dataclass(frozen=True)
class NeedGroup:
    """Active needs of one sub-region, kind of country and visibility."""

    subregion: str | None
    ldc: bool
    lldc: bool
    sids: bool
    public: bool
    needs: int
    covered: int  # with a live match and not unmet (0 when not asked for)
    unmet: int


def need_counts(
    viewer: AnyUser,
    filters: StatsFilter,
    *,
    heat: tuple[RowDimension, ColumnDimension] | None = None,
    groups: bool = False,
    live: bool = True,
) -> tuple[dict[tuple[str, str], tuple[int, int, int]], list[NeedGroup]]:
    """The viewer's active needs counted per heat map cell and per group, in one query.

    Each need's facts (its column, sub-region and kind of country, public or
    not, a live match, unmet) are worked out once, then counted per cell (a
    need spread over its rows: once per cell, with no COUNT(DISTINCT) over a
    join) for ``heat`` = (rows, columns), and per ``NeedGroup`` if
    ``groups``, from which coverage, the map and the unmet counts add up.
    ``live=False`` skips the matches (``covered`` is then 0).
    """
    one, zero = Value(1), Value(0)
    facts: dict[str, F | Case | Value] = {"nid": F("pk")}
    if heat:
        facts["c"] = F(COLUMN_PATH[heat[1]])
    if groups:
        country = "member_state__country__"
        facts |= {
            "sub": F(f"{country}subregion"),
            "ldc": F(f"{country}is_ldc"),
            "lldc": F(f"{country}is_lldc"),
            "sids": F(f"{country}is_sids"),
            "pub": Case(When(need_scope(AnonymousUser()), then=one), default=zero),
        }
    # One rule for both: a need is unmet when the engine flagged it (no
    # eligible or relevant-enough programme); covered when it has a live match
    # and is not unmet. So covered + unmet never exceed the needs.
    met = Q(unmet_reason="")
    facts["live"] = (
        Case(When(live_match() & met, then=one), default=zero) if live else zero
    )
    facts["unmet"] = Case(When(~met, then=one), default=zero)
    need_sql, params = compiled_sql(
        scoped_needs(viewer, filters)
        .filter(status__in=ACTIVE_NEED_STATUSES)
        .values(**facts)
    )
    # Read twice (cells and groups): worked out once, as a CTE (which
    # PostgreSQL materialises when it is read more than once). Read once: a
    # fenced subquery all the same, lest a theme filter pushed into it turn
    # the plan into a loop over every need and topic.
    both = heat is not None and groups
    needs = "needs" if both else f"({fenced(need_sql)})"
    parts = []
    if heat:
        # From the needs to their topics (themes: one row per need and theme).
        topics = table_name(Need.topics.through)
        if heat[0] == "topic":
            pairs = (
                f'SELECT n.*, x."topic_id" AS r FROM {needs} n '  # noqa: S608  # nosec B608
                f'INNER JOIN {topics} x ON x."need_id" = n.nid'
            )
        else:
            pairs = (
                "SELECT DISTINCT n.nid, n.c, n.live, n.unmet, "  # noqa: S608  # nosec B608
                f't."theme_id" AS r FROM {needs} n INNER JOIN {topics} x '
                f'ON x."need_id" = n.nid INNER JOIN {table_name(Topic)} t '
                'ON t."slug" = x."topic_id"'
            )
        where = ""
        if heat[0] == "theme" and filters.theme:
            where, params = "WHERE p.r = %s", (*params, filters.theme)
        parts.append(
            "SELECT 'cell', p.r, p.c, NULL, NULL, NULL, NULL, "  # noqa: S608  # nosec B608
            f"COUNT(*), SUM(p.live), SUM(p.unmet) FROM ({pairs}) p {where} "
            "GROUP BY p.r, p.c"
        )
    if groups:
        parts.append(
            "SELECT 'group', n.sub, NULL, n.ldc, n.lldc, n.sids, n.pub, "  # noqa: S608  # nosec B608
            f"COUNT(*), SUM(n.live), SUM(n.unmet) FROM {needs} n "
            "GROUP BY n.sub, n.ldc, n.lldc, n.sids, n.pub"
        )
    sql = " UNION ALL ".join(parts)
    if both:
        sql = f"WITH needs AS ({need_sql}) {sql}"
    demand: dict[tuple[str, str], tuple[int, int, int]] = {}
    found: list[NeedGroup] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for kind, a, b, ldc, lldc, sids, pub, n, covered, unmet in cursor.fetchall():
            if kind == "cell":
                demand[(a, b)] = (int(n), int(covered), int(unmet))
            else:
                found.append(
                    NeedGroup(
                        subregion=a,
                        ldc=bool(ldc),
                        lldc=bool(lldc),
                        sids=bool(sids),
                        public=bool(pub),
                        needs=int(n),
                        covered=int(covered),
                        unmet=int(unmet),
                    )
                )
    return demand, found
