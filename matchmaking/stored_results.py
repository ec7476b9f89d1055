"""What pages and the API read of the engine's work: stored, never computed here.

The task worker computes suggestions, near misses and gap advice
(``suggestions.py``, ``derived.py``); a web process only reads the rows, with
the reader's visibility applied, and says when a refresh is still pending.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import F
from django.db.models import Max
from django.db.models import Q
from django.utils import timezone

from matchmaking import engine
from matchmaking import explain
from matchmaking.engine.profiles import CHANGE_COUNTRIES
from matchmaking.engine.profiles import CHANGE_END_DATE
from matchmaking.engine.profiles import CHANGE_PLACES
from matchmaking.enums import ACTIVE_NEED_STATUSES
from matchmaking.enums import ProgrammeStatus
from matchmaking.enums import UnmetReason
from matchmaking.models import NearMiss
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.models import SuggestedChange
from matchmaking.selectors import needs_visible_to
from matchmaking.selectors import programmes_visible_to
from matchmaking.stats.scope import region_q

# --- freshness -------------------------------------------------------------------


@dataclass(frozen=True)
class Freshness:
    """Whether the engine's results for a record (or all) await a refresh."""

    pending: bool
    computed_at: dt.datetime | None


def _stale(record: Need | Programme) -> bool:
    return record.matched_at is None or record.updated_at > record.matched_at


def _derived_stale(record: Need | Programme) -> bool:
    """Its near misses or advice await the task that follows its suggestions."""
    return record.derived_at is None or (
        record.matched_at is not None and record.derived_at < record.matched_at
    )


def need_freshness(need: Need) -> Freshness:
    """An active need's suggestions: pending after an edit."""
    pending = need.status in ACTIVE_NEED_STATUSES and _stale(need)
    return Freshness(pending=pending, computed_at=need.matched_at)


def near_miss_freshness(need: Need) -> Freshness:
    """An active need's near misses: pending after an edit, and after its
    suggestions until the near misses' own task has run."""
    pending = need.status in ACTIVE_NEED_STATUSES and (
        _stale(need) or _derived_stale(need)
    )
    return Freshness(pending=pending, computed_at=need.derived_at)


def programme_freshness(programme: Programme) -> Freshness:
    """A programme's suggestions and advice: pending after an edit, and after
    its suggestions until the advice's own task has run."""
    return Freshness(
        pending=_stale(programme) or _derived_stale(programme),
        computed_at=programme.derived_at,
    )


def overall_freshness() -> Freshness:
    """Whether any active need or programme awaits a refresh (the gap advisor)."""
    stale = (
        Q(matched_at__isnull=True)
        | Q(updated_at__gt=F("matched_at"))
        | Q(derived_at__isnull=True)
        | Q(derived_at__lt=F("matched_at"))
    )
    pending = (
        Need.objects.filter(stale, status__in=ACTIVE_NEED_STATUSES).exists()
        or Programme.objects.filter(stale).exists()
    )
    computed = Need.objects.filter(status__in=ACTIVE_NEED_STATUSES).aggregate(
        m=Max("derived_at")
    )["m"]
    return Freshness(pending=pending, computed_at=computed)


# --- near misses -------------------------------------------------------------------


@dataclass(frozen=True)
class NearMissView:
    """A programme one rule away from serving a need, and that rule."""

    programme: Programme
    score: float
    rule: str
    reason: dict[str, Any]


def near_misses_for_need(*, user: Any, need: Need, top: int = 3) -> list[NearMissView]:
    """The best programmes a need narrowly missed, among those the user may see.

    Each failed exactly one hard rule (``reason``: which, as a rendered reason)
    and would otherwise be adequate for the need (see ``engine.near_misses``).
    """
    visible = programmes_visible_to(user=user, with_tags=False)
    rows = (
        NearMiss.objects.filter(need=need, programme__in=visible.values("pk"))
        .order_by("rank")
        .select_related("programme__provider", "programme__cost_model")[:top]
    )
    return [
        NearMissView(
            programme=row.programme,
            score=row.score,
            rule=row.rule,
            reason=explain.explained([row.reason])[0],
        )
        for row in rows
    ]


