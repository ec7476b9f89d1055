"""Near misses: the programmes a need narrowly missed, and the rule that excluded each.

A programme is a near miss of a need when exactly one hard rule keeps it out
(geography, LDC-only, SIDS-only, language, ended, no places left; never
"unpublished": a programme that is not published is nobody's suggestion) and it
would be *adequate* for the need if that rule did not apply (see
:mod:`matchmaking.engine.adequacy`). So the focal point knows whom to ask, and
what to ask for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from matchmaking.engine.adequacy import is_adequate
from matchmaking.engine.arrays import NeedBatch
from matchmaking.engine.eligibility import RULE_UNPUBLISHED, eligibility, why_not
from matchmaking.engine.profiles import NeedFeatures, NeedProfile, Reason

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
    found: list[NearMiss] = []
    for negative, i, agree in order:
        score = -negative
        if not is_adequate(score, agree, cfg):
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
