"""Storing the engine's rankings as suggestions (the task worker's writes).

Persisted suggestions are ``Match`` rows with status "suggested" and origin
"engine". A match somebody acted on (interest, declined, ...) or a curator's
proposal is never overwritten or removed by the engine.

On PostgreSQL the rankings are merged in one statement, their rows sent with
it as arrays when they are few (one need's refresh) or copied (COPY) into a
temporary table first: it deletes the ranked needs' engine suggestions that
left their top, inserts the new ones, updates the kept ones and writes the
needs' statuses (unmet reason, when matched), and its conflict rule leaves
every match that is no longer an engine suggestion untouched, even one acted
on while the engine was ranking. Other databases take the portable path (read
the existing pairs, delete, bulk upsert, then the needs' statuses). The API
cache's counters move with the store's last statement, before its commit.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.db import transaction
from django.utils import timezone

from matchmaking import api_cache
from matchmaking import engine
from matchmaking import notifications
from matchmaking.enums import MatchOrigin
from matchmaking.enums import MatchStatus
from matchmaking.enums import UnmetReason
from matchmaking.models import EventKind
from matchmaking.models import Match
from matchmaking.models import Need

_BULK = 2000
# Up to this many suggestions are merged with their rows sent as arrays in the
# statement; more are copied into a temporary table first (PostgreSQL).
_INLINE_ROWS = 1000


def reason_json(reason: engine.Reason) -> dict[str, Any]:
    """A reason as stored with a match: its code and JSON-able params.

    The text is rendered on read, in the reader's language (``explain``).
    """
    params = {
        key: list(value) if isinstance(value, (tuple, frozenset, set)) else value
        for key, value in reason.params.items()
    }
    return {"code": reason.code, "params": params}


def components_json(components: engine.Components) -> dict[str, float | None]:
    """The score components as stored with a match (None: the need gave no data)."""
    return {
        key: (round(value, 4) if value is not None else None)
        for key, value in asdict(components).items()
    }


class _Suggestion(NamedTuple):
    need_id: int
    programme_id: int
    score: float
    rank: int
    components: dict[str, float | None]
    reasons: list[dict[str, Any]]


class _New(NamedTuple):
    """A suggestion the store inserted (not one it updated)."""

    match_id: int
    need_id: int
    programme_id: int
    score: float
    rank: int


def _rows(
    results: Sequence[engine.NeedResult],
    need_ids: Mapping[str, int],
    programme_ids: Mapping[str, int],
) -> Iterator[_Suggestion]:
    # The engine shares identical reason tuples between matches: render each
    # once, keyed by identity (``results`` keeps every tuple alive meanwhile;
    # a Reason's hash leaves out its params, so hashing them would collide).
    rendered: dict[int, list[dict[str, Any]]] = {}
    for result in results:
        need_id = need_ids[result.need]
        for rank, found in enumerate(result.matches, start=1):
            reasons = rendered.get(id(found.reasons))
            if reasons is None:
                reasons = rendered[id(found.reasons)] = [
                    reason_json(r) for r in found.reasons
                ]
            yield _Suggestion(
                need_id=need_id,
                programme_id=programme_ids[found.programme],
                score=min(1.0, max(0.0, round(found.score, 6))),
                rank=rank,
                components=components_json(found.components),
                reasons=reasons,
            )


def persist_results(
    results: Sequence[engine.NeedResult],
    *,
    need_ids: Mapping[str, int],
    programme_ids: Mapping[str, int],
    as_of: dt.datetime | None = None,
) -> int:
    """Store the engine's rankings as suggestions, leaving acted-on matches alone.

    ``as_of``: when the data ranked was read (the needs' "last matched" time;
    default now). Returns how many suggestions were written.
    """
    # Its own transaction (not one a caller holds open): the API cache's
    # counters are moved by its last statement (see below).
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        written = _persist(
            results, need_ids=need_ids, programme_ids=programme_ids, as_of=as_of
        )
        api_cache.changed()  # bulk writes send no signal
        if outermost:
            api_cache.bump_before_commit()
    return written


def _persist(
    results: Sequence[engine.NeedResult],
    *,
    need_ids: Mapping[str, int],
    programme_ids: Mapping[str, int],
    as_of: dt.datetime | None,
) -> int:
    now = timezone.now()
    pks = [need_ids[r.need] for r in results]
    by_reason: dict[str, list[int]] = defaultdict(list)
    for result in results:
        by_reason[result.unmet or UnmetReason.NONE].append(need_ids[result.need])
    # Read before the needs' new statuses are written.
    was_unmet = _already_unmet(by_reason)
    if connection.vendor == "postgresql":
        # The needs' statuses are written by the merge's statement (a round
        # trip of a need's refresh less).
        written, new = _merge_postgresql(
            results,
            need_ids=need_ids,
            programme_ids=programme_ids,
            ranked=pks,
            now=now,
            statuses=by_reason,
            matched_at=as_of or now,
        )
    else:
        rows = list(_rows(results, need_ids, programme_ids))
        written, new = _merge_portable(rows, need_ids=pks, now=now)
        for reason, ids in by_reason.items():
            for start in range(0, len(ids), _BULK):
                # update() leaves updated_at alone: matching is not an edit
                # of the need.
                Need.objects.filter(pk__in=ids[start : start + _BULK]).update(
                    unmet_reason=reason, matched_at=as_of or now
                )
    _announce_suggestions(new)
    _announce_unmet(by_reason, already=was_unmet)
    return written


def _worth_announcing(score: float, rank: int) -> bool:
    return (
        score >= settings.NOTIFICATIONS_SUGGESTION_MIN_SCORE
        and rank <= settings.NOTIFICATIONS_SUGGESTION_MAX_RANK
    )


def _merge_portable(
    rows: Sequence[_Suggestion], *, need_ids: Sequence[int], now: dt.datetime
) -> tuple[int, list[_New]]:
    """Read the ranked needs' matches, delete what left the top, bulk upsert."""
    protected: set[tuple[int, int]] = set()
    stale: dict[tuple[int, int], int] = {}
    for start in range(0, len(need_ids), _BULK):
        for pk, need_id, programme_id, status, origin in Match.objects.filter(
            need_id__in=need_ids[start : start + _BULK]
        ).values_list("id", "need_id", "programme_id", "status", "origin"):
            pair = (need_id, programme_id)
            if status == MatchStatus.SUGGESTED and origin == MatchOrigin.ENGINE:
                stale[pair] = pk
            else:
                protected.add(pair)
    existing = set(stale)
    kept = [r for r in rows if (r.need_id, r.programme_id) not in protected]
    for row in kept:
        stale.pop((row.need_id, row.programme_id), None)
    stale_ids = list(stale.values())
    for start in range(0, len(stale_ids), _BULK):
        Match.objects.filter(pk__in=stale_ids[start : start + _BULK]).delete()
    Match.objects.bulk_create(
        [
            Match(
                **row._asdict(),
                status=MatchStatus.SUGGESTED,
                origin=MatchOrigin.ENGINE,
                created_at=now,
                updated_at=now,
            )
            for row in kept
        ],
        batch_size=_BULK,
        update_conflicts=True,
        unique_fields=["need", "programme"],
        update_fields=["score", "rank", "components", "reasons", "updated_at"],
    )
    good = {
        (r.need_id, r.programme_id): r
        for r in kept
        if (r.need_id, r.programme_id) not in existing
        and _worth_announcing(r.score, r.rank)
    }
    new = []
    ids = sorted({n for n, _p in good})
    for start in range(0, len(ids), _BULK):
        for pk, need_id, programme_id in Match.objects.filter(
            need_id__in=ids[start : start + _BULK], status=MatchStatus.SUGGESTED
        ).values_list("id", "need_id", "programme_id"):
            row = good.get((need_id, programme_id))
            if row is not None:
                new.append(_New(pk, need_id, programme_id, row.score, row.rank))
    return len(kept), new