# --- the gap advisor -------------------------------------------------------------


@dataclass(frozen=True)
class AdviceView:
    """A change to a programme and the unmet needs (visible to the reader) it serves."""

    programme: Programme
    kind: str
    value: str
    text: str
    needs: list[Need]
    weight: float


def _pooled_value(kind: str, values: list[str], served: int, today: dt.date) -> str:
    """One change's value over the needs it serves (as ``engine.advise`` pools it)."""
    if kind == CHANGE_COUNTRIES:
        return ",".join(sorted(set(values)))
    if kind == CHANGE_END_DATE:
        return today.isoformat()
    if kind == CHANGE_PLACES:
        return str(int(values[0] or 0) + served)
    return values[0]


def gap_advice(
    *,
    user: Any,
    programme: Programme | None = None,
    limit: int = 20,
    theme: str | None = None,
    region: str | None = None,
) -> list[AdviceView]:
    """Checked changes to published programmes that would serve unmet needs.

    Only the unmet needs the user may see count (and are listed), narrowed to a
    gap cell by ``theme`` (a theme slug) and ``region`` (an M49 code) if given;
    with ``programme``, only changes to that programme (its page). Best first:
    by the needs served, LDCs and SIDS weighing more.
    """
    needs = (
        needs_visible_to(user=user, with_tags=False)
        .filter(status__in=ACTIVE_NEED_STATUSES)
        .exclude(unmet_reason=UnmetReason.NONE)
    )
    if theme:
        needs = needs.filter(topics__theme_id=theme)
    if region:
        needs = needs.filter(region_q("member_state__country__", region))
    rows = SuggestedChange.objects.filter(
        need__in=needs.values("pk"), programme__status=ProgrammeStatus.PUBLISHED
    )
    if programme is not None:
        rows = rows.filter(programme=programme)
    # (programme, kind, pooling key) -> [(need, stored value, weight)]
    pooled: dict[tuple[int, str, str], list[tuple[int, str, float]]] = defaultdict(list)
    refs: dict[int, str] = {}
    for programme_id, ref, kind, value, need_id, ldc, sids in rows.values_list(
        "programme_id",
        "programme__ref",
        "kind",
        "value",
        "need_id",
        "need__member_state__country__is_ldc",
        "need__member_state__country__is_sids",
    ):
        refs[programme_id] = ref
        # Countries and places pool over their needs; the rest by value.
        key = "" if kind in (CHANGE_COUNTRIES, CHANGE_PLACES) else value
        weight = (engine.LDC_WEIGHT if ldc else 1.0) * (
            engine.SIDS_WEIGHT if sids else 1.0
        )
        pooled[(programme_id, kind, key)].append((need_id, value, weight))
    today = timezone.localdate()
    items = []
    for (programme_id, kind, _key), served in pooled.items():
        value = _pooled_value(kind, [v for _n, v, _w in served], len(served), today)
        weight = round(sum(w for _n, _v, w in served), 6)
        items.append((programme_id, kind, value, [n for n, _v, _w in served], weight))
    items.sort(key=lambda a: (-a[4], -len(a[3]), refs[a[0]], a[1], a[2]))
    items = items[:limit]
    programmes = Programme.objects.filter(status=ProgrammeStatus.PUBLISHED).in_bulk(
        [a[0] for a in items]
    )
    by_id = Need.objects.select_related("member_state__country").in_bulk(
        [n for a in items for n in a[3]]
    )
    return [
        AdviceView(
            programme=programmes[programme_id],
            kind=kind,
            value=value,
            text=explain.change_text(kind, value),
            needs=sorted((by_id[n] for n in ids), key=lambda n: n.ref),
            weight=weight,
        )
        for programme_id, kind, value, ids, weight in items
    ]
