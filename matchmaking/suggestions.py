"""Services that drive the matching engine: load profiles, rank, persist suggestions.

``engine.py`` is pure; this module is its only door to the database. It keeps
one engine index of all programmes (and the encoded active needs) per process
and brings it up to date from the database before each use, so a web worker
and a task worker each see every edit, whoever made it.

Persisted suggestions are ``Match`` rows with status "suggested" and origin
"engine". A match somebody acted on (interest, declined, ...) or a curator's
proposal is never overwritten or removed by the engine.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from matchmaking import api_cache, engine, explain, notifications
from matchmaking.engine_profiles import (
    active_needs,
    capacity_used,
    load_needs,
    load_programmes,
)
from matchmaking.enums import (
    ACTIVE_NEED_STATUSES,
    MatchOrigin,
    MatchStatus,
    ProgrammeStatus,
    UnmetReason,
)
from matchmaking.models import (
    EventKind,
    Match,
    Need,
    Programme,
)
from matchmaking.reference import topic_themes
from matchmaking.selectors import needs_visible_to, programmes_visible_to
from matchmaking.stats.scope import region_q

_BULK = 2000


def top_k() -> int:
    """How many suggestions are kept per need."""
    return settings.MATCHING_TOP_K


# --- the per-process engine state -------------------------------------------


@dataclass
class _EngineState:
    """The index of all programmes and the encoded active needs, with watermarks."""

    index: engine.MatchingIndex
    programme_ids: dict[str, int]
    programme_watermark: dt.datetime | None
    capacity: dict[int, int]
    needs: dict[str, tuple[engine.NeedProfile, engine.NeedFeatures]] = field(
        default_factory=dict
    )
    need_ids: dict[str, int] = field(default_factory=dict)
    need_watermark: dt.datetime | None = None


_state: _EngineState | None = None
_lock = threading.RLock()


def reset_engine() -> None:
    """Forget the cached index (tests, or after a bulk load)."""
    global _state  # one engine state per process, by design
    with _lock:
        _state = None


def _build_state() -> _EngineState:
    loaded = load_programmes()
    index = engine.build_index(loaded.profiles, topic_themes=topic_themes())
    watermark = Programme.objects.aggregate(m=Max("updated_at"))["m"]
    return _EngineState(
        index=index,
        programme_ids=loaded.ids,
        programme_watermark=watermark,
        capacity=capacity_used(),
    )


def _catch_up_programmes(state: _EngineState) -> None:
    """Bring the index up to date with programme edits made anywhere."""
    changed: set[int] = set()
    if state.programme_watermark is not None:
        changed |= set(
            Programme.objects.filter(
                updated_at__gte=state.programme_watermark
            ).values_list("id", flat=True)
        )
    else:
        changed |= set(Programme.objects.values_list("id", flat=True))
    capacity = capacity_used()
    if capacity != state.capacity:
        changed |= {
            pk
            for pk in set(capacity) | set(state.capacity)
            if capacity.get(pk, 0) != state.capacity.get(pk, 0)
        }
        state.capacity = capacity
    if changed:
        loaded = load_programmes(sorted(changed))
        for profile in loaded.profiles:
            state.index.upsert_programme(profile)
        state.programme_ids.update(loaded.ids)
    if Programme.objects.count() != len(state.programme_ids):
        current = set(Programme.objects.values_list("ref", flat=True))
        for ref in set(state.programme_ids) - current:
            # Deleted: its row stays in the index, ineligible.
            state.index.upsert_programme(
                engine.ProgrammeProfile(
                    key=ref, languages=frozenset(), is_published=False
                )
            )
            del state.programme_ids[ref]
    latest = Programme.objects.aggregate(m=Max("updated_at"))["m"]
    if latest is not None:
        state.programme_watermark = latest


def _catch_up_needs(state: _EngineState) -> None:
    """Encode active needs that are new or edited since the last look."""
    active = dict(active_needs().values_list("ref", "id"))
    for ref in set(state.needs) - set(active):
        del state.needs[ref]
        state.need_ids.pop(ref, None)
    edited = active_needs()
    if state.need_watermark is not None:
        edited = edited.filter(updated_at__gte=state.need_watermark)
    missing = set(active) - set(state.needs)
    wanted = edited.values_list("id", flat=True)
    ids = set(wanted) | {active[ref] for ref in missing}
    if ids:
        loaded = load_needs(Need.objects.filter(pk__in=ids))
        batch = state.index.encode_needs(loaded.profiles)
        for profile, features in zip(batch.needs, batch.features, strict=True):
            state.needs[profile.key] = (profile, features)
        state.need_ids.update(loaded.ids)
    latest = Need.objects.aggregate(m=Max("updated_at"))["m"]
    if latest is not None:
        state.need_watermark = latest


def engine_state(*, with_needs: bool = False) -> _EngineState:
    """The process's engine state, brought up to date with the database."""
    global _state  # one engine state per process, by design
    with _lock:
        if _state is None:
            _state = _build_state()
        else:
            _catch_up_programmes(_state)
        if with_needs:
            _catch_up_needs(_state)
        return _state