def _encoded_rows(
    results: Sequence[engine.NeedResult],
    need_ids: Mapping[str, int],
    programme_ids: Mapping[str, int],
) -> Iterator[tuple[int, int, float, int, str, str]]:
    """The suggestions as COPY rows: ids, score, rank, and their JSON texts.

    The same values as :func:`_rows` renders, encoded as ``json.dumps`` would
    encode them. The engine shares its reason objects between matches: each is
    encoded once, keyed by identity (``results`` keeps them alive meanwhile),
    and so is each shared tuple of them.
    """
    one: dict[int, str] = {}
    lists: dict[int, str] = {}
    dumps = json.dumps
    for result in results:
        need_id = need_ids[result.need]
        for rank, found in enumerate(result.matches, start=1):
            reasons = lists.get(id(found.reasons))
            if reasons is None:
                parts = []
                for reason in found.reasons:
                    text = one.get(id(reason))
                    if text is None:
                        text = one[id(reason)] = dumps(
                            reason_json(reason), ensure_ascii=False
                        )
                    parts.append(text)
                reasons = lists[id(found.reasons)] = "[" + ", ".join(parts) + "]"
            yield (
                need_id,
                programme_ids[found.programme],
                min(1.0, max(0.0, round(found.score, 6))),
                rank,
                _components_text(found.components),
                reasons,
            )


