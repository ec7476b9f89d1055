"""The matching engine: eligibility, relevance, explanations, allocation.

Pure functions and immutable values: no ORM, no clock, no network. The caller
turns model rows into :class:`NeedProfile` / :class:`ProgrammeProfile`, passes
reference data (topic -> theme map, display names) as plain dicts and passes
"today" explicitly. Reading the shipped lexicon file once is the only I/O, and
only when the caller does not pass a
:class:`~matchmaking.engine.text.analyser.Lexicon`. For large inputs the
engine may fork worker processes (text analysis, scoring of need chunks; only
from a single-threaded process, see ``workers`` arguments); results are the
same, in the same order, as in one process.

Hard rules first. A programme is eligible for a need when (docs/DATASET.md):
geography (worldwide, the country listed, or one of its M49 region codes
listed), ``ldc_only`` => LDC, ``sids_only`` => SIDS, a shared language, not ended
(``ends_on`` before today), published, and capacity left. An ineligible
programme never appears in a ranking; :func:`eligibility` says which rules fail.

Relevance of an eligible pair is a weighted mean of components in [0, 1]
(weights in :class:`Weights`; a component the need gives no information for is
left out and the others renormalised, so scores of tagged and untagged needs
stay comparable):

``topic`` (0.25)
    Coverage of the need's topics by the programme's: the same topic earns 1, a
    topic of the same theme earns ``theme_credit`` (0.5). The need's topics are
    its tags (weight 1) plus the topics its text implies through the lexicon
    (weight ``implied_weight`` x strength), so an untagged need still has topics.
    Blended with ``focus`` (0.15): the share of the programme's own topics that
    the need asks for, which prefers a focused programme over a catch-all.
``text`` (0.50)
    ``concept_share`` (0.7) x cosine of lexicon-concept vectors + the rest x
    cosine of word-stem TF-IDF vectors (same-language wording). A
    concept vector holds the concepts the text mentions (log-damped counts x
    idf over the programmes) plus, at ``topic_in_text`` (0.6) of its norm, the
    topics those concepts imply, so "ransomware recovery" and "incident
    handling" meet through the incident-response topic in any language.
``audience`` (0.10), ``assistance`` (0.08)
    Weighted coverage of the need's audiences / assistance types (tags, or
    the ones its text implies when the need has none tagged).
``delivery`` (0.07)
    1 when a delivery mode is shared, 0.5 when only hybrid bridges them, else 0.
    A programme that only gives knowledge products, tools or funding fits any
    mode (1): a toolkit, a scanning service or a grant is used however the
    need's own activities run (``delivery_modes_offered``).
``reach`` (0.06)
    1 when the programme is open to some countries only (regions, a country
    list, LDCs or SIDS; for an eligible pair that group includes the need's
    country), 0 when it is open worldwide: a programme made for the need's
    region is designed around its situation, languages and partners. The
    ``open_to`` reason says which group.

Scores are rounded to 6 decimals and rankings are sorted by score descending,
then programme key ascending, so results are deterministic.

A need is *unmet* when no eligible programme is adequate: none both scores at
least ``adequate_score`` and agrees with the need's text in concepts (cosine at
least ``adequate_concepts``). The reason says why: ``no_eligible`` (nothing is
open to it), ``topic_missed`` (eligible programmes cover none of its topics),
``none_relevant`` (none close enough); see :mod:`matchmaking.engine.adequacy`.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from matchmaking.engine.advisor import Advice
    from matchmaking.engine.advisor import advise
    from matchmaking.engine.advisor import apply_change
    from matchmaking.engine.allocation import Allocation
    from matchmaking.engine.allocation import Assignment
    from matchmaking.engine.allocation import allocate
    from matchmaking.engine.allocation import candidates_from_results
    from matchmaking.engine.allocation import fairness_weights
    from matchmaking.engine.arrays import CandidateArcs
    from matchmaking.engine.arrays import NeedBatch
    from matchmaking.engine.batch_ranking import MAX_RANK_WORKERS
    from matchmaking.engine.batch_ranking import BatchRanking
    from matchmaking.engine.eligibility import RULE_CAPACITY
    from matchmaking.engine.eligibility import RULE_ENDED
    from matchmaking.engine.eligibility import RULE_GEOGRAPHY
    from matchmaking.engine.eligibility import RULE_LANGUAGE
    from matchmaking.engine.eligibility import RULE_LDC_ONLY
    from matchmaking.engine.eligibility import RULE_SIDS_ONLY
    from matchmaking.engine.eligibility import RULE_UNPUBLISHED
    from matchmaking.engine.eligibility import RULES
    from matchmaking.engine.eligibility import Eligibility
    from matchmaking.engine.eligibility import eligibility
    from matchmaking.engine.eligibility import programme_is_open
    from matchmaking.engine.eligibility import why_not
    from matchmaking.engine.index import MatchingIndex
    from matchmaking.engine.index import build_index
    from matchmaking.engine.naive import naive_rank_all
    from matchmaking.engine.near_misses import NearMiss
    from matchmaking.engine.near_misses import near_misses
    from matchmaking.engine.near_misses import near_misses_many
    from matchmaking.engine.near_misses import needs_within_reach
    from matchmaking.engine.profiles import CHANGE_KINDS
    from matchmaking.engine.profiles import COMPONENT_NAMES
    from matchmaking.engine.profiles import DEFAULT_CONFIG
    from matchmaking.engine.profiles import LDC_WEIGHT
    from matchmaking.engine.profiles import MAX_WORD_DF
    from matchmaking.engine.profiles import MAX_WORDS
    from matchmaking.engine.profiles import REASON_CODES
    from matchmaking.engine.profiles import SCORE_DECIMALS
    from matchmaking.engine.profiles import SIDS_WEIGHT
    from matchmaking.engine.profiles import Components
    from matchmaking.engine.profiles import Match
    from matchmaking.engine.profiles import MatchingConfig
    from matchmaking.engine.profiles import NeedFeatures
    from matchmaking.engine.profiles import NeedProfile
    from matchmaking.engine.profiles import NeedResult
    from matchmaking.engine.profiles import ProgrammeFeatures
    from matchmaking.engine.profiles import ProgrammeProfile
    from matchmaking.engine.profiles import Reason
    from matchmaking.engine.profiles import Weights
    from matchmaking.engine.profiles import is_targeted
    from matchmaking.engine.ranking import Ranking
    from matchmaking.engine.reasons import explain_match
    from matchmaking.engine.reasons import unmet_reason
    from matchmaking.engine.scoring import score_components

# Loaded on first use (PEP 562): web processes import this package for a few
# constants and labels only, and must not pay for numpy, scipy and the
# stemmers at start-up (they read the engine's stored results, see
# stored_results.py); the task worker loads what it uses.
_WHERE = {
    "CHANGE_KINDS": "matchmaking.engine.profiles",
    "Advice": "matchmaking.engine.advisor",
    "advise": "matchmaking.engine.advisor",
    "apply_change": "matchmaking.engine.advisor",
    "LDC_WEIGHT": "matchmaking.engine.profiles",
    "SIDS_WEIGHT": "matchmaking.engine.profiles",
    "Allocation": "matchmaking.engine.allocation",
    "Assignment": "matchmaking.engine.allocation",
    "allocate": "matchmaking.engine.allocation",
    "candidates_from_results": "matchmaking.engine.allocation",
    "fairness_weights": "matchmaking.engine.allocation",
    "CandidateArcs": "matchmaking.engine.arrays",
    "NeedBatch": "matchmaking.engine.arrays",
    "MAX_RANK_WORKERS": "matchmaking.engine.batch_ranking",
    "BatchRanking": "matchmaking.engine.batch_ranking",
    "RULE_CAPACITY": "matchmaking.engine.eligibility",
    "RULE_ENDED": "matchmaking.engine.eligibility",
    "RULE_GEOGRAPHY": "matchmaking.engine.eligibility",
    "RULE_LANGUAGE": "matchmaking.engine.eligibility",
    "RULE_LDC_ONLY": "matchmaking.engine.eligibility",
    "RULE_SIDS_ONLY": "matchmaking.engine.eligibility",
    "RULE_UNPUBLISHED": "matchmaking.engine.eligibility",
    "RULES": "matchmaking.engine.eligibility",
    "Eligibility": "matchmaking.engine.eligibility",
    "eligibility": "matchmaking.engine.eligibility",
    "programme_is_open": "matchmaking.engine.eligibility",
    "why_not": "matchmaking.engine.eligibility",
    "MatchingIndex": "matchmaking.engine.index",
    "build_index": "matchmaking.engine.index",
    "naive_rank_all": "matchmaking.engine.naive",
    "NearMiss": "matchmaking.engine.near_misses",
    "near_misses": "matchmaking.engine.near_misses",
    "near_misses_many": "matchmaking.engine.near_misses",
    "needs_within_reach": "matchmaking.engine.near_misses",
    "COMPONENT_NAMES": "matchmaking.engine.profiles",
    "DEFAULT_CONFIG": "matchmaking.engine.profiles",
    "MAX_WORD_DF": "matchmaking.engine.profiles",
    "MAX_WORDS": "matchmaking.engine.profiles",
    "REASON_CODES": "matchmaking.engine.profiles",
    "SCORE_DECIMALS": "matchmaking.engine.profiles",
    "Components": "matchmaking.engine.profiles",
    "Match": "matchmaking.engine.profiles",
    "MatchingConfig": "matchmaking.engine.profiles",
    "NeedFeatures": "matchmaking.engine.profiles",
    "NeedProfile": "matchmaking.engine.profiles",
    "NeedResult": "matchmaking.engine.profiles",
    "ProgrammeFeatures": "matchmaking.engine.profiles",
    "ProgrammeProfile": "matchmaking.engine.profiles",
    "Reason": "matchmaking.engine.profiles",
    "Weights": "matchmaking.engine.profiles",
    "is_targeted": "matchmaking.engine.profiles",
    "Ranking": "matchmaking.engine.ranking",
    "explain_match": "matchmaking.engine.reasons",
    "unmet_reason": "matchmaking.engine.reasons",
    "score_components": "matchmaking.engine.scoring",
}


# Functions named like their module (``eligibility``, ``near_misses``): importing
# the module sets the package's attribute to it; the function is kept instead,
# as the eager imports this package once made left it.
_SAME_NAME = frozenset(n for n, module in _WHERE.items() if module.endswith("." + n))


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SAME_NAME and isinstance(value, types.ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})


__all__ = [
    "CHANGE_KINDS",
    "COMPONENT_NAMES",
    "DEFAULT_CONFIG",
    "LDC_WEIGHT",
    "MAX_RANK_WORKERS",
    "MAX_WORDS",
    "MAX_WORD_DF",
    "REASON_CODES",
    "RULES",
    "RULE_CAPACITY",
    "RULE_ENDED",
    "RULE_GEOGRAPHY",
    "RULE_LANGUAGE",
    "RULE_LDC_ONLY",
    "RULE_SIDS_ONLY",
    "RULE_UNPUBLISHED",
    "SCORE_DECIMALS",
    "SIDS_WEIGHT",
    "Advice",
    "Allocation",
    "Assignment",
    "BatchRanking",
    "CandidateArcs",
    "Components",
    "Eligibility",
    "Match",
    "MatchingConfig",
    "MatchingIndex",
    "NearMiss",
    "NeedBatch",
    "NeedFeatures",
    "NeedProfile",
    "NeedResult",
    "ProgrammeFeatures",
    "ProgrammeProfile",
    "Ranking",
    "Reason",
    "Weights",
    "advise",
    "allocate",
    "apply_change",
    "build_index",
    "candidates_from_results",
    "eligibility",
    "explain_match",
    "fairness_weights",
    "is_targeted",
    "naive_rank_all",
    "near_misses",
    "near_misses_many",
    "needs_within_reach",
    "programme_is_open",
    "score_components",
    "unmet_reason",
    "why_not",
]
