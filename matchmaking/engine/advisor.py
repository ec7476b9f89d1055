"""The gap advisor: the smallest changes to programmes that would serve unmet needs.

For each unmet need, every published programme that would be *adequate* for it
(see :mod:`matchmaking.engine.adequacy`) but for one hard rule suggests the
change lifting that rule: open it to the need's country (``countries``), lift
an LDC-only or SIDS-only restriction, add a delivery language, extend its end
date, add places. An eligible programme that falls short only on delivery mode
suggests adding one. Changes to one programme are pooled over the needs they
serve (one ``countries`` change lists every country), then each is *checked*:
the changed programme is run through the engine's rules and scoring again for
every need it claims, and only the needs it then serves adequately are kept.
Advice is ranked by the weight of the needs served (1 each, more for LDCs and
SIDS: :func:`~matchmaking.engine.allocation.fairness_weights`), then their
number.
"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from matchmaking.engine.adequacy import is_adequate
from matchmaking.engine.arrays import NeedBatch
from matchmaking.engine.eligibility import RULE_CAPACITY
from matchmaking.engine.eligibility import RULE_ENDED
from matchmaking.engine.eligibility import RULE_GEOGRAPHY
from matchmaking.engine.eligibility import RULE_LANGUAGE
from matchmaking.engine.eligibility import RULE_LDC_ONLY
from matchmaking.engine.eligibility import RULE_SIDS_ONLY
from matchmaking.engine.eligibility import eligibility
from matchmaking.engine.profiles import ANY_MODE
from matchmaking.engine.profiles import CHANGE_COUNTRIES
from matchmaking.engine.profiles import CHANGE_DELIVERY
from matchmaking.engine.profiles import CHANGE_END_DATE
from matchmaking.engine.profiles import CHANGE_LANGUAGE
from matchmaking.engine.profiles import CHANGE_LDC_ONLY
from matchmaking.engine.profiles import CHANGE_PLACES
from matchmaking.engine.profiles import CHANGE_SIDS_ONLY
from matchmaking.engine.profiles import NeedFeatures
from matchmaking.engine.profiles import NeedProfile
from matchmaking.engine.profiles import ProgrammeFeatures
from matchmaking.engine.profiles import ProgrammeProfile
from matchmaking.engine.profiles import delivery_modes_offered
from matchmaking.engine.scoring import _dot
from matchmaking.engine.scoring import score_components

if TYPE_CHECKING:
    from matchmaking.engine.index import MatchingIndex

_RULE_CHANGE = {
    RULE_GEOGRAPHY: CHANGE_COUNTRIES,
    RULE_LDC_ONLY: CHANGE_LDC_ONLY,
    RULE_SIDS_ONLY: CHANGE_SIDS_ONLY,
    RULE_LANGUAGE: CHANGE_LANGUAGE,
    RULE_ENDED: CHANGE_END_DATE,
    RULE_CAPACITY: CHANGE_PLACES,
}

# How far below the adequate score a pair may be for a delivery mode to lift
# it (the delivery weight over the smallest weight total a need can have).
_DELIVERY_SLACK = 0.15

_MARGIN = 1e-4

_CHUNK = 512


@dataclass(frozen=True)
class Advice:
    """One change to one programme, and the unmet needs it would then serve."""

    programme: str
    kind: str
    value: str  # countries: "SEN,MLI"; language / delivery mode; date; places
    needs: tuple[str, ...]
    weight: float


def apply_change(
    programme: ProgrammeProfile, kind: str, value: str
) -> ProgrammeProfile:
    """The programme with the change made."""
    if kind == CHANGE_COUNTRIES:
        added = frozenset(value.split(","))
        return replace(programme, countries=programme.countries | added)
    if kind == CHANGE_LDC_ONLY:
        return replace(programme, ldc_only=False)
    if kind == CHANGE_SIDS_ONLY:
        return replace(programme, sids_only=False)
    if kind == CHANGE_LANGUAGE:
        return replace(programme, languages=programme.languages | {value})
    if kind == CHANGE_END_DATE:
        return replace(programme, ends_on=date.fromisoformat(value))
    if kind == CHANGE_PLACES:
        return replace(programme, capacity=int(value))
    if kind == CHANGE_DELIVERY:
        return replace(programme, delivery_modes=programme.delivery_modes | {value})
    raise ValueError(f"unknown change {kind!r}")


def _serves(
    need: NeedProfile,
    features: NeedFeatures,
    programme: ProgrammeProfile,
    programme_features: ProgrammeFeatures,
    index: MatchingIndex,
    today: date,
) -> bool:
    """Whether the programme is eligible and adequate for the need."""
    if not eligibility(need, programme, today=today).eligible:
        return False
    comps = score_components(
        features,
        programme_features,
        topic_themes=index.topic_themes,
        config=index.config,
    )
    return is_adequate(
        comps.total(index.config.weights),
        _dot(features.concepts, programme_features.concepts),
        index.config,
    )


def advise(
    index: MatchingIndex,
    needs: Sequence[NeedProfile],
    *,
    today: date,
    features: Sequence[NeedFeatures] | None = None,
    weights: Mapping[str, float] | None = None,
    programmes: Collection[str] | None = None,
) -> tuple[Advice, ...]:
    """Checked changes to published programmes that would serve these (unmet) needs.

    ``programmes``: only advise on these programme keys (a programme page).
    """
    if not needs or not index.programmes:
        return ()
    if features is None:
        batch = index.encode_needs(needs)
    else:
        batch = NeedBatch(
            keys=tuple(n.key for n in needs),
            needs=tuple(needs),
            features=tuple(features),
        )
    cfg = index.config
    allowed: np.ndarray | None = None
    if programmes is not None:
        allowed = np.array(
            sorted(index.position[k] for k in programmes if k in index.position),
            dtype=np.int64,
        )
        if allowed.size == 0:
            return ()
    claims: dict[tuple[str, str, str], set[int]] = {}
    floor = cfg.adequate_score - _DELIVERY_SLACK - _MARGIN
    # A programme page scores one column against all the needs at once, with
    # the batch's arrays kept (same encoded needs, next page: no re-encoding).
    chunk = _CHUNK if allowed is None else max(1, len(needs))
    for start in range(0, len(needs), chunk):
        rows = slice(start, start + chunk)
        if allowed is None:
            arrays = index._need_arrays(batch, rows)
        else:
            arrays = index._batch_arrays(batch)
        if allowed is None:
            approx = index._scores(arrays)
            r_idx, cols = np.nonzero(approx >= floor)
            del approx
        else:
            m = len(batch.needs[rows])
            r_idx = np.repeat(np.arange(m), allowed.size)
            cols = np.tile(allowed, m)
        if r_idx.size == 0:
            continue
        exact = index._exact_scores(arrays, r_idx, cols)
        agree = np.einsum(
            "ij,ij->i", arrays["concepts"][r_idx], index._p_concepts[cols]
        )
        keep = (exact >= floor) & (np.round(agree, 6) >= cfg.adequate_concepts)
        for r, i, score, concept in zip(
            r_idx[keep].tolist(),
            cols[keep].tolist(),
            exact[keep].tolist(),
            agree[keep].tolist(),
            strict=True,
        ):
            b = start + r
            _claim(claims, index, batch, b, i, score, concept, today)
    return _checked(claims, index, batch, today, weights or {})


def _claim(
    claims: dict[tuple[str, str, str], set[int]],
    index: MatchingIndex,
    batch: NeedBatch,
    b: int,
    i: int,
    score: float,
    concept: float,
    today: date,
) -> None:
    """Record the change a (need, programme) pair suggests, if any."""
    need, programme = batch.needs[b], index.programmes[i]
    if not programme.is_published:
        return
    failed = eligibility(need, programme, today=today).failed
    cfg = index.config
    if len(failed) == 1 and failed[0] in _RULE_CHANGE:
        if not is_adequate(score, concept, cfg):
            return
        kind = _RULE_CHANGE[failed[0]]
        values = sorted(need.languages) if kind == CHANGE_LANGUAGE else [""]
        for value in values:
            claims.setdefault((programme.key, kind, value), set()).add(b)
    elif not failed and need.delivery_modes:
        offered = delivery_modes_offered(programme)
        # A programme that only gives materials, tools or money fits any mode.
        if need.delivery_modes & offered or ANY_MODE in offered:
            return
        for mode in sorted(need.delivery_modes):
            claims.setdefault((programme.key, CHANGE_DELIVERY, mode), set()).add(b)


def _checked(
    claims: Mapping[tuple[str, str, str], set[int]],
    index: MatchingIndex,
    batch: NeedBatch,
    today: date,
    weights: Mapping[str, float],
) -> tuple[Advice, ...]:
    """Pool the claims per change, make each change and keep the needs it serves."""
    pooled: dict[tuple[str, str, str], set[int]] = {}
    for (key, kind, value), rows in claims.items():
        if kind == CHANGE_COUNTRIES:
            countries = ",".join(sorted({batch.needs[b].country for b in rows}))
            pooled[(key, kind, countries)] = set(rows)
        elif kind == CHANGE_END_DATE:
            pooled[(key, kind, today.isoformat())] = set(rows)
        elif kind == CHANGE_PLACES:
            p = index.programmes[index.position[key]]
            pooled[(key, kind, str(p.capacity_used + len(rows)))] = set(rows)
        else:
            pooled[(key, kind, value)] = set(rows)
    advice = []
    for (key, kind, value), rows in pooled.items():
        i = index.position[key]
        changed = apply_change(index.programmes[i], kind, value)
        pf = index.features[i]
        if kind == CHANGE_DELIVERY:
            pf = replace(pf, delivery_modes=delivery_modes_offered(changed))
        served = sorted(
            batch.needs[b].key
            for b in rows
            if _serves(batch.needs[b], batch.features[b], changed, pf, index, today)
        )
        if served:
            weight = round(sum(weights.get(n, 1.0) for n in served), 6)
            advice.append(Advice(key, kind, value, tuple(served), weight))
    advice.sort(key=lambda a: (-a.weight, -len(a.needs), a.programme, a.kind, a.value))
    return tuple(advice)