def _holding_engine[**P, R](func: Callable[P, R]) -> Callable[P, R]:
    """Run a service with the engine to itself: the index is updated in place."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with _lock:
            return func(*args, **kwargs)

    return wrapper


def _batch(state: _EngineState, refs: Iterable[str]) -> engine.NeedBatch:
    pairs = [state.needs[ref] for ref in refs if ref in state.needs]
    return engine.NeedBatch(
        keys=tuple(p.key for p, _ in pairs),
        needs=tuple(p for p, _ in pairs),
        features=tuple(f for _, f in pairs),
    )


# --- persisting ---------------------------------------------------------------


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


@transaction.atomic
def persist_results(
    results: Sequence[engine.NeedResult],
    *,
    need_ids: Mapping[str, int],
    programme_ids: Mapping[str, int],
) -> int:
    """Store the engine's rankings as suggestions, leaving acted-on matches alone.

    Returns how many suggestions were written.
    """
    now = timezone.now()
    pks = [need_ids[r.need] for r in results]
    protected: set[tuple[int, int]] = set()
    stale: dict[tuple[int, int], int] = {}
    for start in range(0, len(pks), _BULK):
        for pk, need_id, programme_id, status, origin in Match.objects.filter(
            need_id__in=pks[start : start + _BULK]
        ).values_list("id", "need_id", "programme_id", "status", "origin"):
            pair = (need_id, programme_id)
            if status == MatchStatus.SUGGESTED and origin == MatchOrigin.ENGINE:
                stale[pair] = pk
            else:
                protected.add(pair)
    existing = set(stale)
    rows = []
    # The engine shares identical reason tuples between matches: render each
    # once, keyed by identity (``results`` keeps every tuple alive meanwhile;
    # a Reason's hash leaves out its params, so hashing them would collide).
    rendered: dict[int, list[dict[str, Any]]] = {}

    def _render(reasons: tuple[engine.Reason, ...]) -> list[dict[str, Any]]:
        found = rendered.get(id(reasons))
        if found is None:
            found = rendered[id(reasons)] = [reason_json(r) for r in reasons]
        return found

    for result in results:
        need_id = need_ids[result.need]
        for rank, found in enumerate(result.matches, start=1):
            pair = (need_id, programme_ids[found.programme])
            if pair in protected:
                continue
            stale.pop(pair, None)
            rows.append(
                _Suggestion(
                    need_id=need_id,
                    programme_id=pair[1],
                    score=min(1.0, max(0.0, round(found.score, 6))),
                    rank=rank,
                    components=components_json(found.components),
                    reasons=_render(found.reasons),
                )
            )
    stale_ids = list(stale.values())
    for start in range(0, len(stale_ids), _BULK):
        Match.objects.filter(pk__in=stale_ids[start : start + _BULK]).delete()
    if connection.vendor == "postgresql":
        _upsert_postgresql(rows, now=now)
    else:
        Match.objects.bulk_create(
            [
                Match(
                    **row._asdict(),
                    status=MatchStatus.SUGGESTED,
                    origin=MatchOrigin.ENGINE,
                    created_at=now,
                    updated_at=now,
                )
                for row in rows
            ],
            batch_size=_BULK,
            update_conflicts=True,
            unique_fields=["need", "programme"],
            update_fields=["score", "rank", "components", "reasons", "updated_at"],
        )
    _announce_suggestions(
        [r for r in rows if (r.need_id, r.programme_id) not in existing]
    )
    by_reason: dict[str, list[int]] = defaultdict(list)
    for result in results:
        by_reason[result.unmet or UnmetReason.NONE].append(need_ids[result.need])
    _announce_unmet(by_reason)
    for reason, ids in by_reason.items():
        for start in range(0, len(ids), _BULK):
            # update() leaves updated_at alone: matching is not an edit of the need.
            Need.objects.filter(pk__in=ids[start : start + _BULK]).update(
                unmet_reason=reason, matched_at=now
            )
    api_cache.changed()  # bulk writes send no signal
    return len(rows)


def _announce_suggestions(new: Sequence[_Suggestion]) -> None:
    """Record an event for each new suggestion good enough to tell people about."""
    good = {
        (r.need_id, r.programme_id): r
        for r in new
        if r.score >= settings.NOTIFICATIONS_SUGGESTION_MIN_SCORE
        and r.rank <= settings.NOTIFICATIONS_SUGGESTION_MAX_RANK
    }
    if not good:
        return
    need_ids = sorted({n for n, _p in good})
    found = []
    for start in range(0, len(need_ids), _BULK):
        for pk, need_id, programme_id in Match.objects.filter(
            need_id__in=need_ids[start : start + _BULK],
            status=MatchStatus.SUGGESTED,
        ).values_list("id", "need_id", "programme_id"):
            row = good.get((need_id, programme_id))
            if row is not None:
                found.append((Match(pk=pk), row))
    notifications.record_many(
        EventKind.SUGGESTION_NEW,
        [m for m, _r in found],
        payloads=[
            {"origin": "engine", "score": r.score, "rank": r.rank} for _m, r in found
        ],
    )


def _announce_unmet(by_reason: Mapping[str, list[int]]) -> None:
    """Tell the secretariat about needs that have just become unmet."""
    ids = [pk for reason, pks in by_reason.items() if reason for pk in pks]
    if not ids:
        return
    already = set()
    for start in range(0, len(ids), _BULK):
        already |= set(
            Need.objects.filter(pk__in=ids[start : start + _BULK])
            .exclude(unmet_reason=UnmetReason.NONE)
            .values_list("id", flat=True)
        )
    notifications.record_many(
        EventKind.NEED_UNMET, [Need(pk=pk) for pk in ids if pk not in already]
    )


class _Suggestion(NamedTuple):
    need_id: int
    programme_id: int
    score: float
    rank: int
    components: dict[str, float | None]
    reasons: list[dict[str, Any]]


def _upsert_postgresql(rows: Sequence[_Suggestion], *, now: dt.datetime) -> None:
    """COPY the suggestions into a temporary table, then upsert them in one go.

    An order of magnitude faster than a multi-row INSERT at 100,000 rows, and
    the ON CONFLICT condition leaves any match that is no longer an engine
    suggestion untouched, even one acted on while the engine was ranking.
    """
    if not rows:
        return
    table = Match._meta.db_table
    encoded: dict[int, str] = {}

    def _dumps(reasons: list[dict[str, Any]]) -> str:
        # Rendered reason lists are shared objects: encode each one once.
        text = encoded.get(id(reasons))
        if text is None:
            text = encoded[id(reasons)] = json.dumps(reasons, ensure_ascii=False)
        return text

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE cbm_suggestion (need_id bigint, "
            "programme_id bigint, score double precision, rank smallint, "
            "components jsonb, reasons jsonb) ON COMMIT DROP"
        )
        with cursor.cursor.copy(
            "COPY cbm_suggestion (need_id, programme_id, score, rank, components, "
            "reasons) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(
                    (
                        row.need_id,
                        row.programme_id,
                        row.score,
                        row.rank,
                        json.dumps(row.components),
                        _dumps(row.reasons),
                    )
                )
        # The table name comes from the model, the values are parameters.
        cursor.execute(
            f"INSERT INTO {table} (need_id, programme_id, score, rank, "  # noqa: S608  # nosec B608
            "components, reasons, status, origin, note, decline_reason, "
            "decline_code, feedback_outcome, feedback_comments, created_at, "
            "updated_at) "
            "SELECT need_id, programme_id, score, rank, components, reasons, "
            "%s, %s, '', '', '', '', '', %s, %s FROM cbm_suggestion "
            "ON CONFLICT (need_id, programme_id) DO UPDATE SET "
            "score = EXCLUDED.score, rank = EXCLUDED.rank, "
            "components = EXCLUDED.components, reasons = EXCLUDED.reasons, "
            f"updated_at = EXCLUDED.updated_at WHERE {table}.status = %s "
            f"AND {table}.origin = %s",
            [
                MatchStatus.SUGGESTED,
                MatchOrigin.ENGINE,
                now,
                now,
                MatchStatus.SUGGESTED,
                MatchOrigin.ENGINE,
            ],
        )
        cursor.execute("DROP TABLE cbm_suggestion")


def _clear_suggestions(need_id: int) -> None:
    Match.objects.filter(
        need_id=need_id, status=MatchStatus.SUGGESTED, origin=MatchOrigin.ENGINE
    ).delete()
    Need.objects.filter(pk=need_id).update(
        unmet_reason=UnmetReason.NONE, matched_at=None
    )
    api_cache.changed()


# --- the services -------------------------------------------------------------


@_holding_engine
def refresh_need_suggestions(*, need_id: int) -> engine.NeedResult | None:
    """Re-rank one need after it was created or edited (a background task)."""
    need = Need.objects.filter(pk=need_id).only("id", "status").first()
    if need is None:
        return None
    if need.status not in ACTIVE_NEED_STATUSES:
        _clear_suggestions(need_id)
        return None
    state = engine_state()
    loaded = load_needs(Need.objects.filter(pk=need_id))
    result = state.index.rank_need(
        loaded.profiles[0], today=timezone.localdate(), top=top_k()
    )
    persist_results(
        [result],
        need_ids=loaded.ids,
        programme_ids=state.programme_ids,
    )
    return result


@_holding_engine
def refresh_programme_suggestions(*, programme_id: int) -> int:
    """Re-rank the needs whose suggestions an edited programme enters or leaves.

    Scores the programme against every active need, then re-ranks the needs
    where it now beats the weakest kept suggestion or where it was suggested
    before. Returns how many needs were re-ranked.
    """
    state = engine_state(with_needs=True)
    ref = Programme.objects.filter(pk=programme_id).values_list("ref", flat=True)
    ref = ref.first()
    affected = set(
        Match.objects.filter(
            programme_id=programme_id,
            status=MatchStatus.SUGGESTED,
            origin=MatchOrigin.ENGINE,
        ).values_list("need__ref", flat=True)
    )
    if ref is not None and ref in state.index.position:
        batch = _batch(state, sorted(state.needs))
        scored = state.index.top_needs(
            ref,
            batch,
            today=timezone.localdate(),
            top=len(batch.keys),
            explain=False,
        )
        weakest = _weakest_kept_scores()
        full = top_k()
        for found in scored:
            kept = weakest.get(found.need)
            if kept is None or kept[1] < full or found.score >= kept[0]:
                affected.add(found.need)
    return _rerank(state, sorted(affected))


def _weakest_kept_scores() -> dict[str, tuple[float, int]]:
    """need ref -> (lowest suggested score, number of suggestions)."""
    rows = (
        Match.objects.filter(status=MatchStatus.SUGGESTED, origin=MatchOrigin.ENGINE)
        .values("need__ref")
        .annotate(low=Min("score"), n=Count("id"))
        .values_list("need__ref", "low", "n")
    )
    return {ref: (low, n) for ref, low, n in rows}


def _rerank(state: _EngineState, refs: Sequence[str]) -> int:
    refs = [ref for ref in refs if ref in state.needs]
    if not refs:
        return 0
    batch = _batch(state, refs)
    results = list(
        state.index.rank_batch(batch, today=timezone.localdate(), top=top_k())
    )
    persist_results(
        results,
        need_ids={ref: state.need_ids[ref] for ref in refs},
        programme_ids=state.programme_ids,
    )
    return len(results)


@dataclass(frozen=True)
class RematchReport:
    """What a full rematch did and how long each step took."""

    needs: int
    programmes: int
    suggestions: int
    unmet: int
    seconds_load: float
    seconds_rank: float
    seconds_store: float


@_holding_engine
def rematch_all(*, rebuild: bool = True) -> RematchReport:
    """Recompute the suggestions of every active need (``manage.py rematch``)."""
    started = time.perf_counter()
    if rebuild:
        reset_engine()
    state = engine_state(with_needs=True)
    loaded_at = time.perf_counter()
    refs = sorted(state.needs)
    batch = _batch(state, refs)
    results = list(
        state.index.rank_batch(batch, today=timezone.localdate(), top=top_k())
    )
    ranked_at = time.perf_counter()
    written = persist_results(
        results,
        need_ids=state.need_ids,
        programme_ids=state.programme_ids,
    )
    # Needs that left the active statuses keep no engine suggestion.
    inactive = Match.objects.filter(
        status=MatchStatus.SUGGESTED, origin=MatchOrigin.ENGINE
    ).exclude(need__status__in=ACTIVE_NEED_STATUSES)
    inactive.delete()
    api_cache.changed()  # bulk writes send no signal
    stored_at = time.perf_counter()
    return RematchReport(
        needs=len(results),
        programmes=len(state.programme_ids),
        suggestions=written,
        unmet=sum(1 for r in results if r.unmet),
        seconds_load=loaded_at - started,
        seconds_rank=ranked_at - loaded_at,
        seconds_store=stored_at - ranked_at,
    )


# --- allocation ---------------------------------------------------------------


@dataclass(frozen=True)
class ProposedPair:
    """One pairing of a proposed slate, with the database ids behind it."""

    need_id: int
    need_ref: str
    programme_id: int
    programme_ref: str
    score: float
    value: float


@dataclass(frozen=True)
class AllocationProposal:
    """A capacity-aware slate for curators, and what it took to compute it."""

    pairs: tuple[ProposedPair, ...]
    total_score: float
    needs_considered: int
    needs_served: int
    fairness: bool
    seconds_candidates: float
    seconds_solve: float
    status: str


@_holding_engine
def propose_allocation(
    *, fairness: bool = False, need_limit: int = 1, candidates_per_need: int = 50
) -> AllocationProposal:
    """Assign programmes to active needs, maximising total relevance within capacity.

    Each programme takes at most its places left; each need at most
    ``need_limit`` programmes. With ``fairness`` the value of pairs for least
    developed countries and small island developing States is raised (see
    ``engine.fairness_weights``). Nothing is written: curators review the
    slate and propose the pairs they keep.
    """
    started = time.perf_counter()
    state = engine_state(with_needs=True)
    refs = sorted(state.needs)
    batch = _batch(state, refs)
    # Only pairs a curator could defend: eligible and adequate by the
    # same adequacy rule that says whether a need is unmet.
    arcs = state.index.candidates(
        batch, today=timezone.localdate(), top_k=candidates_per_need, adequate_only=True
    )
    capacity = {p.key: p.capacity_left for p in state.index.programmes}
    weights = engine.fairness_weights(batch.needs) if fairness else None
    ranked_at = time.perf_counter()
    allocation = engine.allocate(
        arcs,
        capacity=capacity,
        default_limit=need_limit,
        weights=weights,
        top_k=candidates_per_need,
    )
    pairs = tuple(
        ProposedPair(
            need_id=state.need_ids[a.need],
            need_ref=a.need,
            programme_id=state.programme_ids[a.programme],
            programme_ref=a.programme,
            score=a.score,
            value=a.value,
        )
        for a in allocation.assignments
    )
    return AllocationProposal(
        pairs=pairs,
        total_score=allocation.total_score,
        needs_considered=len(refs),
        needs_served=len({p.need_id for p in pairs}),
        fairness=fairness,
        seconds_candidates=ranked_at - started,
        seconds_solve=allocation.solve_seconds,
        status=allocation.status,
    )


# --- the other direction ------------------------------------------------------


@dataclass(frozen=True)
class NeedSuggestion:
    """A need a programme could serve, with the engine's score and reasons."""

    need: Need
    score: float
    components: dict[str, float | None]
    reasons: list[dict[str, Any]]