def _components_text(components: engine.Components) -> str:
    """``json.dumps(components_json(components))``, without the dict."""
    c = components
    values = (c.topic, c.text, c.audience, c.assistance, c.delivery, c.reach)
    texts = ["null" if v is None else repr(round(v, 4)) for v in values]
    return (
        f'{{"topic": {texts[0]}, "text": {texts[1]}, "audience": {texts[2]}, '
        f'"assistance": {texts[3]}, "delivery": {texts[4]}, "reach": {texts[5]}}}'
    )


def _merge_postgresql(
    results: Sequence[engine.NeedResult],
    *,
    need_ids: Mapping[str, int],
    programme_ids: Mapping[str, int],
    ranked: Sequence[int],
    now: dt.datetime,
    statuses: Mapping[str, Sequence[int]],
    matched_at: dt.datetime,
) -> tuple[int, list[_New]]:
    """COPY the suggestions into a temporary table, then merge them in one statement.

    The same statement writes the ranked needs' unmet reasons (``statuses``:
    reason -> need ids) and when they were matched (leaving ``updated_at``
    alone: matching is not an edit of the need).

    Only what changed is written: engine suggestions that left their need's
    top are deleted, those whose score, rank, components or reasons changed
    are updated, new pairs are inserted; an unchanged suggestion is not
    touched (a full rematch of unchanged data writes no match row). Returns
    how many suggestions the ranking stored (new, changed or unchanged: every
    ranked pair except those somebody acted on) and the new ones worth
    announcing.
    """
    table = Match._meta.db_table
    needs = Need._meta.db_table
    marked_ids = [pk for pks in statuses.values() for pk in pks]
    marked_reasons = [reason for reason, pks in statuses.items() for _ in pks]
    inline = sum(len(r.matches) for r in results) <= _INLINE_ROWS
    source, source_params = "", []
    with connection.cursor() as cursor:
        if inline:
            # A few needs' rows (one need's refresh: ten) go with the
            # statement as arrays, read as a CTE of the temporary table's
            # name: four round trips fewer than creating, filling, analysing
            # and dropping the table (about a fifth of a refresh on a busy
            # server), for the same rows and the same merge.
            columns: list[list[Any]] = [[], [], [], [], [], []]
            for row in _encoded_rows(results, need_ids, programme_ids):
                for column, value in zip(columns, row, strict=True):
                    column.append(value)
            source = (
                "cbm_suggestion AS MATERIALIZED (SELECT * FROM unnest("
                "%s::bigint[], %s::bigint[], %s::double precision[], "
                "%s::smallint[], %s::jsonb[], %s::jsonb[]) AS s(need_id, "
                "programme_id, score, rank, components, reasons)), "
            )
            source_params = columns
        else:
            # Temporary: never WAL-logged, private to this session, gone at
            # commit.
            cursor.execute(
                "CREATE TEMPORARY TABLE cbm_suggestion (need_id bigint, "
                "programme_id bigint, score double precision, rank smallint, "
                "components jsonb, reasons jsonb) ON COMMIT DROP"
            )
            with cursor.cursor.copy(
                "COPY cbm_suggestion (need_id, programme_id, score, rank, "
                "components, reasons) FROM STDIN"
            ) as copy:
                for row in _encoded_rows(results, need_ids, programme_ids):
                    copy.write_row(row)
            # Its size and pairs for the planner: hundreds of thousands of
            # rows for a full rematch (hashed).
            cursor.execute("ANALYZE cbm_suggestion (need_id, programme_id)")
        # One statement, every part reading the same snapshot: "current" is
        # each ranked pair's existing match, if any. The ranked needs' engine
        # suggestions that are not in the new top go; engine suggestions in
        # it are updated only if something differs; pairs with no match are
        # inserted (a match made meanwhile, say a curator's proposal, wins:
        # DO NOTHING). Matches somebody acted on are never touched. The table
        # name comes from the model, the values are parameters.
        cursor.execute(
            f"WITH {source}marked AS ("  # noqa: S608  # nosec B608
            f"UPDATE {needs} n SET unmet_reason = u.reason, matched_at = %s "
            "FROM unnest(%s::bigint[], %s::text[]) AS u(id, reason) "
            "WHERE n.id = u.id), "
            "removed AS ("
            f"DELETE FROM {table} m WHERE m.need_id = ANY(%s) "
            "AND m.status = %s AND m.origin = %s AND NOT EXISTS ("
            "SELECT 1 FROM cbm_suggestion s WHERE s.need_id = m.need_id "
            "AND s.programme_id = m.programme_id)), "
            "current AS (SELECT s.need_id, s.programme_id, s.score, s.rank, "
            "s.components, s.reasons, m.id, "
            "(m.status = %s AND m.origin = %s) AS engine, "
            "(m.score, m.rank, m.components, m.reasons) IS DISTINCT FROM "
            "(s.score, s.rank, s.components, s.reasons) AS differs "
            f"FROM cbm_suggestion s LEFT JOIN {table} m "
            "ON m.need_id = s.need_id AND m.programme_id = s.programme_id), "
            f"changed AS (UPDATE {table} m SET score = c.score, rank = c.rank, "
            "components = c.components, reasons = c.reasons, updated_at = %s "
            "FROM current c WHERE m.id = c.id AND c.engine AND c.differs "
            "AND m.status = %s AND m.origin = %s), "
            f"inserted AS (INSERT INTO {table} (need_id, programme_id, score, "
            "rank, components, reasons, status, origin, note, decline_reason, "
            "decline_code, feedback_outcome, feedback_comments, created_at, "
            "updated_at) "
            "SELECT need_id, programme_id, score, rank, components, reasons, "
            "%s, %s, '', '', '', '', '', %s, %s FROM current WHERE id IS NULL "
            "ON CONFLICT (need_id, programme_id) DO NOTHING "
            f"RETURNING {table}.id, {table}.need_id, {table}.programme_id, "
            f"{table}.score, {table}.rank) "
            "SELECT (SELECT count(*) FROM current WHERE engine) "
            "+ (SELECT count(*) FROM inserted), "
            "i.id, i.need_id, i.programme_id, i.score, i.rank "
            "FROM (SELECT 1) one LEFT JOIN inserted i "
            "ON i.score >= %s AND i.rank <= %s",
            [
                *source_params,
                matched_at,
                marked_ids,
                marked_reasons,
                list(ranked),
                MatchStatus.SUGGESTED,
                MatchOrigin.ENGINE,
                MatchStatus.SUGGESTED,
                MatchOrigin.ENGINE,
                now,
                MatchStatus.SUGGESTED,
                MatchOrigin.ENGINE,
                MatchStatus.SUGGESTED,
                MatchOrigin.ENGINE,
                now,
                now,
                settings.NOTIFICATIONS_SUGGESTION_MIN_SCORE,
                settings.NOTIFICATIONS_SUGGESTION_MAX_RANK,
            ],
        )
        found = cursor.fetchall()
        if not inline:
            cursor.execute("DROP TABLE cbm_suggestion")
    written = found[0][0] if found else 0
    new = [_New(*row[1:]) for row in found if row[1] is not None]
    return written, new


