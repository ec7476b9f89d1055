"""Services that drive the matching engine: load profiles, rank, store results.

``engine/`` is pure; this module is its only door to the database, and it runs
in the task worker only (``tasks.py``, ``manage.py rematch``): web processes
never build an index, they read what is stored here (suggestions as ``Match``
rows, near misses and gap advice through ``derived.py``, all read back by
``selectors.py`` and ``stored_results.py``). It keeps one engine index of all
programmes (and the encoded active needs) per process and brings it up to
date from the database before each use, so a worker sees every edit, whoever
made it; text analyses are kept across rebuilds, so a full rematch analyses
only the texts that changed.

A match somebody acted on (interest, declined, ...) or a curator's proposal is
never overwritten or removed by the engine (``suggestion_store.py``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import threading
import time
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.db.models import F
from django.db.models import Max
from django.db.models import Min
from django.db.models import Q
from django.utils import timezone

from matchmaking import api_cache
from matchmaking import derived
from matchmaking import engine
from matchmaking.engine_profiles import active_needs
from matchmaking.engine_profiles import capacity_rows
from matchmaking.engine_profiles import load_needs
from matchmaking.engine_profiles import load_programmes
from matchmaking.enums import ACTIVE_NEED_STATUSES
from matchmaking.enums import MatchOrigin
from matchmaking.enums import MatchStatus
from matchmaking.enums import UnmetReason
from matchmaking.models import AllocationSlate
from matchmaking.models import Match
from matchmaking.models import NearMiss
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.models import SuggestedChange
from matchmaking.reference import topic_themes
from matchmaking.suggestion_store import clear_suggestions
from matchmaking.suggestion_store import persist_results
from matchmaking.text_analyses import keep_analyses
from matchmaking.text_analyses import stored_analyses
from matchmaking.text_analyses import text_key


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
    # The programmes last loaded at or after the watermark, with the edit
    # time read then: the next look skips those still at that time.
    programme_versions: dict[int, dt.datetime] = field(default_factory=dict)
    needs: dict[str, tuple[engine.NeedProfile, engine.NeedFeatures]] = field(
        default_factory=dict
    )
    need_ids: dict[str, int] = field(default_factory=dict)
    need_watermark: dt.datetime | None = None


_state: _EngineState | None = None
_lock = threading.RLock()
# Text analyses by (title, summary, description), kept across rebuilds: the
# costliest part of encoding a record, and unchanged unless its text changed.
_analyses: dict[Any, Any] = {}


def reset_engine(*, keep_analyses: bool = False) -> None:
    """Forget the cached index (tests, or after a bulk load).

    ``keep_analyses``: keep the texts' analyses for the next index (they depend
    on the text alone), so only changed texts are analysed again.
    """
    global _state  # one engine state per process, by design
    with _lock:
        if keep_analyses and _state is not None:
            _analyses.update(_state.index.profile_cache)
        else:
            _analyses.clear()
        _state = None


def _build_state() -> _EngineState:
    # Read first: an edit committed during the load is seen at the next look,
    # and the programmes at the watermark are loaded in the versions read here
    # (or later ones, whose time differs: the next look loads them again).
    seen = _programmes_seen()
    watermark = seen.latest
    versions = (
        {}
        if watermark is None
        else dict(
            Programme.objects.filter(updated_at__gte=watermark)
            .order_by()
            .values_list("id", "updated_at")
        )
    )
    loaded = load_programmes()
    index = engine.build_index(
        loaded.profiles,
        topic_themes=topic_themes(),
        profiles=_known_analyses(loaded.profiles),
    )
    return _EngineState(
        index=index,
        programme_ids=loaded.ids,
        programme_watermark=watermark,
        # Read before the programmes: a change made meanwhile is seen (and
        # loaded) at the next look.
        capacity=seen.capacity,
        programme_versions=versions,
    )


def _known_analyses(
    records: Sequence[engine.NeedProfile | engine.ProgrammeProfile],
) -> dict[Any, Any] | None:
    """The analyses of these records' texts this process or an earlier one made.

    Those not in memory are read from the stored ones (a new process: about
    a tenth of the time analysing them again would take).
    """
    missing = [key for r in records if (key := text_key(r)) not in _analyses]
    if missing:
        _analyses.update(stored_analyses(missing))
    return _analyses or None


@dataclass(frozen=True)
class _ProgrammesSeen:
    """What a look at the programmes read (see :func:`_programmes_seen`)."""

    count: int
    latest: dt.datetime | None
    # id -> edit time of the programmes edited at or after the time asked for.
    versions: dict[int, dt.datetime]
    # programme id -> places held (the programmes holding none left out).
    capacity: dict[int, int]


# Typed: PostgreSQL resolves a UNION's column types part by part, and two
# untyped NULLs make text, which the places' counts then do not match.
_NO_COUNT = "CAST(NULL AS BIGINT)"


def _programmes_seen(*, since: dt.datetime | None = None) -> _ProgrammesSeen:
    """How many programmes there are, their latest edit, those edited at or
    after ``since`` (none if None) and the places each holds, in one statement.

    A need's refresh asked these in three round trips (3-10 ms each on a busy
    database server). The count and the latest edit are two subqueries, each
    read from an index alone (the count from the smallest, the latest edit
    from the top of programme_updated_idx): one aggregate of both read every
    wide programme row (28-74 ms at 10,000); the edits since are read by that
    index too. Every part reads the same snapshot.
    """
    table = connection.ops.quote_name(Programme._meta.db_table)
    # The table name comes from the model, the values are parameters.
    parts = [
        f"SELECT 0, (SELECT COUNT(*) FROM {table}), {_NO_COUNT}, "  # noqa: S608  # nosec B608
        f"(SELECT MAX(updated_at) FROM {table})"
    ]
    params: list[Any] = []
    if since is not None:
        parts.append(
            f"SELECT 1, id, {_NO_COUNT}, updated_at FROM {table} "  # noqa: S608  # nosec B608
            "WHERE updated_at >= %s"
        )
        params.append(connection.ops.adapt_datetimefield_value(since))
    held, held_params = capacity_rows().query.sql_with_params()
    # The ORM's own SQL for the places held (capacity_used's query).
    parts.append(f"SELECT 2, held.*, NULL FROM ({held}) held")  # noqa: S608  # nosec B608
    params.extend(held_params)
    count, latest = 0, None
    versions: dict[int, dt.datetime] = {}
    capacity: dict[int, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for part, key, value, at in cursor.fetchall():
            if part == 0:
                count, latest = key, _as_datetime(at)
            elif part == 1:
                versions[key] = _as_datetime(at)
            else:
                capacity[key] = value
    return _ProgrammesSeen(
        count=count, latest=latest, versions=versions, capacity=capacity
    )


def _as_datetime(value: Any) -> Any:
    """A time read by raw SQL as the ORM reads it (SQLite gives text)."""
    if isinstance(value, str):
        return connection.ops.convert_datetimefield_value(value, None, connection)
    return value


def _catch_up_programmes(state: _EngineState) -> None:
    """Bring the index up to date with programme edits made anywhere."""
    # Read first: the watermark never passes what is loaded next.
    seen = _programmes_seen(since=state.programme_watermark)
    changed: set[int] = set()
    if state.programme_watermark is not None:
        # By index (programme_updated_idx). The programmes at the watermark
        # itself come back at every look (an edit in the same microsecond
        # would share it): those already loaded at the time they still carry
        # are skipped, not loaded again (about 50 ms of a need's refresh).
        changed |= {
            pk
            for pk, at in seen.versions.items()
            if state.programme_versions.get(pk) != at
        }
        state.programme_versions = seen.versions
    else:
        changed |= set(Programme.objects.order_by().values_list("id", flat=True))
    capacity = seen.capacity
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
    if seen.count != len(state.programme_ids):
        current = set(Programme.objects.values_list("ref", flat=True))
        for ref in set(state.programme_ids) - current:
            # Deleted: its row stays in the index, ineligible.
            state.index.upsert_programme(
                engine.ProgrammeProfile(
                    key=ref, languages=frozenset(), is_published=False
                )
            )
            del state.programme_ids[ref]
    if seen.latest is not None:
        state.programme_watermark = seen.latest


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
        # The first look loads every active need: by their filter, not by
        # thousands of ids.
        first = state.need_watermark is None
        loaded = load_needs(
            active_needs() if first else Need.objects.filter(pk__in=ids)
        )
        # The first look reads the stored analyses; later ones are a few
        # edited needs, analysed here (a refresh's round trip saved).
        batch = state.index.encode_needs(
            loaded.profiles,
            profiles=_known_analyses(loaded.profiles) if first else _analyses or None,
        )
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


# --- the services -------------------------------------------------------------


@_holding_engine
def refresh_need_suggestions(*, need_id: int) -> engine.NeedResult | None:
    """Re-rank one need after it was created or edited (a background task).

    Its near misses and advice follow in a task of their own
    (:func:`refresh_need_derived`).
    """
    as_of = timezone.now()
    # Loaded if still active (one query less than asking its status first).
    loaded = load_needs(active_needs().filter(pk=need_id))
    if not loaded.ids:
        if Need.objects.filter(pk=need_id).exists():
            clear_suggestions(need_id)
            NearMiss.objects.filter(need_id=need_id).delete()
            SuggestedChange.objects.filter(need_id=need_id).delete()
        return None
    state = engine_state()
    batch = state.index.encode_needs(loaded.profiles, profiles=_analyses or None)
    (result,) = state.index.rank_batch(batch, today=timezone.localdate(), top=top_k())
    persist_results(
        [result], need_ids=loaded.ids, programme_ids=state.programme_ids, as_of=as_of
    )
    return result


@_holding_engine
def refresh_programme_suggestions(*, programme_id: int) -> tuple[int, ...]:
    """Re-rank the needs whose suggestions an edited programme enters or leaves.

    Scores the programme against every active need, then re-ranks the needs
    where it now beats the weakest kept suggestion or where it was suggested
    before. Returns the ids of the needs re-ranked (their near misses and the
    programme's advice follow in :func:`refresh_programme_derived`).
    """
    as_of = timezone.now()
    state = engine_state(with_needs=True)
    # Read it again whatever its time says (an edit in the same second as the
    # last look, a change of tags alone).
    loaded = load_programmes([programme_id])
    for profile in loaded.profiles:
        state.index.upsert_programme(profile)
    state.programme_ids.update(loaded.ids)
    ref = next(iter(loaded.ids), None)
    affected = set(
        Match.objects.filter(
            programme_id=programme_id,
            status=MatchStatus.SUGGESTED,
            origin=MatchOrigin.ENGINE,
        ).values_list("need__ref", flat=True)
    )
    everyone = _batch(state, sorted(state.needs))
    today = timezone.localdate()
    if ref is not None and ref in state.index.position:
        scored = state.index.top_needs(
            ref, everyone, today=today, top=len(everyone.keys), explain=False
        )
        weakest = _weakest_kept_scores()
        full = top_k()
        for found in scored:
            kept = weakest.get(found.need)
            if kept is None or kept[1] < full or found.score >= kept[0]:
                affected.add(found.need)
    reranked = _rerank(state, sorted(affected), as_of=as_of)
    Programme.objects.filter(pk=programme_id).update(matched_at=as_of)
    api_cache.changed()  # bulk writes send no signal
    return tuple(state.need_ids[ref] for ref in reranked)


def _weakest_kept_scores() -> dict[str, tuple[float, int]]:
    """need ref -> (lowest suggested score, number of suggestions)."""
    rows = (
        Match.objects.filter(status=MatchStatus.SUGGESTED, origin=MatchOrigin.ENGINE)
        .values("need__ref")
        .annotate(low=Min("score"), n=Count("id"))
        .values_list("need__ref", "low", "n")
    )
    return {ref: (low, n) for ref, low, n in rows}


def _rerank(
    state: _EngineState, refs: Sequence[str], *, as_of: dt.datetime
) -> list[str]:
    """Rank and store some needs' suggestions; the refs ranked."""
    refs = [ref for ref in refs if ref in state.needs]
    if not refs:
        return []
    batch = _batch(state, refs)
    results = list(
        state.index.rank_batch(batch, today=timezone.localdate(), top=top_k())
    )
    persist_results(
        results,
        need_ids={ref: state.need_ids[ref] for ref in refs},
        programme_ids=state.programme_ids,
        as_of=as_of,
    )
    return refs


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No garbage collection passes in the block (its garbage is collected
    after it, as usual).

    A rematch makes millions of long-lived objects (the index, the encoded
    needs, their analyses, the results and explanations) and next to no
    cyclic garbage: at 10,000 x 10,000 the collector ran 922 passes (seven
    full ones) that took 1.7-2.7 s of the 6.1-6.5 s of CPU of a rematch's
    process, traversing them again and again, and freed 50 objects in all;
    the forked ranking workers inherit the pause.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
    """Recompute the suggestions of every active need (``manage.py rematch``).

    Only the suggestions: near misses and the gap advisor's changes follow in
    a task of their own (:func:`refresh_derived`, queued by the caller), and
    pages say they are being updated until it has run. ``rebuild`` builds a
    new index (fresh text statistics) but keeps the texts' analyses, so
    unchanged records are not analysed again.
    """
    with _collector_paused():
        return _rematch_all(rebuild=rebuild)


def _rematch_all(*, rebuild: bool) -> RematchReport:
    as_of = timezone.now()
    started = time.perf_counter()
    if rebuild:
        reset_engine(keep_analyses=True)
    state = engine_state(with_needs=True)
    # For the next process: the analyses of every text ranked (those made
    # here), and no longer those of texts edited or deleted since; nor in
    # this process's memory.
    used = {
        *map(text_key, state.index.programmes),
        *(text_key(need) for need, _ in state.needs.values()),
    }
    keep_analyses(state.index.profile_cache, used=used)
    for key in _analyses.keys() - used:
        del _analyses[key]
    loaded_at = time.perf_counter()
    refs = sorted(state.needs)
    batch = _batch(state, refs)
    today = timezone.localdate()
    results = list(state.index.rank_batch(batch, today=today, top=top_k()))
    ranked_at = time.perf_counter()
    written = persist_results(
        results,
        need_ids=state.need_ids,
        programme_ids=state.programme_ids,
        as_of=as_of,
    )
    # Needs that left the active statuses keep no engine suggestion: found
    # from the needs (by index), not by joining every stored suggestion.
    gone = list(
        Need.objects.exclude(status__in=ACTIVE_NEED_STATUSES)
        .order_by()
        .values_list("id", flat=True)
    )
    for start in range(0, len(gone), 2000):
        Match.objects.filter(
            need_id__in=gone[start : start + 2000],
            status=MatchStatus.SUGGESTED,
            origin=MatchOrigin.ENGINE,
        ).delete()
    # Only the programmes edited since their last refresh: rewriting every
    # programme row would cost more than the rest of the store (the others'
    # pages have nothing pending either way).
    Programme.objects.filter(
        Q(matched_at__isnull=True) | Q(matched_at__lt=F("updated_at"))
    ).update(matched_at=as_of)
    api_cache.changed()  # bulk writes send no signal
    return RematchReport(
        needs=len(results),
        programmes=len(state.programme_ids),
        suggestions=written,
        unmet=sum(1 for r in results if r.unmet),
        seconds_load=loaded_at - started,
        seconds_rank=ranked_at - loaded_at,
        seconds_store=time.perf_counter() - ranked_at,
    )


# --- near misses and advice: their own task, after the suggestions ------------


@dataclass(frozen=True)
class DerivedReport:
    """What a refresh of near misses and advice stored, and how long it took."""

    needs: int
    near_misses: int
    changes: int
    seconds_load: float
    seconds_near_misses: float
    seconds_advice: float


@_holding_engine
def refresh_derived() -> DerivedReport:
    """Recompute every active need's near misses and the gap advisor's changes.

    Queued after a full rematch (``tasks.rematch_task``, ``manage.py
    rematch``); reads the unmet needs the rematch stored. Marks every active
    need and every programme as computed.
    """
    as_of = timezone.now()
    started = time.perf_counter()
    state = engine_state(with_needs=True)
    batch = _batch(state, sorted(state.needs))
    inputs = _derive_inputs(state, state.need_ids)
    loaded_at = time.perf_counter()
    NearMiss.objects.exclude(need__status__in=ACTIVE_NEED_STATUSES).delete()
    SuggestedChange.objects.exclude(need__status__in=ACTIVE_NEED_STATUSES).delete()
    near = derived.store_near_misses(inputs, batch, everyone=True)
    near_at = time.perf_counter()
    changes = derived.store_advice_for_needs(
        inputs, batch, unmet=_stored_unmet(), everyone=True
    )
    pending = Q(derived_at__isnull=True) | Q(derived_at__lt=F("matched_at"))
    active_needs().filter(pending).update(derived_at=as_of)
    Programme.objects.filter(pending).update(derived_at=as_of)
    api_cache.changed()  # bulk writes send no signal
    return DerivedReport(
        needs=len(batch.keys),
        near_misses=near,
        changes=changes,
        seconds_load=loaded_at - started,
        seconds_near_misses=near_at - loaded_at,
        seconds_advice=time.perf_counter() - near_at,
    )


def _derive_inputs(state: _EngineState, need_ids: dict[str, int]) -> derived.Inputs:
    """What the near misses and advice of ``need_ids`` are computed from, today."""
    return derived.Inputs(
        index=state.index,
        need_ids=need_ids,
        programme_ids=state.programme_ids,
        today=timezone.localdate(),
    )


def _stored_unmet(need_ids: Iterable[int] | None = None) -> set[str]:
    """The refs of the active needs the last ranking found unmet."""
    rows = active_needs().exclude(unmet_reason=UnmetReason.NONE)
    if need_ids is not None:
        rows = rows.filter(pk__in=list(need_ids))
    return set(rows.values_list("ref", flat=True))


def _derive_for_needs(state: _EngineState, refs: Sequence[str]) -> None:
    """Near misses and advice of some encoded needs (after their suggestions)."""
    batch = _batch(state, refs)
    _derive(state, batch, need_ids={ref: state.need_ids[ref] for ref in batch.keys})


def _derive(
    state: _EngineState, batch: engine.NeedBatch, *, need_ids: dict[str, int]
) -> None:
    if not batch.keys:
        return
    inputs = _derive_inputs(state, need_ids)
    derived.store_near_misses(inputs, batch)
    derived.store_advice_for_needs(
        inputs, batch, unmet=_stored_unmet(need_ids.values())
    )


@_holding_engine
def refresh_need_derived(*, need_id: int) -> None:
    """Recompute one active need's near misses and advice (after its suggestions)."""
    as_of = timezone.now()
    loaded = load_needs(active_needs().filter(pk=need_id))
    if not loaded.ids:
        return
    state = engine_state()
    batch = state.index.encode_needs(loaded.profiles, profiles=_analyses or None)
    _derive(state, batch, need_ids=loaded.ids)
    Need.objects.filter(pk=need_id).update(derived_at=as_of)
    api_cache.changed()  # bulk writes send no signal


@_holding_engine
def refresh_programme_derived(
    *, programme_id: int, need_ids: Sequence[int] = ()
) -> None:
    """After a programme's suggestions: the near misses it may enter or leave,
    those of the needs re-ranked (``need_ids``), and its advice."""
    as_of = timezone.now()
    state = engine_state(with_needs=True)
    by_id = {pk: ref for ref, pk in state.need_ids.items()}
    reranked = {by_id[pk] for pk in need_ids if pk in by_id}
    ref = next((r for r, pk in state.programme_ids.items() if pk == programme_id), None)
    _derive_for_needs(state, sorted(reranked))
    if ref is not None:
        everyone = _batch(state, sorted(state.needs))
        near = derived.needs_near_missed_by(state.index, everyone, programme=ref)
        near -= reranked  # their near misses are new already
        inputs = _derive_inputs(state, state.need_ids)
        derived.store_near_misses(inputs, _batch(state, sorted(near)))
        derived.store_advice_for_programme(inputs, everyone, programme=ref)
    Need.objects.filter(pk__in=list(need_ids)).update(derived_at=as_of)
    Programme.objects.filter(pk=programme_id).update(derived_at=as_of)
    api_cache.changed()  # bulk writes send no signal


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


def compute_allocation_slate(*, slate_id: int) -> None:
    """Compute a slate a curator asked for and store it (a background task)."""
    slate = AllocationSlate.objects.filter(pk=slate_id).first()
    if slate is None or slate.computed_at is not None:
        return
    proposal = propose_allocation(fairness=slate.fairness, need_limit=slate.need_limit)
    AllocationSlate.objects.filter(pk=slate_id).update(
        computed_at=timezone.now(),
        pairs=[[p.need_id, p.programme_id, round(p.score, 6)] for p in proposal.pairs],
        total_score=proposal.total_score,
        needs_considered=proposal.needs_considered,
        needs_served=proposal.needs_served,
        seconds_candidates=proposal.seconds_candidates,
        seconds_solve=proposal.seconds_solve,
        status=proposal.status,
    )