@_holding_engine
def suggested_needs_for_programme(
    *, user: Any, programme: Programme, top: int = 10
) -> list[NeedSuggestion]:
    """The open needs, among those the user may see, that a programme suits best."""
    state = engine_state(with_needs=True)
    if programme.ref not in state.index.position:
        return []
    visible = set(
        needs_visible_to(user=user)
        .filter(status__in=ACTIVE_NEED_STATUSES)
        .values_list("ref", flat=True)
    )
    batch = _batch(state, sorted(visible & set(state.needs)))
    found = state.index.top_needs(
        programme.ref, batch, today=timezone.localdate(), top=top
    )
    needs = Need.objects.select_related("member_state__country").in_bulk(
        [state.need_ids[m.need] for m in found]
    )
    return [
        NeedSuggestion(
            need=needs[state.need_ids[m.need]],
            score=m.score,
            components=components_json(m.components),
            reasons=explain.explained([reason_json(r) for r in m.reasons]),
        )
        for m in found
    ]


# --- near misses ----------------------------------------------------------------


@dataclass(frozen=True)
class NearMissView:
    """A programme one rule away from serving a need, and that rule."""

    programme: Programme
    score: float
    rule: str
    reason: dict[str, Any]


@_holding_engine
def near_misses_for_need(*, user: Any, need: Need, top: int = 3) -> list[NearMissView]:
    """The best programmes a need narrowly missed, among those the user may see.

    Each failed exactly one hard rule (``reason``: which, as a rendered reason)
    and would otherwise be adequate for the need (see ``engine.near_misses``).
    """
    state = engine_state()
    loaded = load_needs(Need.objects.filter(pk=need.pk))
    if not loaded.profiles:
        return []
    found = engine.near_misses(
        state.index, loaded.profiles[0], today=timezone.localdate(), top=top * 3
    )
    ids = [
        state.programme_ids[m.programme]
        for m in found
        if m.programme in state.programme_ids
    ]
    visible = programmes_visible_to(user=user, with_tags=False).in_bulk(ids)
    views = []
    for miss in found:
        programme = visible.get(state.programme_ids.get(miss.programme, -1))
        if programme is None:
            continue
        views.append(
            NearMissView(
                programme=programme,
                score=miss.score,
                rule=miss.rule,
                reason=explain.explained([reason_json(miss.reason)])[0],
            )
        )
    return views[:top]


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


