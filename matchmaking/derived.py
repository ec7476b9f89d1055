"""Near misses and gap advice, computed by the task worker and stored for pages.

Called by ``suggestions.py`` with its engine index in a task of their own,
queued once the suggestions they follow are stored (one need, the needs a
programme edit touches, a full rematch), so that no web process ever needs an
index: pages and the API read the stored rows through
``matchmaking/stored_results.py``.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.db import transaction

from matchmaking import engine
from matchmaking.engine.advisor import CHANGE_COUNTRIES
from matchmaking.engine.advisor import CHANGE_END_DATE
from matchmaking.engine.advisor import CHANGE_PLACES
from matchmaking.enums import UnmetReason
from matchmaking.models import NearMiss
from matchmaking.models import Need
from matchmaking.models import SuggestedChange
from matchmaking.suggestion_store import reason_json

# Kept per need: a reader sees the best three among the programmes they may
# see, so a few more are kept for readers who may not see some of them.
NEAR_MISSES_KEPT = 9

_BULK = 2000

_CHANGE_COLUMNS = ("programme_id", "need_id", "kind", "value")


@dataclass(frozen=True)
class Inputs:
    """What every store here reads besides its batch of needs: the engine's
    index, the database ids of needs and programmes by ref, and the day."""

    index: engine.MatchingIndex
    need_ids: Mapping[str, int]
    programme_ids: Mapping[str, int]
    today: date


def _replace(
    model: type[NearMiss] | type[SuggestedChange],
    columns: Sequence[str],
    rows: Iterable[tuple[Any, ...]],
    *,
    need_ids: Sequence[int],
    everyone: bool,
) -> None:
    """Delete the needs' rows (every row with ``everyone``), insert ``rows``.

    On PostgreSQL the rows go in by COPY (a full refresh stores about ten
    rows a need); elsewhere by bulk_create.
    """
    table = model._meta.db_table
    with connection.cursor() as cursor:
        # Plain DELETE statements: nothing refers to these rows, and the ORM's
        # delete() would read every id first to send signals nobody needs
        # (the API cache is told once by the caller).
        if everyone:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608  # nosec B608
        for start in range(0, 0 if everyone else len(need_ids), _BULK):
            chunk = list(need_ids[start : start + _BULK])
            cursor.execute(
                f"DELETE FROM {table} WHERE need_id IN "  # noqa: S608  # nosec B608
                f"({', '.join(['%s'] * len(chunk))})",
                chunk,
            )
        if connection.vendor == "postgresql":
            names = ", ".join(model._meta.get_field(c).column for c in columns)
            sql = f"COPY {table} ({names}) FROM STDIN"  # nosec B608
            with cursor.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
            return
    model.objects.bulk_create(
        [model(**dict(zip(columns, row, strict=True))) for row in rows],
        batch_size=_BULK,
    )


@transaction.atomic
def store_near_misses(
    inputs: Inputs, batch: engine.NeedBatch, *, everyone: bool = False
) -> int:
    """Recompute and store the near misses of the batch's needs; how many stored.

    ``everyone``: the batch is every active need (the other rows go too).
    """
    rows: list[tuple[Any, ...]] = []
    found = engine.near_misses_many(
        inputs.index, batch, today=inputs.today, top=NEAR_MISSES_KEPT
    )
    for key, misses in found.items():
        for rank, miss in enumerate(misses, start=1):
            programme_id = inputs.programme_ids.get(miss.programme)
            if programme_id is None:
                continue
            reason = reason_json(miss.reason)
            if connection.vendor == "postgresql":
                reason = json.dumps(reason, ensure_ascii=False)
            rows.append(
                (
                    inputs.need_ids[key],
                    programme_id,
                    rank,
                    round(miss.score, 6),
                    miss.rule,
                    reason,
                )
            )
    _replace(
        NearMiss,
        ("need_id", "programme_id", "rank", "score", "rule", "reason"),
        rows,
        need_ids=[inputs.need_ids[key] for key in batch.keys],
        everyone=everyone,
    )
    return len(rows)


def _advice_rows(
    inputs: Inputs,
    batch: engine.NeedBatch,
    *,
    unmet: Collection[str],
    programmes: Collection[str] | None = None,
) -> list[tuple[Any, ...]]:
    """The changes (to ``programmes``, or any) that would serve the batch's
    ``unmet`` needs: one row per need a change serves, the value pooled on read
    (programme id, need id, kind, value)."""
    chosen = [
        (need, features)
        for need, features in zip(batch.needs, batch.features, strict=True)
        if need.key in unmet
    ]
    if not chosen:
        return []
    profiles = [need for need, _ in chosen]
    index = inputs.index
    advice = engine.advise(
        index,
        profiles,
        features=[features for _, features in chosen],
        today=inputs.today,
        weights=engine.fairness_weights(profiles),
        programmes=programmes,
    )
    needs = {need.key: need for need, _ in chosen}
    rows = []
    for item in advice:
        programme_id = inputs.programme_ids.get(item.programme)
        if programme_id is None:
            continue
        for key in item.needs:
            if item.kind == CHANGE_COUNTRIES:
                value = needs[key].country
            elif item.kind == CHANGE_PLACES:
                # The places used when computed; the read adds the needs.
                position = index.position[item.programme]
                value = str(index.programmes[position].capacity_used)
            elif item.kind == CHANGE_END_DATE:
                value = ""  # the day it is read
            else:
                value = item.value
            rows.append((programme_id, inputs.need_ids[key], item.kind, value))
    return rows


@transaction.atomic
def store_advice_for_needs(
    inputs: Inputs,
    batch: engine.NeedBatch,
    *,
    unmet: Collection[str],
    everyone: bool = False,
) -> int:
    """Recompute the changes that would serve the batch's unmet needs (all programmes).

    The batch's met needs lose their rows. Returns how many rows were stored.
    ``everyone``: the batch is every active need (the other rows go too).
    """
    rows = _advice_rows(inputs, batch, unmet=unmet)
    _replace(
        SuggestedChange,
        _CHANGE_COLUMNS,
        rows,
        need_ids=[inputs.need_ids[key] for key in batch.keys],
        everyone=everyone,
    )
    return len(rows)


@transaction.atomic
def store_advice_for_programme(
    inputs: Inputs, batch: engine.NeedBatch, *, programme: str
) -> int:
    """Recompute the changes to one programme that would serve unmet needs.

    ``batch``: the active needs; only those stored as unmet count.
    """
    programme_id = inputs.programme_ids.get(programme)
    if programme_id is None:
        return 0
    unmet = set(
        Need.objects.filter(pk__in=[inputs.need_ids[key] for key in batch.keys])
        .exclude(unmet_reason=UnmetReason.NONE)
        .values_list("ref", flat=True)
    )
    rows: list[tuple[Any, ...]] = []
    if programme in inputs.index.position:
        rows = _advice_rows(inputs, batch, unmet=unmet, programmes={programme})
    SuggestedChange.objects.filter(programme_id=programme_id).delete()
    _replace(SuggestedChange, _CHANGE_COLUMNS, rows, need_ids=[], everyone=False)
    return len(rows)


def needs_near_missed_by(
    index: engine.MatchingIndex, batch: engine.NeedBatch, *, programme: str
) -> set[str]:
    """The needs whose near misses one programme may enter: those it would be
    adequate for by score (its eligibility aside), and those it is stored for.
    """
    found = set(
        NearMiss.objects.filter(programme__ref=programme).values_list(
            "need__ref", flat=True
        )
    )
    if programme in index.position and batch.keys:
        found |= set(engine.needs_within_reach(index, batch, programme=programme))
    return found
