"""Needs per month: posted, matched, in delivery, fulfilled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import datetime

from django.db import connection
from django.db.models import Count
from django.db.models import F
from django.db.models.functions import TruncMonth

from matchmaking.enums import MatchStatus
from matchmaking.models import MatchEvent
from matchmaking.stats.scope import AnyUser
from matchmaking.stats.scope import StatsFilter
from matchmaking.stats.scope import cached
from matchmaking.stats.scope import is_curator_scope
from matchmaking.stats.scope import period_q
from matchmaking.stats.scope import scoped_needs
from matchmaking.stats.scope import shown_count
from matchmaking.stats.sql import compiled_sql
from matchmaking.stats.sql import fenced

TIMELINE_SERIES = ("opened", "matched", "in_delivery", "fulfilled")
# Milestones of a need's life read from its matches' history.
TIMELINE_EVENTS = {
    "matched": MatchStatus.AGREED,
    "in_delivery": MatchStatus.IN_DELIVERY,
    "fulfilled": MatchStatus.COMPLETED,
}


@dataclass(frozen=True)
class Month:
    month: date
    opened: int | None
    matched: int | None
    in_delivery: int | None
    fulfilled: int | None

    def value(self, series: str) -> int | None:
        return getattr(self, series)


def _month(value: datetime | date | str) -> date:
    if isinstance(value, str):
        # A month from raw SQL on SQLite: "2026-01-01 00:00:00".
        value = date.fromisoformat(value[:10])
    return date(value.year, value.month, 1)


def _months_between(first: date, last: date) -> list[date]:
    months = []
    current = first
    while current <= last:
        months.append(current)
        year, month = current.year, current.month + 1
        if month > 12:
            year, month = year + 1, 1
        current = date(year, month, 1)
    return months


@cached
def timeline(*, viewer: AnyUser, filters: StatsFilter) -> list[Month]:
    """Needs per month: posted, matched (agreed), in delivery, fulfilled.

    Two queries: needs posted per month, and distinct needs reaching each
    milestone per month from the match history (the first month a need reached
    it counts; a need is counted once per milestone and month). The period
    filter is on the month of the event; every month in between is listed.
    """
    return timeline_of(viewer, filters)


def timeline_of(viewer: AnyUser, filters: StatsFilter) -> list[Month]:
    suppress = not is_curator_scope(viewer)
    needs = scoped_needs(viewer, filters, period=False)
    opened = (
        needs.filter(period_q("created_at", filters))
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    # Distinct (month, milestone, need) first, then plain counts: hashed,
    # where a COUNT(DISTINCT) would sort the history. The needs in scope are
    # a fenced subquery: PostgreSQL then hashes the history against the
    # matches in one pass (or probes them for a narrow filter) rather than
    # looping over every need in scope with parallel workers.
    reached, params = compiled_sql(
        MatchEvent.objects.filter(to_status__in=list(TIMELINE_EVENTS.values()))
        .filter(period_q("at", filters))
        .values(month=TruncMonth("at"), reached=F("to_status"), nid=F("match__need"))
        .order_by()
    )
    scope, scope_params = compiled_sql(needs.values("pk"))
    series: dict[str, dict[date, int]] = {name: {} for name in TIMELINE_SERIES}
    for row in opened:
        series["opened"][_month(row["month"])] = row["n"]
    by_status = {status: name for name, status in TIMELINE_EVENTS.items()}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT d.month, d.reached, COUNT(*) FROM (SELECT DISTINCT e.month, "  # noqa: S608  # nosec B608
            f"e.reached, e.nid FROM ({reached}) e "
            f"WHERE e.nid IN ({fenced(scope)})) d GROUP BY d.month, d.reached",
            (*params, *scope_params),
        )
        for month, status, n in cursor.fetchall():
            series[by_status[status]][_month(month)] = n
    seen = [m for values in series.values() for m in values]
    first = filters.start or (min(seen) if seen else None)
    last = filters.end or (max(seen) if seen else None)
    if first is None or last is None:
        return []
    return [
        Month(
            month=month,
            **{
                name: shown_count(series[name].get(month, 0), suppress)
                for name in TIMELINE_SERIES
            },
        )
        for month in _months_between(_month(first), _month(last))
    ]
