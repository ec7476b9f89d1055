"""Near misses: the programmes a need narrowly missed, and the rule that excluded each.

A programme is a near miss of a need when exactly one hard rule keeps it out
(geography, LDC-only, SIDS-only, language, ended, no places left; never
"unpublished": a programme that is not published is nobody's suggestion) and it
would be *adequate* for the need if that rule did not apply (see
:mod:`matchmaking.engine.adequacy`). So the focal point knows whom to ask, and
what to ask for.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from typing import Any

import numpy as np

from matchmaking.engine.adequacy import is_adequate
from matchmaking.engine.arrays import NeedBatch
from matchmaking.engine.eligibility import RULE_UNPUBLISHED
from matchmaking.engine.eligibility import eligibility
from matchmaking.engine.eligibility import why_not
from matchmaking.engine.profiles import MatchingConfig
from matchmaking.engine.profiles import NeedFeatures
from matchmaking.engine.profiles import NeedProfile
from matchmaking.engine.profiles import Reason

if TYPE_CHECKING:
    from matchmaking.engine.index import MatchingIndex

# The single-precision pass errs far less than this (see batch_ranking._MARGIN).
_MARGIN = 1e-4


@dataclass(frozen=True)
class NearMiss:
    """A programme one rule away from serving a need."""

    need: str
    programme: str
    score: float
    rule: str
    reason: Reason


def near_misses(
    index: MatchingIndex,
    need: NeedProfile,
    *,
    today: date,
    top: int = 3,
    features: NeedFeatures | None = None,
) -> tuple[NearMiss, ...]:
    """The ``top`` best near misses of a need, best score first (then key)."""
    if top <= 0 or not index.programmes:
        return ()
    if features is None:
        batch = index.encode_needs([need])
    else:
        batch = NeedBatch(keys=(need.key,), needs=(need,), features=(features,))
    arrays = index._need_arrays(batch, slice(None))
    approx = index._scores(arrays)[0]
    cfg = index.config
    columns = np.flatnonzero(approx >= cfg.adequate_score - _MARGIN)
    if columns.size == 0:
        return ()
    exact = index._exact_scores(arrays, np.zeros(columns.size, dtype=np.int64), columns)
    concepts = index._p_concepts[columns] @ arrays["concepts"][0]
    order = sorted(
        zip((-exact).tolist(), columns.tolist(), concepts.tolist(), strict=True),
        key=lambda item: (item[0], index.programmes[item[1]].key),
    )
    ranked = ((-negative, i, agree) for negative, i, agree in order)
    return _first_near_misses(index, need, ranked, today=today, top=top)


def needs_within_reach(
    index: MatchingIndex, batch: NeedBatch, *, programme: str
) -> tuple[str, ...]:
    """The needs of a batch one programme would be adequate for, eligibility aside.

    A superset (within the single-precision margin) of the needs whose near
    misses the programme can enter: after it is edited, only their near
    misses need computing again.
    """
    if programme not in index.position or not batch.keys:
        return ()
    i = index.position[programme]
    arrays = index._batch_arrays(batch)
    scores = arrays["linear"] @ index._column(i)
    words = arrays["sparse_words"] @ index._sparse_words_t[:, [i]]
    scores = scores + words.toarray().ravel()
    concepts = arrays["concepts"] @ index._p_concepts[i]
    cfg = index.config
    rows = np.flatnonzero(
        (scores >= cfg.adequate_score - _MARGIN)
        & (concepts >= cfg.adequate_concepts - _MARGIN)
    )
    return tuple(batch.keys[b] for b in rows.tolist())


_CHUNK = 512


def near_misses_many(
    index: MatchingIndex, batch: NeedBatch, *, today: date, top: int = 3
) -> dict[str, tuple[NearMiss, ...]]:
    """:func:`near_misses` of every need of a batch, scored in chunks (same result).

    Each chunk of needs is scored against all programmes at once; only the
    ineligible pairs that may be adequate are scored exactly and checked rule
    by rule, so a full rematch's near misses cost about one more ranking pass.
    """
    found: dict[str, tuple[NearMiss, ...]] = {}
    if top <= 0 or not index.programmes:
        return found
    cfg = index.config
    for start in range(0, len(batch.keys), _CHUNK):
        rows = slice(start, start + _CHUNK)
        arrays = index._need_arrays(batch, rows)
        approx = index._scores(arrays)
        r_idx, cols = np.nonzero(approx >= cfg.adequate_score - _MARGIN)
        approximate = approx[r_idx, cols]
        del approx
        if r_idx.size:
            # Exactly one rule failed, and not "unpublished" (an eligible
            # programme is a suggestion, never a near miss).
            failed = _failures(index, arrays, today)[arrays["signature"][r_idx], cols]
            one = (failed == 1) & index._published[cols]
            r_idx, cols, approximate = r_idx[one], cols[one], approximate[one]
        if r_idx.size == 0:
            continue
        concepts = np.einsum(
            "ij,ij->i", arrays["concepts"][r_idx], index._p_concepts[cols]
        )
        # Adequate (is_adequate decides below; this only drops the clearly
        # inadequate), and among a need's top by the approximate score.
        keep = concepts >= cfg.adequate_concepts - _MARGIN
        keep &= (
            approximate
            >= _top_bound(
                r_idx, approximate, concepts, cfg, top, rows=len(batch.keys[rows])
            )[r_idx]
        )
        r_idx, cols, concepts = r_idx[keep], cols[keep], concepts[keep]
        if r_idx.size == 0:
            continue
        exact = index._exact_scores(arrays, r_idx, cols)
        order = np.lexsort((index._key_rank[cols], -exact, r_idx))
        r_idx, cols, exact, concepts = (
            r_idx[order],
            cols[order],
            exact[order],
            concepts[order],
        )
        bounds = np.flatnonzero(np.diff(r_idx)) + 1
        for group in np.split(np.arange(r_idx.size), bounds):
            if group.size == 0:
                continue
            need = batch.needs[start + int(r_idx[group[0]])]
            ranked = zip(
                exact[group].tolist(),
                cols[group].tolist(),
                concepts[group].tolist(),
                strict=True,
            )
            misses = _first_near_misses(index, need, ranked, today=today, top=top)
            if misses:
                found[need.key] = tuple(misses)
    return found


def _top_bound(
    r_idx: np.ndarray,
    approximate: np.ndarray,
    concepts: np.ndarray,
    cfg: MatchingConfig,
    top: int,
    *,
    rows: int,
) -> np.ndarray:
    """Per need row, the approximate score a candidate needs to possibly be
    among its ``top`` near misses.

    The ``top``-th best approximate score among the candidates that are
    certainly adequate (clear of both thresholds by the margin): every exact
    top pair, or one tied with the last, scores at least that less twice the
    approximation error, so only those are scored exactly (scoring every
    candidate exactly cost more than the rest of the near misses). Rows with
    fewer such candidates keep them all.
    """
    bound = np.full(rows, -np.inf)
    sure = (approximate >= cfg.adequate_score + 2 * _MARGIN) & (
        concepts >= cfg.adequate_concepts + _MARGIN
    )
    r_sure, a_sure = r_idx[sure], approximate[sure]
    if r_sure.size == 0:
        return bound
    order = np.lexsort((-a_sure, r_sure))
    r_sure, a_sure = r_sure[order], a_sure[order]
    counts = np.bincount(r_sure, minlength=rows)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    at_top = np.arange(r_sure.size) - first == top - 1
    bound[r_sure[at_top]] = a_sure[at_top].astype(np.float64) - 2 * _MARGIN
    return bound


def _failures(
    index: MatchingIndex, arrays: Mapping[str, Any], today: date
) -> np.ndarray:
    """How many hard rules each need signature of ``arrays`` fails with each
    programme (signatures x programmes), as :func:`eligibility` counts them."""
    status = (
        (index._ends < today.toordinal()).astype(np.int8)
        + ~index._published
        + index._full
    ).astype(np.int8)
    signatures = arrays["signatures"]
    table = np.empty((len(signatures), status.size), dtype=np.int8)
    for s, (places, langs, ldc, sids) in enumerate(signatures):
        row = table[s]
        row[:] = status
        reached = index._worldwide
        if places:
            reached = index._places_t[list(places)].any(axis=0) | reached
        row += ~reached
        if langs:
            row += ~index._langs_t[list(langs)].any(axis=0)
        else:
            row += 1
        if not ldc:
            row += index._ldc_only
        if not sids:
            row += index._sids_only
    return table


def _first_near_misses(
    index: MatchingIndex,
    need: NeedProfile,
    ranked: Iterable[tuple[float, int, float]],
    *,
    today: date,
    top: int,
) -> tuple[NearMiss, ...]:
    """The first ``top`` programmes of ``ranked`` (score, programme column,
    concept agreement; best first) that would be adequate for the need and
    fail exactly one eligibility rule (an unpublished one is no near miss)."""
    found: list[NearMiss] = []
    for score, i, agree in ranked:
        if not is_adequate(score, agree, index.config):
            continue
        programme = index.programmes[i]
        failed = eligibility(need, programme, today=today).failed
        if len(failed) != 1 or failed[0] == RULE_UNPUBLISHED:
            continue
        found.append(
            NearMiss(
                need=need.key,
                programme=programme.key,
                score=score,
                rule=failed[0],
                reason=why_not(need, programme, today=today)[0],
            )
        )
        if len(found) == top:
            break
    return tuple(found)
