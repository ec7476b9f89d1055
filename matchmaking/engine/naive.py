"""The reference scorer: the same rankings pair by pair in plain Python, to check the
vectorised index against.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from datetime import date

from matchmaking.engine.adequacy import is_adequate
from matchmaking.engine.adequacy import need_topics
from matchmaking.engine.adequacy import unmet_verdict
from matchmaking.engine.arrays import NeedBatch
from matchmaking.engine.eligibility import eligibility
from matchmaking.engine.index import MatchingIndex
from matchmaking.engine.index import build_index
from matchmaking.engine.profiles import DEFAULT_CONFIG
from matchmaking.engine.profiles import Match
from matchmaking.engine.profiles import MatchingConfig
from matchmaking.engine.profiles import NeedProfile
from matchmaking.engine.profiles import NeedResult
from matchmaking.engine.profiles import ProgrammeProfile
from matchmaking.engine.scoring import _dot
from matchmaking.engine.scoring import score_components
from matchmaking.engine.text.analyser import Lexicon


def naive_rank_all(
    needs: Sequence[NeedProfile],
    programmes: Sequence[ProgrammeProfile],
    *,
    topic_themes: Mapping[str, str],
    today: date,
    top: int = 10,
    lexicon: Lexicon | None = None,
    config: MatchingConfig = DEFAULT_CONFIG,
    index: MatchingIndex | None = None,
    batch: NeedBatch | None = None,
) -> list[NeedResult]:
    """Same rankings as :meth:`MatchingIndex.rank_needs`, pair by pair in Python.

    Deliberately naive: every pair is checked and scored with dict/set loops.
    Only the per-record text encoding is shared with the index (pass ``index``
    and ``batch`` to reuse encodings already made).
    """
    if index is None:
        index = build_index(
            programmes, topic_themes=topic_themes, lexicon=lexicon, config=config
        )
    encoded = (
        dict(zip(batch.keys, batch.features, strict=True)) if batch is not None else {}
    )
    results = []
    for need in needs:
        nf = encoded.get(need.key) or index.need_features(need)
        scored = []
        topics = need_topics(need.topics, nf.topics)
        adequate = topic_covered = False
        for p, pf in zip(index.programmes, index.features, strict=True):
            if not eligibility(need, p, today=today).eligible:
                continue
            comps = score_components(nf, pf, topic_themes=topic_themes, config=config)
            score = comps.total(config.weights)
            adequate = adequate or is_adequate(
                score, _dot(nf.concepts, pf.concepts), config
            )
            topic_covered = topic_covered or not topics.isdisjoint(p.topics)
            scored.append((score, p.key, comps))
        scored.sort(key=lambda item: (-item[0], item[1]))
        matches = tuple(
            Match(need=need.key, programme=key, score=score, components=comps)
            for score, key, comps in scored[:top]
        )
        unmet = unmet_verdict(
            eligible=len(scored), adequate=adequate, topic_covered=topic_covered
        )
        results.append(NeedResult(need=need.key, matches=matches, unmet=unmet))
    return results