def _announce_suggestions(new: Sequence[_New]) -> None:
    """Record an event for each new suggestion good enough to tell people about."""
    if not new:
        return
    new = sorted(new, key=lambda r: r.match_id)
    notifications.record_many(
        EventKind.SUGGESTION_NEW,
        [Match(pk=r.match_id) for r in new],
        payloads=[{"origin": "engine", "score": r.score, "rank": r.rank} for r in new],
    )


def _already_unmet(by_reason: Mapping[str, list[int]]) -> set[int]:
    """Those of the needs found unmet that were unmet already."""
    ids = [pk for reason, pks in by_reason.items() if reason for pk in pks]
    already: set[int] = set()
    for start in range(0, len(ids), _BULK):
        already |= set(
            Need.objects.filter(pk__in=ids[start : start + _BULK])
            .exclude(unmet_reason=UnmetReason.NONE)
            .values_list("id", flat=True)
        )
    return already


def _announce_unmet(by_reason: Mapping[str, list[int]], *, already: set[int]) -> None:
    """Tell the secretariat about needs that have just become unmet."""
    ids = [pk for reason, pks in by_reason.items() if reason for pk in pks]
    if not ids:
        return
    notifications.record_many(
        EventKind.NEED_UNMET, [Need(pk=pk) for pk in ids if pk not in already]
    )


def clear_suggestions(need_id: int) -> None:
    """Remove an inactive need's engine suggestions and what the engine said of it."""
    Match.objects.filter(
        need_id=need_id, status=MatchStatus.SUGGESTED, origin=MatchOrigin.ENGINE
    ).delete()
    Need.objects.filter(pk=need_id).update(
        unmet_reason=UnmetReason.NONE, matched_at=None
    )
    api_cache.changed()