@_holding_engine
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
    state = engine_state(with_needs=True)
    needs = (
        needs_visible_to(user=user, with_tags=False)
        .filter(status__in=ACTIVE_NEED_STATUSES)
        .exclude(unmet_reason=UnmetReason.NONE)
    )
    if theme:
        needs = needs.filter(topics__theme_id=theme)
    if region:
        needs = needs.filter(region_q("member_state__country__", region))
    unmet = set(needs.values_list("ref", flat=True))
    batch = _batch(state, sorted(unmet & set(state.needs)))
    if not batch.keys:
        return []
    only = None
    if programme is not None:
        if programme.ref not in state.index.position:
            return []
        only = {programme.ref}
    advice = engine.advise(
        state.index,
        batch.needs,
        features=batch.features,
        today=timezone.localdate(),
        weights=engine.fairness_weights(batch.needs),
        programmes=only,
    )[:limit]
    programmes = Programme.objects.filter(status=ProgrammeStatus.PUBLISHED).in_bulk(
        [state.programme_ids[a.programme] for a in advice], field_name="id"
    )
    needs = Need.objects.select_related("member_state__country").in_bulk(
        [state.need_ids[n] for a in advice for n in a.needs]
    )
    views = []
    for item in advice:
        shown = programmes.get(state.programme_ids[item.programme])
        if shown is None:
            continue
        views.append(
            AdviceView(
                programme=shown,
                kind=item.kind,
                value=item.value,
                text=explain.change_text(item.kind, item.value),
                needs=[needs[state.need_ids[n]] for n in item.needs],
                weight=item.weight,
            )
        )
    return views
