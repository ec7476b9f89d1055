"""Whether a need has an adequate programme, from the whole match, and if not why.

A programme is *adequate* for a need when it is eligible (the hard rules) and
both of these hold:

- its overall match, the ranking score (topic, text, audience, assistance type
  and delivery mode, each weighed as in the ranking), reaches
  ``MatchingConfig.adequate_score``: it fits what the need asks for on the
  whole, however thoroughly the need was tagged;
- what the two texts are about agrees: the cosine of their lexicon-concept
  vectors (with the topics the concepts imply) reaches
  ``MatchingConfig.adequate_concepts``. Concepts are the same in the six UN
  languages, so unlike the text component (which also counts shared word stems,
  found only when both texts are in one language) this check does not penalise
  a need written in another language than the programmes.

Either alone misleads: a programme sharing one broad tag ("incident
response") with a terse need scores well on tags while its text is about
something else; a need whose wording the lexicon covers less well has lower text
relevance although every tag fits.

A need with no adequate programme is *unmet*, for one of three reasons, in this
order: no programme is eligible (``no_eligible``); eligible programmes exist but
none covers any of the need's topics (its tagged topics, or those its text
implies when it has none tagged: ``topic_missed``); or some cover its topics but
none is close enough (``none_relevant``).

Calibration (see ``MatchingConfig``) on a development set far harder than the
posted one: the 24 needs of ``tests/data/dev.json`` in the six UN languages,
each as posted, with one topic, untagged, and rewritten tersely with one topic
and one assistance type (``tests/data/dev_needs_terse.json``): 720 needs.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence

import numpy as np

from matchmaking.engine.profiles import SCORE_DECIMALS
from matchmaking.engine.profiles import MatchingConfig

UNMET_NO_ELIGIBLE = "no_eligible"


UNMET_TOPIC_MISSED = "topic_missed"


UNMET_NONE_CLOSE = "none_relevant"


UNMET_CODES = (UNMET_NO_ELIGIBLE, UNMET_TOPIC_MISSED, UNMET_NONE_CLOSE)


def is_adequate(score: float, concepts: float, config: MatchingConfig) -> bool:
    """Whether an eligible pair with this score and concept cosine is adequate."""
    return (
        round(score, SCORE_DECIMALS) >= config.adequate_score
        and round(concepts, SCORE_DECIMALS) >= config.adequate_concepts
    )


def need_topics(tagged: Iterable[str], implied: Mapping[str, float]) -> frozenset[str]:
    """The topics a need is about: its tags, else the ones its text implies."""
    return frozenset(tagged) or frozenset(t for t, w in implied.items() if w > 0)


def unmet_verdict(*, eligible: int, adequate: bool, topic_covered: bool) -> str | None:
    """The unmet code of a need (None when it has an adequate programme).

    ``eligible``: how many programmes are eligible; ``adequate``: whether one
    of them is adequate; ``topic_covered``: whether one of them covers one of
    the need's topics (:func:`need_topics`).
    """
    if eligible == 0:
        return UNMET_NO_ELIGIBLE
    if adequate:
        return None
    if not topic_covered:
        return UNMET_TOPIC_MISSED
    return UNMET_NONE_CLOSE


def unmet_of_rows(
    *,
    counts: Sequence[int],
    rows: np.ndarray,
    scores: np.ndarray,
    concepts: np.ndarray,
    top: int,
    config: MatchingConfig,
    adequate_beyond: Callable[[list[int]], list[bool]],
    topic_covered: Callable[[list[int]], list[bool]],
) -> list[str | None]:
    """The unmet code of each need row of a ranked chunk.

    ``counts[r]``: the row's ranked (eligible) programmes; ``rows``,
    ``scores``, ``concepts``: the ranked pairs' row, score and concept cosine,
    each row's best first. A row is met when one ranked pair is adequate. A
    row whose ``top`` ranked pairs all reach ``adequate_score`` without one
    being adequate may have an adequate programme further down:
    ``adequate_beyond`` checks such rows against all eligible programmes.
    ``topic_covered`` says, for unmet rows with eligible programmes, whether
    one of those covers one of the need's topics.
    """
    m = len(counts)
    met = np.zeros(m, dtype=bool)
    if rows.size:
        ok = (np.round(scores, SCORE_DECIMALS) >= config.adequate_score) & (
            np.round(concepts, SCORE_DECIMALS) >= config.adequate_concepts
        )
        met[rows[ok]] = True
        # Rows are listed best first: the last pair of a row is its lowest.
        last = np.full(m, np.inf)
        np.minimum.at(last, rows, np.round(scores, SCORE_DECIMALS))
    else:
        last = np.full(m, np.inf)
    counts = list(counts)
    further = [
        r
        for r in range(m)
        if not met[r] and counts[r] >= top > 0 and last[r] >= config.adequate_score
    ]
    if further:
        for r, found in zip(further, adequate_beyond(further), strict=True):
            met[r] = found
    pending = [r for r in range(m) if counts[r] and not met[r]]
    covered = dict(zip(pending, topic_covered(pending), strict=True)) if pending else {}
    return [
        unmet_verdict(
            eligible=counts[r],
            adequate=bool(met[r]),
            topic_covered=covered.get(r, False),
        )
        for r in range(m)
    ]
