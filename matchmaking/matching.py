"""The matching engine: eligibility, relevance, explanations, allocation.

Pure functions and immutable values: no ORM, no clock, no network. The caller
turns model rows into :class:`NeedProfile` / :class:`ProgrammeProfile`, passes
reference data (topic -> theme map, display names) as plain dicts and passes
"today" explicitly. Reading the shipped lexicon file once is the only I/O, and
only when the caller does not pass a :class:`~matchmaking.text.Lexicon`. For
large inputs the engine may fork worker processes (text analysis, scoring of
need chunks; only from a single-threaded process, see ``workers`` arguments);
results are the same, in the same order, as in one process.

Hard rules first. A programme is eligible for a need when (DATASET.md):
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
    cosine of character 3-5-gram TF-IDF vectors (same-language wording). A
    concept vector holds the concepts the text mentions (log-damped counts x
    idf over the programmes) plus, at ``topic_in_text`` (0.6) of its norm, the
    topics those concepts imply, so "ransomware recovery" and "incident
    handling" meet through the incident-response topic in any language.
``audience`` (0.10), ``assistance`` (0.08)
    Weighted coverage of the need's audiences / assistance types (tags, or
    the ones its text implies when the need has none tagged).
``delivery`` (0.07)
    1 when a delivery mode is shared, 0.5 when only hybrid bridges them, else 0.

Scores are rounded to 6 decimals and rankings are sorted by score descending,
then programme key ascending, so results are deterministic.

A need is *unmet* when no programme is eligible (``no_eligible``) or no eligible
programme's text relevance reaches ``unmet_threshold`` (``none_relevant``); see
:class:`MatchingConfig` for why and how that threshold was calibrated.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import operator
import os
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse import _sparsetools

from matchmaking import text as textmod

# ---------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True)
class NeedProfile:
    """A need as the engine sees it, with the facts about its country."""

    key: str
    country: str
    languages: frozenset[str]
    country_regions: frozenset[str] = frozenset()
    is_ldc: bool = False
    is_sids: bool = False
    topics: frozenset[str] = frozenset()
    assistance_types: frozenset[str] = frozenset()
    audiences: frozenset[str] = frozenset()
    delivery_modes: frozenset[str] = frozenset()
    title: str = ""
    summary: str = ""
    description: str = ""


@dataclass(frozen=True)
class ProgrammeProfile:
    """A programme as the engine sees it: tags, eligibility rule and status."""

    key: str
    languages: frozenset[str]
    topics: frozenset[str] = frozenset()
    assistance_types: frozenset[str] = frozenset()
    audiences: frozenset[str] = frozenset()
    delivery_modes: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()
    ldc_only: bool = False
    sids_only: bool = False
    is_published: bool = True
    starts_on: date | None = None
    ends_on: date | None = None
    capacity: int | None = None
    capacity_used: int = 0
    title: str = ""
    summary: str = ""
    description: str = ""

    @property
    def capacity_left(self) -> int | None:
        """Places left, or None when the programme has no capacity limit."""
        if self.capacity is None:
            return None
        return max(0, self.capacity - self.capacity_used)


@dataclass(frozen=True)
class Weights:
    """Weights of the relevance components (they need not sum to 1)."""

    topic: float = 0.25
    text: float = 0.50
    audience: float = 0.10
    assistance: float = 0.08
    delivery: float = 0.07


@dataclass(frozen=True)
class MatchingConfig:
    """Tunable constants of the relevance score and of the unmet rule.

    ``unmet_threshold`` applies to the *text* component, which does not depend
    on how thoroughly a need was tagged: a need is unmet (``none_relevant``)
    when no eligible programme's text relevance reaches it. Calibrated on the
    development set (24 needs, 40 programmes): the best eligible text relevance
    of the three needs without a directly relevant programme was 0.09, 0.24 and
    0.26, that of the 21 needs with one at least 0.41, identically in all three
    conditions (as posted, one topic, untagged); 0.33 is the geometric midpoint
    of that gap. The blended score was a worse separator because its tag
    components move with the tagging (its gaps were 0.40-0.63 as posted but
    0.52-0.61 untagged).
    """

    weights: Weights = field(default_factory=Weights)
    theme_credit: float = 0.5
    focus: float = 0.15
    implied_weight: float = 0.5
    implied_min: float = 0.5
    concept_share: float = 0.7
    topic_in_text: float = 0.6
    unmet_threshold: float = 0.33


DEFAULT_CONFIG = MatchingConfig()
SCORE_DECIMALS = 6
MAX_WORDS = 32
MAX_WORD_DF = 0.5
_FEW_ROWS = 16
_HYBRID = "hybrid"

# ---------------------------------------------------------------------------
# Eligibility

RULE_GEOGRAPHY = "geography"
RULE_LDC_ONLY = "ldc_only"
RULE_SIDS_ONLY = "sids_only"
RULE_LANGUAGE = "language"
RULE_ENDED = "ended"
RULE_UNPUBLISHED = "unpublished"
RULE_CAPACITY = "capacity_full"
RULES = (
    RULE_GEOGRAPHY,
    RULE_LDC_ONLY,
    RULE_SIDS_ONLY,
    RULE_LANGUAGE,
    RULE_ENDED,
    RULE_UNPUBLISHED,
    RULE_CAPACITY,
)


@dataclass(frozen=True)
class Eligibility:
    """Which hard rules a (need, programme) pair fails, and why it passes."""

    failed: tuple[str, ...]
    scope: str  # "worldwide" | "country" | "region" | "" (geography failed)
    region: str | None = None
    shared_languages: tuple[str, ...] = ()

    @property
    def eligible(self) -> bool:
        """True when no rule fails."""
        return not self.failed


def programme_is_open(programme: ProgrammeProfile, *, today: date) -> bool:
    """Published, not ended before ``today`` and with capacity left."""
    return not _status_failures(programme, today=today)


def _status_failures(programme: ProgrammeProfile, *, today: date) -> list[str]:
    failed = []
    if programme.ends_on is not None and programme.ends_on < today:
        failed.append(RULE_ENDED)
    if not programme.is_published:
        failed.append(RULE_UNPUBLISHED)
    if programme.capacity is not None and programme.capacity_used >= programme.capacity:
        failed.append(RULE_CAPACITY)
    return failed


def _geography(
    need: NeedProfile, programme: ProgrammeProfile
) -> tuple[str, str | None]:
    """(scope, region) through which a programme is open to a need's country.

    ``scope`` is "" when it is not.
    """
    if not programme.regions and not programme.countries:
        return "worldwide", None
    if need.country in programme.countries:
        return "country", None
    hits = sorted(programme.regions & need.country_regions)
    if hits:
        # The most specific grouping reads best ("Western Africa" > "Africa").
        return "region", hits[-1]
    return "", None


def eligibility(
    need: NeedProfile, programme: ProgrammeProfile, *, today: date
) -> Eligibility:
    """Check every hard rule of a pair; ``failed`` lists the rules broken."""
    failed: list[str] = []
    scope, region = _geography(need, programme)
    if not scope:
        failed.append(RULE_GEOGRAPHY)
    if programme.ldc_only and not need.is_ldc:
        failed.append(RULE_LDC_ONLY)
    if programme.sids_only and not need.is_sids:
        failed.append(RULE_SIDS_ONLY)
    shared = tuple(sorted(need.languages & programme.languages))
    if not shared:
        failed.append(RULE_LANGUAGE)
    failed.extend(_status_failures(programme, today=today))
    return Eligibility(
        failed=tuple(failed), scope=scope, region=region, shared_languages=shared
    )


# ---------------------------------------------------------------------------
# Explanations


@dataclass(frozen=True)
class Reason:
    """One plain-language reason, as a code plus parameters (translatable).

    Codes (params):
      ``shared_topics`` (topics), ``same_theme`` (theme, topics),
      ``also_covers`` (topics), ``shared_concepts`` (concepts),
      ``assistance`` (assistance_types), ``audience`` (audiences),
      ``delivery`` (modes), ``language`` (languages),
      ``open_to`` (scope, region, country, ldc_only, sids_only);
      why not: ``not_in_area``, ``ldc_only``, ``sids_only``,
      ``no_shared_language``, ``ended``, ``unpublished``, ``capacity_full``
      (country, region, languages as relevant);
      unmet: ``no_eligible``, ``none_relevant`` (threshold).
    """

    code: str
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)


REASON_CODES = (
    "shared_topics",
    "same_theme",
    "also_covers",
    "shared_concepts",
    "assistance",
    "audience",
    "delivery",
    "language",
    "open_to",
    "not_in_area",
    "ldc_only",
    "sids_only",
    "no_shared_language",
    "ended",
    "unpublished",
    "capacity_full",
    "no_eligible",
    "none_relevant",
)
_RULE_REASON = {
    RULE_GEOGRAPHY: "not_in_area",
    RULE_LDC_ONLY: "ldc_only",
    RULE_SIDS_ONLY: "sids_only",
    RULE_LANGUAGE: "no_shared_language",
    RULE_ENDED: "ended",
    RULE_UNPUBLISHED: "unpublished",
    RULE_CAPACITY: "capacity_full",
}


@dataclass(frozen=True)
class Labels:
    """Display names for slugs and codes, passed in (the engine reads nothing)."""

    topics: Mapping[str, str] = field(default_factory=dict)
    themes: Mapping[str, str] = field(default_factory=dict)
    assistance_types: Mapping[str, str] = field(default_factory=dict)
    audiences: Mapping[str, str] = field(default_factory=dict)
    delivery_modes: Mapping[str, str] = field(default_factory=dict)
    languages: Mapping[str, str] = field(default_factory=dict)
    regions: Mapping[str, str] = field(default_factory=dict)
    countries: Mapping[str, str] = field(default_factory=dict)
    concepts: Mapping[str, str] = field(default_factory=dict)


def render_reason(reason: Reason, labels: Labels | None = None) -> str:
    """Text of a reason in the active language (``explain.render_reason``).

    The unknown code of a newer engine is returned as is. Imported lazily: the
    engine's own functions never need Django's translation machinery.
    """
    from . import explain

    try:
        return explain.render_reason(reason, labels)
    except KeyError:
        return reason.code


def why_not(
    need: NeedProfile, programme: ProgrammeProfile, *, today: date
) -> tuple[Reason, ...]:
    """Reasons a programme is not open to a need (empty when it is)."""
    result = eligibility(need, programme, today=today)
    reasons = []
    for rule in result.failed:
        params: dict[str, Any] = {}
        if rule == RULE_GEOGRAPHY:
            params = {"country": need.country}
        elif rule == RULE_LANGUAGE:
            params = {"languages": tuple(sorted(need.languages))}
        elif rule == RULE_ENDED:
            params = {"ends_on": programme.ends_on.isoformat()}
        reasons.append(Reason(_RULE_REASON[rule], params))
    return tuple(reasons)


# ---------------------------------------------------------------------------
# Features: what the scorer compares, computed once per record


@dataclass(frozen=True)
class NeedFeatures:
    """A need's weighted tags and text vectors, ready for scoring."""

    key: str
    topics: Mapping[str, float]
    assistance_types: Mapping[str, float]
    audiences: Mapping[str, float]
    delivery_modes: frozenset[str]
    concepts: Mapping[str, float]  # L2-normalised, idf-weighted
    words: Mapping[int, float]  # L2-normalised word-stem TF-IDF (index columns)


@dataclass(frozen=True)
class ProgrammeFeatures:
    """A programme's tags and text vectors, ready for scoring."""

    key: str
    topics: frozenset[str]
    themes: frozenset[str]
    assistance_types: frozenset[str]
    audiences: frozenset[str]
    delivery_modes: frozenset[str]
    concepts: Mapping[str, float]
    words: Mapping[int, float]


@dataclass(frozen=True)
class Components:
    """The relevance components of one pair, each in [0, 1] (None = no data)."""

    topic: float | None
    text: float | None
    audience: float | None
    assistance: float | None
    delivery: float | None

    def total(self, weights: Weights) -> float:
        """Weighted mean over the components that have data, rounded."""
        num = den = 0.0
        for name in ("topic", "text", "audience", "assistance", "delivery"):
            value = getattr(self, name)
            if value is not None:
                w = getattr(weights, name)
                num += w * value
                den += w
        return round(num / den, SCORE_DECIMALS) if den else 0.0


def _blend(
    posted: frozenset[str], implied: Mapping[str, float], config: MatchingConfig
) -> dict[str, float]:
    weights = dict.fromkeys(sorted(posted), 1.0)
    for slug, strength in implied.items():
        if slug not in weights and strength >= config.implied_min:
            weights[slug] = config.implied_weight * strength
    return weights


def _normalised(vector: Mapping[Any, float]) -> dict[Any, float]:
    norm = math.sqrt(sum([v * v for v in vector.values()]))
    return {k: v / norm for k, v in vector.items()} if norm else {}


def _text_fields(record: NeedProfile | ProgrammeProfile) -> dict[str, str]:
    return {
        "title": record.title,
        "summary": record.summary,
        "description": record.description,
    }


def _dot(a: Mapping[Any, float], b: Mapping[Any, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b[k] for k, v in a.items() if k in b)


def score_components(
    need: NeedFeatures,
    programme: ProgrammeFeatures,
    *,
    topic_themes: Mapping[str, str],
    config: MatchingConfig = DEFAULT_CONFIG,
) -> Components:
    """Relevance components of one pair, computed directly from the features."""
    topic = None
    if need.topics:
        total = sum(need.topics.values())
        covered = 0.0
        for slug, w in need.topics.items():
            if slug in programme.topics:
                covered += w
            elif topic_themes.get(slug) in programme.themes:
                covered += config.theme_credit * w
        coverage = covered / total
        focus = 0.0
        if programme.topics:
            need_themes = {topic_themes.get(t) for t in need.topics} - {None}
            hits = 0.0
            for slug in programme.topics:
                if slug in need.topics:
                    hits += 1.0
                elif topic_themes.get(slug) in need_themes:
                    hits += config.theme_credit
            focus = hits / len(programme.topics)
        topic = (1 - config.focus) * coverage + config.focus * focus
    text = None
    if need.concepts or need.words:
        share = config.concept_share
        text = share * _dot(need.concepts, programme.concepts) + (1 - share) * _dot(
            need.words, programme.words
        )
        text = min(1.0, max(0.0, text))
    audience = _coverage(need.audiences, programme.audiences)
    assistance = _coverage(need.assistance_types, programme.assistance_types)
    delivery = None
    if need.delivery_modes:
        delivery = _delivery(need.delivery_modes, programme.delivery_modes)
    return Components(
        topic=topic,
        text=text,
        audience=audience,
        assistance=assistance,
        delivery=delivery,
    )


def _delivery(wanted: frozenset[str], offered: frozenset[str]) -> float:
    """1 if a mode is shared, 0.5 if only hybrid bridges them, else 0."""
    if wanted & offered:
        return 1.0
    if offered and _HYBRID in wanted | offered:
        return 0.5
    return 0.0


def _coverage(wanted: Mapping[str, float], offered: frozenset[str]) -> float | None:
    if not wanted:
        return None
    return sum(w for s, w in wanted.items() if s in offered) / sum(wanted.values())


# ---------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Match:
    """One ranked, eligible programme for a need (or need for a programme)."""

    need: str
    programme: str
    score: float
    components: Components
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True)
class NeedResult:
    """A need's ranking and, when nothing fits, why it is unmet."""

    need: str
    matches: tuple[Match, ...]
    unmet: str | None = None  # None | "no_eligible" | "none_relevant"


# ---------------------------------------------------------------------------
# The index


class _Vocabulary:
    """Slug -> column, growing when an update brings a new slug."""

    def __init__(self, slugs: Iterable[str] = ()) -> None:
        self.index: dict[str, int] = {}
        for slug in sorted(set(slugs)):
            self.add(slug)

    def add(self, slug: str) -> int:
        if slug not in self.index:
            self.index[slug] = len(self.index)
        return self.index[slug]

    def __len__(self) -> int:
        return len(self.index)


@dataclass(frozen=True)
class NeedBatch:
    """Needs encoded for vectorised scoring against a :class:`MatchingIndex`."""

    keys: tuple[str, ...]
    needs: tuple[NeedProfile, ...]
    features: tuple[NeedFeatures, ...]
    # The batch's need-side arrays for one index layout, made on first use by
    # MatchingIndex.top_needs; a cache, not part of the value.
    _arrays: dict[Any, Any] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )


@dataclass(frozen=True, eq=False)
class CandidateArcs:
    """Each need's best eligible programmes (see :meth:`MatchingIndex.candidates`).

    Arrays of (need, programme, score) arcs, need by need in batch order, each
    need's best first; iterating gives (need key, programme key, score)
    triples, so it can go wherever :func:`allocate` takes candidates (which
    reads the arrays directly).
    """

    need_keys: tuple[str, ...]
    programme_keys: tuple[str, ...]
    needs: np.ndarray  # int64 positions in need_keys
    programmes: np.ndarray  # int64 positions in programme_keys
    scores: np.ndarray  # float64, rounded like match scores

    def __len__(self) -> int:
        return int(self.scores.size)

    def __iter__(self) -> Iterator[tuple[str, str, float]]:
        need_keys, programme_keys = self.need_keys, self.programme_keys
        return zip(
            map(need_keys.__getitem__, self.needs.tolist()),
            map(programme_keys.__getitem__, self.programmes.tolist()),
            self.scores.tolist(),
            strict=True,
        )


# Above one chunk of needs, the chunks are scored in forked worker processes
# (one per available core, at most this many) while this process builds the
# results and explanations; see _can_fork for when it does not fork.
MAX_RANK_WORKERS = 4
# Programme columns per block of the folded product; and how many cells
# (stems x programmes) the dense part of the word matrix may take.
_BLOCK = 1024
_DENSE_WORD_CELLS = 5_000_000
# The single-precision pass errs by at most ~(terms + 2) x 2**-24 on a score of
# at most 1 (its terms, a need row's non-zeros, are non-negative and a few
# hundred at most): far below this margin, which also covers the rounding.
_MARGIN = 1e-4
_PROFILE_CACHE_LIMIT = 200_000
_index_ids = itertools.count()


class MatchingIndex:
    """All programmes, encoded once, for fast ranking in both directions.

    Build with :func:`build_index`. Text statistics (word-stem vocabulary and
    idf, concept idf) are fitted on the programmes at build time and kept fixed
    by :meth:`upsert_programme`; rebuild the index now and then (e.g. nightly)
    to refresh them.

    Scoring folds every component into one sparse x dense product: a need row
    holds its tag weights, its idf-weighted concept vector and its widespread
    word stems, each scaled by its component's weight over the need's weight
    total; a programme column holds its tag indicators, concept vector and
    stems. The other stems' cosine is added from a sparse x sparse product.
    That product runs in single precision over all pairs; the pairs that can
    rank (within a margin far above its error) are then scored exactly in
    double precision and rounded to 6 decimals. The text component of a
    ranked pair, and the best text relevance of a need whose ranked pairs are
    all below the unmet threshold, are computed exactly too.
    """

    def __init__(
        self,
        programmes: Sequence[ProgrammeProfile],
        *,
        topic_themes: Mapping[str, str],
        lexicon: textmod.Lexicon | None = None,
        config: MatchingConfig = DEFAULT_CONFIG,
        profiles: Mapping[Any, textmod.TextProfile] | None = None,
        workers: int | None = None,
    ) -> None:
        self.config = config
        self.topic_themes = dict(topic_themes)
        self.lexicon = lexicon or textmod.default_lexicon()
        self._profile_cache: dict[tuple[str, str, str], textmod.TextProfile] = {}
        self._id = next(_index_ids)
        self._layout = 0
        self._last_batch: tuple[Any, ...] | None = None
        keys = [p.key for p in programmes]
        if len(set(keys)) != len(keys):
            raise ValueError("programme keys must be unique")
        self.programmes: list[ProgrammeProfile] = list(programmes)
        self.position: dict[str, int] = {k: i for i, k in enumerate(keys)}
        analysed = self.text_profiles(programmes, profiles=profiles, workers=workers)
        # Concept idf over the programmes (what distinguishes one from another).
        df: dict[str, int] = {}
        for prof in analysed:
            for concept in prof.concepts:
                df[concept] = df.get(concept, 0) + 1
        n = max(1, len(programmes))
        self.concept_idf = {
            c.id: textmod.idf(df.get(c.id, 0), n) for c in self.lexicon.concepts
        }
        # Word-stem vocabulary and idf over the programmes; a need's words that
        # no programme uses cannot match anything and are dropped.
        word_df: dict[str, int] = {}
        for prof in analysed:
            for word in prof.words:
                word_df[word] = word_df.get(word, 0) + 1
        # Stems in more than half of the programmes say little and would make
        # every pair overlap; they are left out (like scikit-learn's max_df).
        kept = sorted(w for w, d in word_df.items() if d <= MAX_WORD_DF * n or n < 4)
        self.word_column = {w: i for i, w in enumerate(kept)}
        self.word_idf = np.array(
            [textmod.idf(word_df[w], n) for w in kept], dtype=np.float64
        )
        self._word_idf = self.word_idf.tolist()
        # The most widespread stems are scored with the dense product (their
        # sparse products would be nearly dense), the others sparsely.
        dense = min(len(kept), _DENSE_WORD_CELLS // n)
        by_df = sorted(range(len(kept)), key=lambda c: (-word_df[kept[c]], c))
        self._dense_words = np.array(sorted(by_df[:dense]), dtype=np.int64)
        self._sparse_words = np.array(sorted(by_df[dense:]), dtype=np.int64)
        # Stem column -> (True, position among the dense ones) or (False,
        # position among the sparse ones).
        self._word_part = {
            **{c: (True, k) for k, c in enumerate(self._dense_words.tolist())},
            **{c: (False, k) for k, c in enumerate(self._sparse_words.tolist())},
        }
        # Vocabularies for the tag matrices.
        self.v_topics = _Vocabulary(
            [*self.topic_themes, *(t for p in programmes for t in p.topics)]
        )
        self.v_themes = _Vocabulary(self.topic_themes.values())
        self.v_assist = _Vocabulary(a for p in programmes for a in p.assistance_types)
        self.v_aud = _Vocabulary(a for p in programmes for a in p.audiences)
        self.v_langs = _Vocabulary(lang for p in programmes for lang in p.languages)
        self.v_places = _Vocabulary(
            [
                *(r for p in programmes for r in p.regions),
                *(c for p in programmes for c in p.countries),
            ]
        )
        self.v_concepts = _Vocabulary(
            [
                *(c.id for c in self.lexicon.concepts),
                *("topic:" + t for t in self.topic_themes),
                *("topic:" + t for c in self.lexicon.concepts for t in c.topics),
            ]
        )
        self.features: list[ProgrammeFeatures] = [
            self._programme_features(p, prof)
            for p, prof in zip(programmes, analysed, strict=True)
        ]
        self._rebuild_matrices()

    # -- encoding ----------------------------------------------------------

    @property
    def profile_cache(self) -> Mapping[tuple[str, str, str], textmod.TextProfile]:
        """Text analyses made or given so far, by (title, summary, description).

        Read-only; a caller may persist them (``TextProfile.to_dict``, keyed
        with ``lexicon.fingerprint``) and pass them back as ``profiles``.
        """
        return MappingProxyType(self._profile_cache)

    def _remember(
        self, key: tuple[str, str, str], profile: textmod.TextProfile
    ) -> None:
        if len(self._profile_cache) < _PROFILE_CACHE_LIMIT:
            self._profile_cache[key] = profile

    def text_profile(
        self, record: NeedProfile | ProgrammeProfile
    ) -> textmod.TextProfile:
        """The lexicon analysis of a record's text (cached by content)."""
        key = (record.title, record.summary, record.description)
        cached = self._profile_cache.get(key)
        if cached is None:
            cached = self.lexicon.profile(_text_fields(record))
            self._remember(key, cached)
        return cached

    def text_profiles(
        self,
        records: Sequence[NeedProfile | ProgrammeProfile],
        *,
        profiles: Mapping[Any, textmod.TextProfile] | None = None,
        workers: int | None = None,
    ) -> list[textmod.TextProfile]:
        """The lexicon analyses of many records, in order.

        Each comes from the index's cache, else from ``profiles`` (looked up by
        the record's (title, summary, description), then by its key: a profile
        given by key is trusted to be that of the record's current text), else
        it is computed, in ``workers`` processes when there are many (see
        :meth:`~matchmaking.text.Lexicon.profiles`; the result is the same).
        """
        found: list[textmod.TextProfile | None] = []
        missing: dict[tuple[str, str, str], list[int]] = {}
        for n, record in enumerate(records):
            key = (record.title, record.summary, record.description)
            prof = self._profile_cache.get(key)
            if prof is None and profiles is not None:
                prof = profiles.get(key)
                if prof is None:
                    prof = profiles.get(record.key)
                if prof is not None:
                    self._remember(key, prof)
            if prof is None:
                missing.setdefault(key, []).append(n)
            found.append(prof)
        if missing:
            todo = list(missing)
            made = self.lexicon.profiles(
                [{"title": t, "summary": s, "description": d} for t, s, d in todo],
                workers=workers,
            )
            for key, prof in zip(todo, made, strict=True):
                self._remember(key, prof)
                for n in missing[key]:
                    found[n] = prof
        return found  # type: ignore[return-value]

    def _concept_vector(self, prof: textmod.TextProfile) -> dict[str, float]:
        idf_of = self.concept_idf
        vector = {
            c: math.log1p(w) * idf_of.get(c, 1.0) for c, w in prof.concepts.items()
        }
        beta = self.config.topic_in_text
        if beta:
            norm = math.sqrt(sum([v * v for v in vector.values()])) or 1.0
            tnorm = math.sqrt(sum([v * v for v in prof.topics.values()])) or 1.0
            for slug, strength in prof.topics.items():
                vector["topic:" + slug] = beta * strength * norm / tnorm
        return _normalised(vector)

    def _word_vector(self, prof: textmod.TextProfile) -> dict[int, float]:
        column, idf_of, log1p = self.word_column, self._word_idf, math.log1p
        pairs = [
            (col, log1p(tf) * idf_of[col])
            for word, tf in prof.words.items()
            if (col := column.get(word)) is not None
        ]
        # Only a record's most distinctive stems: they carry nearly all of the
        # cosine, and a short vector keeps the sparse products sparse.
        if len(pairs) > MAX_WORDS:
            best = sorted([(-v, col) for col, v in pairs])[:MAX_WORDS]
            pairs = [(col, -v) for v, col in best]
        pairs.sort()
        norm = math.sqrt(sum([v * v for _, v in pairs]))
        return {col: v / norm for col, v in pairs} if norm else {}

    def _programme_features(
        self, programme: ProgrammeProfile, prof: textmod.TextProfile
    ) -> ProgrammeFeatures:
        return ProgrammeFeatures(
            key=programme.key,
            topics=programme.topics,
            themes=frozenset(
                self.topic_themes[t] for t in programme.topics if t in self.topic_themes
            ),
            assistance_types=programme.assistance_types,
            audiences=programme.audiences,
            delivery_modes=programme.delivery_modes,
            concepts=self._concept_vector(prof),
            words=self._word_vector(prof),
        )

    def need_features(
        self, need: NeedProfile, *, profile: textmod.TextProfile | None = None
    ) -> NeedFeatures:
        """Encode one need (tags blended with what its text implies)."""
        return self._need_features(need, profile or self.text_profile(need))

    def _need_features(
        self, need: NeedProfile, prof: textmod.TextProfile
    ) -> NeedFeatures:
        cfg = self.config
        # Tagged audiences/types are the need's own words; only an untagged need
        # borrows them from its text.
        audiences = (
            dict.fromkeys(sorted(need.audiences), 1.0)
            if need.audiences
            else _blend(frozenset(), prof.audiences, cfg)
        )
        assistance = (
            dict.fromkeys(sorted(need.assistance_types), 1.0)
            if need.assistance_types
            else _blend(frozenset(), prof.assistance_types, cfg)
        )
        return NeedFeatures(
            key=need.key,
            topics=_blend(need.topics, prof.topics, cfg),
            assistance_types=assistance,
            audiences=audiences,
            delivery_modes=need.delivery_modes,
            concepts=self._concept_vector(prof),
            words=self._word_vector(prof),
        )

    def encode_needs(
        self,
        needs: Sequence[NeedProfile],
        *,
        profiles: Mapping[Any, textmod.TextProfile] | None = None,
        workers: int | None = None,
    ) -> NeedBatch:
        """Encode needs once for repeated vectorised scoring.

        ``profiles`` and ``workers`` as in :meth:`text_profiles`.
        """
        analysed = self.text_profiles(needs, profiles=profiles, workers=workers)
        features = [
            self._need_features(need, prof)
            for need, prof in zip(needs, analysed, strict=True)
        ]
        return NeedBatch(
            keys=tuple(n.key for n in needs),
            needs=tuple(needs),
            features=tuple(features),
        )

    # -- matrices ----------------------------------------------------------

    def _rebuild_matrices(self) -> None:
        n = len(self.programmes)
        self.n_topics = len(self.v_topics)
        theme_of = np.full(self.n_topics, -1)
        for slug, col in self.v_topics.index.items():
            theme = self.topic_themes.get(slug)
            if theme is not None:
                theme_of[col] = self.v_themes.add(theme)
        self._theme_of = theme_of
        # Row t: the topic columns of theme t (plus a zero row for "no theme").
        self._theme_columns = np.zeros((len(self.v_themes) + 1, self.n_topics))
        for col, theme in enumerate(theme_of):
            if theme >= 0:
                self._theme_columns[theme, col] = 1.0
        self._theme_topic_cols = [
            np.flatnonzero(theme_of == t) for t in range(len(self.v_themes))
        ]
        self._key_rank = np.empty(n, dtype=np.int64)
        order = sorted(range(n), key=lambda i: self.programmes[i].key)
        self._key_rank[order] = np.arange(n)
        # Dense programme-side arrays; rows are replaced in place on update.
        self._credit = np.zeros((n, self.n_topics))
        self._focus_rows = np.zeros((n, self.n_topics))
        self._p_assist = np.zeros((n, len(self.v_assist)))
        self._p_aud = np.zeros((n, len(self.v_aud)))
        self._p_concepts = np.zeros((n, len(self.v_concepts)))
        self._p_langs = np.zeros((n, len(self.v_langs)))
        self._p_places = np.zeros((n, len(self.v_places)), dtype=bool)
        self._worldwide = np.zeros(n, dtype=bool)
        self._ldc_only = np.zeros(n, dtype=bool)
        self._sids_only = np.zeros(n, dtype=bool)
        self._published = np.zeros(n, dtype=bool)
        self._full = np.zeros(n, dtype=bool)
        self._ends = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        self._fill_rows()
        rows = [self.features[i].words for i in range(n)]
        self._p_words = _dict_rows_to_csr(rows, len(self.word_column))
        self._p_words_t = self._p_words.T.tocsr()
        self._refresh_derived()

    def _refresh_derived(self) -> None:
        """Arrays derived from the per-row ones (after a build or an update)."""
        patterns = sorted({p.delivery_modes for p in self.programmes}, key=sorted)
        self._prog_patterns = {pat: k for k, pat in enumerate(patterns)}
        self._mode_pattern = np.array(
            [self._prog_patterns[p.delivery_modes] for p in self.programmes],
            dtype=np.int64,
        )
        one_hot = np.zeros((len(self.programmes), len(patterns)))
        one_hot[np.arange(len(self.programmes)), self._mode_pattern] = 1.0
        self._need_patterns: dict[frozenset[str], int] = {}
        self._delivery_table = np.zeros((0, len(patterns)))
        # Programme columns of the folded product (see the class docstring),
        # in blocks of columns that stay in cache while a chunk is scored.
        combined = np.hstack(
            [
                self._credit,
                self._focus_rows,
                self._p_aud,
                self._p_assist,
                one_hot,
                self._p_concepts,
                self._p_words[:, self._dense_words].toarray(),
            ]
        )
        # Row by row (for exact scores of chosen cells), and in single
        # precision as (block, feature, programme in block), padded with zero
        # columns, for the first, approximate pass over all cells.
        self._combined_rows = np.ascontiguousarray(combined)
        blocks = -(-len(self.programmes) // _BLOCK)
        padded = np.zeros((blocks * _BLOCK, combined.shape[1]), dtype=np.float32)
        padded[: len(self.programmes)] = combined
        self._combined32 = np.ascontiguousarray(
            padded.reshape(blocks, _BLOCK, combined.shape[1]).transpose(0, 2, 1)
        )
        self._refresh_sparse_words()
        self._places_t = np.ascontiguousarray(self._p_places.T)
        self._langs_t = np.ascontiguousarray(self._p_langs.T > 0)
        self._explain_context: dict[int, _ProgrammeFacts] = {}
        self._reason_cache: dict[tuple[Any, ...], Any] = {}
        # Need-side arrays made for the previous layout no longer fit.
        self._layout += 1

    def _update_derived(self, i: int) -> None:
        """Refresh the derived columns of programme ``i`` (same layout)."""
        k = self._prog_patterns[self.programmes[i].delivery_modes]
        self._mode_pattern[i] = k
        one_hot = np.zeros(len(self._prog_patterns))
        one_hot[k] = 1.0
        column = np.concatenate(
            [
                self._credit[i],
                self._focus_rows[i],
                self._p_aud[i],
                self._p_assist[i],
                one_hot,
                self._p_concepts[i],
                self._p_words[i][:, self._dense_words].toarray().ravel(),
            ]
        )
        self._combined_rows[i] = column
        self._combined32[i // _BLOCK, :, i % _BLOCK] = column
        self._places_t[:, i] = self._p_places[i]
        self._langs_t[:, i] = self._p_langs[i] > 0
        self._explain_context.pop(i, None)

    def _refresh_sparse_words(self) -> None:
        self._sparse_words_rows = self._p_words[:, self._sparse_words].tocsr()
        self._sparse_words_t = self._sparse_words_rows.T.tocsr()

    def _column(self, i: int) -> np.ndarray:
        """Programme ``i``'s column of the folded product."""
        return self._combined_rows[i]

    def _grow(self, attr: str, vocab: _Vocabulary) -> bool:
        array = getattr(self, attr)
        if array.shape[1] < len(vocab):
            extra = np.zeros((array.shape[0], len(vocab) - array.shape[1]), array.dtype)
            setattr(self, attr, np.hstack([array, extra]))
            return True
        return False

    def _fill_rows(self) -> None:
        """Fill every programme row at once (what _fill_row does for one)."""
        th = self.config.theme_credit
        topic_index, theme_index = self.v_topics.index, self.v_themes.index
        credit: tuple[list[int], list[int]] = ([], [])
        topics: tuple[list[int], list[int], list[float]] = ([], [], [])
        assist: tuple[list[int], list[int]] = ([], [])
        aud: tuple[list[int], list[int]] = ([], [])
        concepts: tuple[list[int], list[int], list[float]] = ([], [], [])
        langs: tuple[list[int], list[int]] = ([], [])
        places: tuple[list[int], list[int]] = ([], [])
        flags = []
        never = np.iinfo(np.int64).max
        for i, (p, f) in enumerate(zip(self.programmes, self.features, strict=True)):
            for theme in f.themes:
                cols = self._theme_topic_cols[theme_index[theme]].tolist()
                credit[0].extend([i] * len(cols))
                credit[1].extend(cols)
            for t in p.topics:
                topics[0].append(i)
                topics[1].append(topic_index[t])
                topics[2].append(1.0 / len(p.topics))
            for slug in p.assistance_types:
                assist[0].append(i)
                assist[1].append(self.v_assist.index[slug])
            for slug in p.audiences:
                aud[0].append(i)
                aud[1].append(self.v_aud.index[slug])
            for c, w in f.concepts.items():
                concepts[0].append(i)
                concepts[1].append(self.v_concepts.index[c])
                concepts[2].append(w)
            for lang in p.languages:
                langs[0].append(i)
                langs[1].append(self.v_langs.index[lang])
            for place in (*p.regions, *p.countries):
                places[0].append(i)
                places[1].append(self.v_places.index[place])
            flags.append(
                (
                    not p.regions and not p.countries,
                    p.ldc_only,
                    p.sids_only,
                    p.is_published,
                    p.capacity is not None and p.capacity_used >= p.capacity,
                    p.ends_on.toordinal() if p.ends_on is not None else never,
                )
            )
        self._credit[credit] = th
        self._credit[topics[0], topics[1]] = 1.0
        self._focus_rows[topics[0], topics[1]] = topics[2]
        self._p_assist[assist] = 1.0
        self._p_aud[aud] = 1.0
        self._p_concepts[concepts[0], concepts[1]] = concepts[2]
        self._p_langs[langs] = 1.0
        self._p_places[places] = True
        if flags:
            worldwide, ldc, sids, published, full, ends = zip(*flags, strict=True)
            self._worldwide[:] = worldwide
            self._ldc_only[:] = ldc
            self._sids_only[:] = sids
            self._published[:] = published
            self._full[:] = full
            self._ends[:] = ends

    def _fill_row(self, i: int) -> None:
        p = self.programmes[i]
        f = self.features[i]
        credit = self._credit[i]
        credit[:] = 0.0
        for theme in f.themes:
            credit[self._theme_topic_cols[self.v_themes.index[theme]]] = (
                self.config.theme_credit
            )
        focus = self._focus_rows[i]
        focus[:] = 0.0
        if p.topics:
            cols = [self.v_topics.index[t] for t in p.topics]
            credit[cols] = 1.0
            focus[cols] = 1.0 / len(p.topics)
        self._p_assist[i] = 0.0
        self._p_assist[i, [self.v_assist.index[a] for a in p.assistance_types]] = 1.0
        self._p_aud[i] = 0.0
        self._p_aud[i, [self.v_aud.index[a] for a in p.audiences]] = 1.0
        self._p_concepts[i] = 0.0
        if f.concepts:
            index = self.v_concepts.index
            self._p_concepts[i, [index[c] for c in f.concepts]] = list(
                f.concepts.values()
            )
        self._p_langs[i] = 0.0
        self._p_langs[i, [self.v_langs.index[lang] for lang in p.languages]] = 1.0
        self._p_places[i] = False
        places = [self.v_places.index[x] for x in (*p.regions, *p.countries)]
        self._p_places[i, places] = True
        self._worldwide[i] = not p.regions and not p.countries
        self._ldc_only[i] = p.ldc_only
        self._sids_only[i] = p.sids_only
        self._published[i] = p.is_published
        self._full[i] = p.capacity is not None and p.capacity_used >= p.capacity
        self._ends[i] = (
            p.ends_on.toordinal() if p.ends_on is not None else np.iinfo(np.int64).max
        )

    def upsert_programme(
        self,
        programme: ProgrammeProfile,
        *,
        profile: textmod.TextProfile | None = None,
    ) -> None:
        """Add or replace one programme (text statistics stay as fitted).

        ``profile``: its text analysis, if the caller has it (else computed).
        """
        for slug in programme.topics:
            self.v_topics.add(slug)
        for a in programme.assistance_types:
            self.v_assist.add(a)
        for a in programme.audiences:
            self.v_aud.add(a)
        for lang in programme.languages:
            self.v_langs.add(lang)
        for place in (*programme.regions, *programme.countries):
            self.v_places.add(place)
        if profile is not None:
            self._remember(
                (programme.title, programme.summary, programme.description), profile
            )
        features = self._programme_features(
            programme, profile or self.text_profile(programme)
        )
        if len(self.v_topics) != self.n_topics or programme.key not in self.position:
            # A new row or a new topic column: rebuild the (small) dense arrays.
            if programme.key in self.position:
                i = self.position[programme.key]
                self.programmes[i], self.features[i] = programme, features
            else:
                self.position[programme.key] = len(self.programmes)
                self.programmes.append(programme)
                self.features.append(features)
            self._rebuild_matrices()
            return
        i = self.position[programme.key]
        self.programmes[i], self.features[i] = programme, features
        grew = False
        for attr, vocab in (
            ("_p_assist", self.v_assist),
            ("_p_aud", self.v_aud),
            ("_p_langs", self.v_langs),
            ("_p_places", self.v_places),
        ):
            grew |= self._grow(attr, vocab)
        self._fill_row(i)
        row = _dict_rows_to_csr([features.words], self._p_words.shape[1])
        self._p_words = sp.vstack(
            [self._p_words[:i], row, self._p_words[i + 1 :]], format="csr"
        )
        self._p_words_t = self._p_words.T.tocsr()
        self._refresh_sparse_words()
        if grew or programme.delivery_modes not in self._prog_patterns:
            self._refresh_derived()
        else:
            self._update_derived(i)

    # -- scoring -----------------------------------------------------------

    def _need_arrays(self, batch: NeedBatch, rows: slice) -> dict[str, Any]:
        """Need-side arrays of some rows of a batch, aligned with the index."""
        needs = batch.needs[rows]
        feats = batch.features[rows]
        m = len(needs)
        cfg = self.config
        th = cfg.theme_credit
        topic_index, theme_index = self.v_topics.index, self.v_themes.index
        topic_w = np.zeros((m, self.n_topics))
        focus_q = np.zeros((m, self.n_topics))
        assist = np.zeros((m, len(self.v_assist)))
        aud = np.zeros((m, len(self.v_aud)))
        mode_pattern = np.zeros(m, dtype=np.int64)
        concepts = np.zeros((m, len(self.v_concepts)))
        has = np.zeros((m, 5), dtype=bool)
        signatures: dict[tuple[Any, ...], int] = {}
        signature = np.zeros(m, dtype=np.int64)
        word_rows = []
        theme_rows: dict[frozenset[int], np.ndarray] = {}
        for r, (need, f) in enumerate(zip(needs, feats, strict=True)):
            # Unknown slugs still count in the totals: they can never be covered.
            total = sum(f.topics.values())
            need_themes = set()
            topic_cols = []
            for slug, w in f.topics.items():
                col = topic_index.get(slug)
                theme = self.topic_themes.get(slug)
                if theme is not None:
                    need_themes.add(theme_index.get(theme, -1))
                if col is not None:
                    topic_w[r, col] = w / total
                    topic_cols.append(col)
            if need_themes:
                key = frozenset(need_themes)
                credit = theme_rows.get(key)
                if credit is None:
                    credit = theme_rows[key] = th * self._theme_columns[
                        sorted(need_themes)
                    ].max(axis=0)
                focus_q[r] = credit
            focus_q[r, topic_cols] = 1.0
            _fill_weights(assist[r], f.assistance_types, self.v_assist)
            _fill_weights(aud[r], f.audiences, self.v_aud)
            mode_pattern[r] = self._need_pattern(f.delivery_modes)
            if f.concepts:
                index = self.v_concepts.index
                concepts[r, [index[c] for c in f.concepts]] = list(f.concepts.values())
            # Eligibility depends on the need through these facts only.
            places = tuple(
                sorted(
                    {
                        self.v_places.index[p]
                        for p in (need.country, *need.country_regions)
                        if p in self.v_places.index
                    }
                )
            )
            langs = tuple(
                sorted(
                    self.v_langs.index[lang]
                    for lang in need.languages
                    if lang in self.v_langs.index
                )
            )
            facts = (places, langs, need.is_ldc, need.is_sids)
            signature[r] = signatures.setdefault(facts, len(signatures))
            has[r] = (
                bool(f.topics),
                bool(f.concepts or f.words),
                bool(f.audiences),
                bool(f.assistance_types),
                bool(f.delivery_modes),
            )
            word_rows.append(f.words)
        w = cfg.weights
        weights = np.array([w.topic, w.text, w.audience, w.assistance, w.delivery])
        den = has @ weights
        den[den == 0] = 1.0
        # Each need's factor per component: its weight over the need's total.
        scale = has * (weights / den[:, None])
        words = _dict_rows_to_csr(word_rows, self._p_words.shape[1])
        # The need's stems, weighted like the concepts, split between the
        # dense product (widespread stems) and the sparse one (the others).
        word_scale = (scale[:, 1] * (1 - cfg.concept_share)).tolist()
        dense_words = np.zeros((m, len(self._dense_words)))
        sparse_rows: list[dict[int, float]] = []
        part = self._word_part
        for r, row in enumerate(word_rows):
            factor = word_scale[r]
            rare = {}
            for col, w in row.items():
                dense, k = part[col]
                if dense:
                    dense_words[r, k] = factor * w
                else:
                    rare[k] = factor * w
            sparse_rows.append(rare)
        linear = np.hstack(
            [
                topic_w * (scale[:, 0:1] * (1 - cfg.focus)),
                focus_q * (scale[:, 0:1] * cfg.focus),
                aud * scale[:, 2:3],
                assist * scale[:, 3:4],
                self._delivery_table[mode_pattern] * scale[:, 4:5],
                concepts * (scale[:, 1:2] * cfg.concept_share),
                dense_words,
            ]
        )
        return {
            "topic_w": topic_w,
            "focus_q": focus_q,
            "assist": assist,
            "aud": aud,
            "mode_pattern": mode_pattern,
            "concepts": concepts,
            "words": words,
            "linear": (linear := sp.csr_matrix(linear)),
            "linear32": linear.astype(np.float32),
            "sparse_words": _dict_rows_to_csr(sparse_rows, len(self._sparse_words)),
            "has": has,
            "signatures": list(signatures),
            "signature": signature,
        }

    def _batch_arrays(self, batch: NeedBatch) -> dict[str, Any]:
        """The need-side arrays of a whole batch, made once per layout.

        Kept with the batch, and with the index for the last batch: a caller
        that builds a new batch of the same encoded needs (the same objects)
        for each programme edit finds them again.
        """
        key = (self._id, self._layout)
        arrays = batch._arrays.get(key)
        if arrays is not None:
            return arrays
        last = self._last_batch
        if (
            last is not None
            and last[0] == self._layout
            and len(last[1]) == len(batch.needs)
            and all(map(operator.is_, last[1], batch.needs))
            and all(map(operator.is_, last[2], batch.features))
        ):
            arrays = last[3]
        else:
            arrays = self._need_arrays(batch, slice(None))
            self._last_batch = (self._layout, batch.needs, batch.features, arrays)
        batch._arrays.clear()
        batch._arrays[key] = arrays
        return arrays

    def _eligible(
        self, arrays: Mapping[str, Any], today: date, cols: np.ndarray | None = None
    ) -> np.ndarray:
        """Eligibility of needs x programmes (all, or the columns ``cols``).

        Needs with the same places, languages and LDC/SIDS status share a row,
        computed once from the programmes' rules.
        """
        if cols is not None and len(cols) == 1:
            return self._eligible_one(arrays, today, int(cols[0]))
        sel = slice(None) if cols is None else cols
        open_now = (
            self._published[sel]
            & ~self._full[sel]
            & (self._ends[sel] >= today.toordinal())
        )
        worldwide = self._worldwide[sel]
        not_ldc_only, not_sids_only = ~self._ldc_only[sel], ~self._sids_only[sel]
        signatures = arrays["signatures"]
        table = np.zeros((len(signatures), open_now.size), dtype=bool)
        for s, (places, langs, ldc, sids) in enumerate(signatures):
            if not langs:
                continue
            row = table[s]
            if places:
                np.any(self._places_t[list(places)][:, sel], axis=0, out=row)
                row |= worldwide
            else:
                row[:] = worldwide
            row &= self._langs_t[list(langs)][:, sel].any(axis=0)
            row &= open_now
            if not ldc:
                row &= not_ldc_only
            if not sids:
                row &= not_sids_only
        return table[arrays["signature"]]

    def _eligible_one(
        self, arrays: Mapping[str, Any], today: date, i: int
    ) -> np.ndarray:
        """:meth:`_eligible` for the one programme ``i`` (a needs x 1 column)."""
        places = set(np.flatnonzero(self._places_t[:, i]).tolist())
        langs = set(np.flatnonzero(self._langs_t[:, i]).tolist())
        worldwide = bool(self._worldwide[i])
        ldc_only, sids_only = bool(self._ldc_only[i]), bool(self._sids_only[i])
        open_now = bool(
            self._published[i]
            and not self._full[i]
            and self._ends[i] >= today.toordinal()
        )
        table = np.array(
            [
                open_now
                and (worldwide or not places.isdisjoint(need_places))
                and not langs.isdisjoint(need_langs)
                and (ldc or not ldc_only)
                and (sids or not sids_only)
                for need_places, need_langs, ldc, sids in arrays["signatures"]
            ],
            dtype=bool,
        ).reshape(-1, 1)
        return table[arrays["signature"]]

    def _scores(self, arrays: Mapping[str, Any]) -> np.ndarray:
        """Approximate scores of needs x all programmes, in single precision.

        Unrounded, and within far less than ``_MARGIN`` of the exact scores.
        """
        linear = arrays["linear32"]
        n = len(self.programmes)
        scores = np.empty((linear.shape[0], n), dtype=np.float32)
        for b in range(self._combined32.shape[0]):
            start = b * _BLOCK
            width = min(_BLOCK, n - start)
            part = linear @ self._combined32[b]
            scores[:, start : start + width] = part[:, :width]
        words = arrays["sparse_words"] @ self._sparse_words_t
        _add_sparse(scores, words.astype(np.float32))
        return scores

    def _exact_scores(
        self, arrays: Mapping[str, Any], rows: np.ndarray, cols: np.ndarray
    ) -> np.ndarray:
        """Rounded scores of chosen (need row, programme) cells, exactly.

        The folded product's terms are summed in the same order as the sparse
        x dense product would (the need row's stored order).
        """
        linear = arrays["linear"]
        indptr = linear.indptr
        counts = (indptr[rows + 1] - indptr[rows]).astype(np.int64)
        pair = np.repeat(np.arange(rows.size), counts)
        offset = np.arange(pair.size) - np.repeat(np.cumsum(counts) - counts, counts)
        nz = np.repeat(indptr[rows], counts) + offset
        width = self._combined_rows.shape[1]
        flat = cols[pair] * width + linear.indices[nz]
        terms = linear.data[nz] * np.take(self._combined_rows.reshape(-1), flat)
        scores = np.bincount(pair, weights=terms, minlength=rows.size)
        words = arrays["sparse_words"][rows].multiply(self._sparse_words_rows[cols])
        if words.nnz:
            scores += np.asarray(words.sum(axis=1)).ravel()
        return np.round(scores, SCORE_DECIMALS, out=scores)

    def _select(
        self,
        arrays: Mapping[str, Any],
        scores: np.ndarray,
        ok: np.ndarray,
        k: int,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The k best eligible columns of each row: score desc, then key asc.

        Returns (rows, columns, exact rounded scores), row by row, best first.
        ``scores`` (approximate, see _scores) is overwritten: ineligible cells
        become -1.

        Each row is cut into blocks; k blocks each hold a value at least the
        k-th largest block maximum, so the k-th largest approximate score is at
        least that bound. A cell of the exact top k (or tied with its last
        one) scores at least that bound less twice the approximation error and
        the rounding: the cells above the bound less ``_MARGIN`` are scored
        exactly, and only they are sorted.
        """
        m, n = scores.shape
        if m == 0 or n == 0 or k <= 0:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty, np.empty(0)
        # Ineligible cells to -1: x * 1 - 0 = x, x * 0 - 1 = -1 (exactly).
        np.multiply(scores, ok, out=scores)
        np.subtract(scores, ~ok, out=scores)
        blocks = min(n, max(64, 4 * k))
        if k < blocks:
            starts = np.linspace(0, n, blocks, endpoint=False).astype(np.int64)
            block_max = np.maximum.reduceat(scores, starts, axis=1)
            bound = np.partition(block_max, blocks - k, axis=1)[:, blocks - k]
            # Eligible cells score at least 0; ineligible ones are -1.
            np.maximum(bound, 0.0, out=bound)
        else:
            bound = np.zeros(m, dtype=scores.dtype)
        bound -= _MARGIN
        rows, cols = np.nonzero(scores >= bound[:, None])
        values = self._exact_scores(arrays, rows, cols)
        order = np.lexsort((self._key_rank[cols], -values, rows))
        rows, cols, values = rows[order], cols[order], values[order]
        # Rank of each cell within its row; keep the first k.
        counts = np.bincount(rows, minlength=m)
        first = np.repeat(np.cumsum(counts) - counts, counts)
        keep = np.arange(rows.size) - first < k
        return rows[keep], cols[keep], values[keep]

    def _pair_text(
        self, arrays: Mapping[str, Any], rows: np.ndarray, cols: np.ndarray
    ) -> np.ndarray:
        """Text relevance of chosen (need row, programme) cells."""
        share = self.config.concept_share
        concept = np.einsum(
            "ij,ij->i", arrays["concepts"][rows], self._p_concepts[cols]
        )
        words = arrays["words"][rows].multiply(self._p_words[cols]).sum(axis=1)
        text = share * concept + (1 - share) * np.asarray(words).ravel()
        return np.clip(text, 0.0, 1.0, out=text)

    def _text_rows(self, arrays: Mapping[str, Any], rows: np.ndarray) -> np.ndarray:
        """Text relevance of some need rows against every programme."""
        share = self.config.concept_share
        text = arrays["concepts"][rows] @ self._p_concepts.T
        text *= share
        words = arrays["words"][rows] @ self._p_words_t
        if words.nnz:
            words.data *= 1 - share
            _add_sparse(text, words)
        return np.clip(text, 0.0, 1.0, out=text)

    def _unmet(
        self,
        arrays: Mapping[str, Any],
        ok: np.ndarray,
        rows: np.ndarray,
        text: np.ndarray,
    ) -> list[str | None]:
        """The unmet reason of each need row, given its ranked pairs' text."""
        m = ok.shape[0]
        threshold = self.config.unmet_threshold
        best = np.full(m, -1.0)
        np.maximum.at(best, rows, text)
        counts = np.bincount(rows, minlength=m)
        unmet: list[str | None] = [None] * m
        # The best text over all eligible programmes is at least the best of
        # the ranked ones: only needs below the threshold there need it all.
        check = [
            r
            for r, (b, c) in enumerate(zip(best.tolist(), counts.tolist(), strict=True))
            if c and round(b, SCORE_DECIMALS) < threshold
        ]
        # A need with neither concepts nor stems has no text relevance at all.
        has_text = arrays["has"][:, 1].tolist()
        for r in check:
            if not has_text[r]:
                unmet[r] = "none_relevant"
        check = [r for r in check if has_text[r]]
        if check:
            full = self._text_rows(arrays, np.array(check))
            full[~ok[check]] = -1.0
            for r, b in zip(check, full.max(axis=1).tolist(), strict=True):
                if round(b, SCORE_DECIMALS) < threshold:
                    unmet[r] = "none_relevant"
        for r in np.flatnonzero(counts == 0).tolist():
            unmet[r] = "no_eligible"
        return unmet

    def _need_pattern(self, modes: frozenset[str]) -> int:
        """Row of the delivery table for a need's modes (added on first sight)."""
        k = self._need_patterns.get(modes)
        if k is None:
            k = self._need_patterns[modes] = len(self._need_patterns)
            row = [
                _delivery(modes, pattern) if modes else 0.0
                for pattern in self._prog_patterns
            ]
            self._delivery_table = np.vstack([self._delivery_table, [row]])
        return k

    def _component_values(
        self,
        arrays: Mapping[str, Any],
        rows: np.ndarray,
        cols: np.ndarray,
        text: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Components of chosen (need row, programme) cells, and which apply.

        Two (cells x 5) arrays: topic, text, audience, assistance, delivery
        values, and whether the need has data for each.
        """
        cfg = self.config
        coverage = np.einsum("ij,ij->i", arrays["topic_w"][rows], self._credit[cols])
        focus = np.einsum("ij,ij->i", arrays["focus_q"][rows], self._focus_rows[cols])
        topic = (1 - cfg.focus) * coverage + cfg.focus * focus
        audience = np.einsum("ij,ij->i", arrays["aud"][rows], self._p_aud[cols])
        assistance = np.einsum("ij,ij->i", arrays["assist"][rows], self._p_assist[cols])
        delivery = self._delivery_table[
            arrays["mode_pattern"][rows], self._mode_pattern[cols]
        ]
        values = np.stack([topic, text, audience, assistance, delivery], axis=1)
        return values, arrays["has"][rows]

    def _components_many(
        self,
        arrays: Mapping[str, Any],
        rows: np.ndarray,
        cols: np.ndarray,
        text: np.ndarray,
    ) -> list[Components]:
        """The components of chosen (need row, programme) cells, vectorised."""
        return _components(*self._component_values(arrays, rows, cols, text))

    def _top(self, scores: np.ndarray, ok: np.ndarray, k: int) -> np.ndarray:
        """Indices of the k best eligible columns: score desc, then key asc."""
        eligible = np.flatnonzero(ok)
        if eligible.size == 0:
            return eligible
        values = scores[eligible]
        if eligible.size > k:
            # Keep everything tied with the k-th value so key order can decide.
            kth = np.partition(values, eligible.size - k)[eligible.size - k]
            keep = values >= kth
            eligible, values = eligible[keep], values[keep]
        order = np.lexsort((self._key_rank[eligible], -values))
        return eligible[order[:k]]

    def _rank_chunk(
        self, batch: NeedBatch, rows: slice, today: date, top: int
    ) -> tuple[Any, ...]:
        """The numeric part of ranking some needs (runs in a worker process)."""
        arrays = self._need_arrays(batch, rows)
        ok = self._eligible(arrays, today)
        scores = self._scores(arrays)
        sel_rows, sel_cols, sel_scores = self._select(arrays, scores, ok, top)
        del scores
        text = self._pair_text(arrays, sel_rows, sel_cols)
        values, has = self._component_values(arrays, sel_rows, sel_cols, text)
        unmet = self._unmet(arrays, ok, sel_rows, text)
        counts = np.bincount(sel_rows, minlength=ok.shape[0])
        return counts, sel_cols, sel_scores, values, has, unmet

    def _candidate_chunk(
        self, batch: NeedBatch, rows: slice, today: date, top: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        arrays = self._need_arrays(batch, rows)
        ok = self._eligible(arrays, today)
        scores = self._scores(arrays)
        return self._select(arrays, scores, ok, top)

    def _chunks(
        self,
        batch: NeedBatch,
        chunk_size: int,
        job: str,
        today: date,
        top: int,
        workers: int | None,
    ) -> Iterator[tuple[int, Any]]:
        """(start, result of the method ``job``) for each chunk, in order.

        With more than one chunk and more than one worker, the chunks are
        computed in forked processes (they inherit the index and the batch;
        only the small results travel back); otherwise, or if processes
        cannot be started, here.
        """
        # Delivery patterns are added on first sight: add them all now, so
        # that the jobs only read the index.
        for f in batch.features:
            self._need_pattern(f.delivery_modes)
        size = max(1, chunk_size)
        starts = list(range(0, len(batch.keys), size))
        if workers is None:
            workers = min(os.process_cpu_count() or 1, MAX_RANK_WORKERS)
        workers = min(workers, len(starts))
        run = getattr(self, job)
        pool: ProcessPoolExecutor | None = None
        futures: list[Future] = []
        if workers > 1 and _can_fork():
            global _fork_state  # read by the forked workers, cleared below
            _fork_state = (self, batch)
            try:
                pool = ProcessPoolExecutor(
                    workers, mp_context=multiprocessing.get_context("fork")
                )
                futures = [
                    pool.submit(_run_chunk, job, start, size, today, top)
                    for start in starts
                ]
            except (OSError, BrokenProcessPool):
                futures = []
            finally:
                _fork_state = None
        try:
            for n, start in enumerate(starts):
                result = None
                if futures:
                    try:
                        result = futures[n].result()
                    except (OSError, BrokenProcessPool):
                        futures = []
                if result is None:
                    result = run(batch, slice(start, start + size), today, top)
                yield start, result
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

    def rank_batch(
        self,
        batch: NeedBatch,
        *,
        today: date,
        top: int = 10,
        chunk_size: int = 1024,
        explain: bool = True,
        workers: int | None = None,
    ) -> Iterator[NeedResult]:
        """Top programmes for every need in the batch, chunk by chunk.

        ``workers``: processes scoring the chunks (None: one per core, at most
        ``MAX_RANK_WORKERS``; 1: this process only); same results either way.
        """
        for start, result in self._chunks(
            batch, chunk_size, "_rank_chunk", today, top, workers
        ):
            counts, cols, scores, values, has, unmet = result
            components = _components(values, has)
            scores = scores.tolist()
            j = 0
            for r, count in enumerate(counts.tolist()):
                b = start + r
                matches = []
                facts = None
                if explain and count:
                    facts = _need_facts(
                        batch.needs[b], batch.features[b], self.topic_themes
                    )
                for i in cols[j : j + count].tolist():
                    matches.append(
                        self._match(
                            batch,
                            b,
                            i,
                            scores[j],
                            components[j],
                            explain,
                            today,
                            facts,
                        )
                    )
                    j += 1
                yield NeedResult(
                    need=batch.keys[b], matches=tuple(matches), unmet=unmet[r]
                )

    def candidates(
        self,
        batch: NeedBatch,
        *,
        today: date,
        top_k: int = 50,
        chunk_size: int = 1024,
        workers: int | None = None,
    ) -> CandidateArcs:
        """Each need's ``top_k`` best eligible programmes, for :func:`allocate`.

        The same pairs and scores as ``rank_batch(batch, top=top_k)`` would
        list, without building matches, components or explanations.
        """
        need_idx, prog_idx, scores = [], [], []
        for start, (rows, cols, values) in self._chunks(
            batch, chunk_size, "_candidate_chunk", today, top_k, workers
        ):
            need_idx.append(rows + start)
            prog_idx.append(cols)
            scores.append(values)
        return CandidateArcs(
            need_keys=tuple(batch.keys),
            programme_keys=tuple(p.key for p in self.programmes),
            needs=np.concatenate([*need_idx, np.empty(0, dtype=np.int64)]),
            programmes=np.concatenate([*prog_idx, np.empty(0, dtype=np.int64)]),
            scores=np.concatenate([*scores, np.empty(0)]),
        )

    def rank_need(
        self, need: NeedProfile, *, today: date, top: int = 10, explain: bool = True
    ) -> NeedResult:
        """Top programmes for one (new or just edited) need."""
        batch = self.encode_needs([need])
        return next(
            self.rank_batch(batch, today=today, top=top, explain=explain, workers=1)
        )

    def rank_needs(
        self,
        needs: Sequence[NeedProfile],
        *,
        today: date,
        top: int = 10,
        chunk_size: int = 1024,
        explain: bool = True,
    ) -> list[NeedResult]:
        """Top programmes for each need (full rematch)."""
        batch = self.encode_needs(needs)
        return list(
            self.rank_batch(
                batch, today=today, top=top, chunk_size=chunk_size, explain=explain
            )
        )

    def top_needs(
        self,
        programme_key: str,
        batch: NeedBatch,
        *,
        today: date,
        top: int = 10,
        chunk_size: int = 4096,
        explain: bool = True,
    ) -> tuple[Match, ...]:
        """Top needs for one programme among candidate needs (already visible).

        The batch's need-side arrays are made once and kept with the batch, so
        re-scoring a just edited programme against the same batch is cheap.
        ``chunk_size`` is kept for compatibility.
        """
        i = self.position[programme_key]
        arrays = self._batch_arrays(batch)
        ok = self._eligible(arrays, today, cols=np.array([i]))[:, 0]
        rows = np.flatnonzero(ok)
        if rows.size == 0 or top <= 0:
            return ()
        scores = arrays["linear"][rows] @ self._column(i)
        words = arrays["sparse_words"][rows] @ self._sparse_words_t[:, [i]]
        scores += words.toarray().ravel()
        scores = np.round(scores, SCORE_DECIMALS)
        if rows.size > top:
            # Everything tied with the top-th score, so that key order decides.
            kth = np.partition(scores, rows.size - top)[rows.size - top]
            keep = scores >= kth
            rows, scores = rows[keep], scores[keep]
        keys = batch.keys
        ranked = sorted(
            zip(scores.tolist(), rows.tolist(), strict=True),
            key=lambda sb: (-sb[0], keys[sb[1]]),
        )[:top]
        chosen = np.array([b for _, b in ranked], dtype=np.int64)
        cols = np.full(chosen.size, i)
        text = self._pair_text(arrays, chosen, cols)
        comps = self._components_many(arrays, chosen, cols, text)
        return tuple(
            self._match(batch, b, i, score, c, explain, today)
            for (score, b), c in zip(ranked, comps, strict=True)
        )

    def _match(
        self,
        batch: NeedBatch,
        b: int,
        i: int,
        score: float,
        components: Components,
        explain: bool,
        today: date,
        need_facts: _NeedFacts | None = None,
    ) -> Match:
        need, feats = batch.needs[b], batch.features[b]
        programme = self.programmes[i]
        reasons: tuple[Reason, ...] = ()
        if explain:
            facts = self._explain_context.get(i)
            if facts is None:
                facts = self._explain_context[i] = _programme_facts(
                    programme, self.topic_themes
                )
            if need_facts is None:
                need_facts = _need_facts(need, feats, self.topic_themes)
            reasons = _explain(
                need,
                feats,
                need_facts,
                programme,
                self.features[i],
                facts,
                self.topic_themes,
                self._reason_cache,
            )
        return Match(
            need=need.key,
            programme=programme.key,
            score=score,
            components=components,
            reasons=reasons,
        )


def _add_sparse(dense: np.ndarray, matrix: sp.csr_matrix) -> None:
    """``dense += matrix`` in place, for a CSR matrix of the same shape."""
    if matrix.nnz == 0:
        return
    matrix = sp.csr_matrix(matrix)
    if (
        dense.flags.c_contiguous
        and dense.dtype in (np.float32, np.float64)
        and matrix.dtype == dense.dtype
    ):
        # scipy's own densifier accumulates into the array it is given.
        rows, cols = matrix.shape
        _sparsetools.csr_todense(
            rows, cols, matrix.indptr, matrix.indices, matrix.data, dense
        )
    else:
        dense += matrix.toarray()


def _components(values: np.ndarray, has: np.ndarray) -> list[Components]:
    """Components objects from the arrays of :meth:`_component_values`."""
    return [
        Components(
            topic=t if h0 else None,
            text=x if h1 else None,
            audience=a if h2 else None,
            assistance=s if h3 else None,
            delivery=d if h4 else None,
        )
        for (t, x, a, s, d), (h0, h1, h2, h3, h4) in zip(
            values.tolist(), has.tolist(), strict=True
        )
    ]


# What the forked workers of one ranking inherit: (index, batch).
_fork_state: tuple[MatchingIndex, NeedBatch] | None = None


def _run_chunk(job: str, start: int, size: int, today: date, top: int) -> Any:
    """A chunk job in a forked worker process."""
    if _fork_state is None:
        raise RuntimeError("no ranking state in this worker")
    index, batch = _fork_state
    return getattr(index, job)(batch, slice(start, start + size), today, top)


def _can_fork() -> bool:
    """Forking is only safe from a single-threaded process (and where it exists)."""
    return (
        threading.active_count() == 1
        and "fork" in multiprocessing.get_all_start_methods()
    )


def _fill_weights(
    row: np.ndarray, weights: Mapping[str, float], vocab: _Vocabulary
) -> None:
    total = sum(weights.values())
    for slug, w in weights.items():
        col = vocab.index.get(slug)
        if col is not None:
            row[col] = w / total


def build_index(
    programmes: Sequence[ProgrammeProfile],
    *,
    topic_themes: Mapping[str, str],
    lexicon: textmod.Lexicon | None = None,
    config: MatchingConfig = DEFAULT_CONFIG,
    profiles: Mapping[Any, textmod.TextProfile] | None = None,
    workers: int | None = None,
) -> MatchingIndex:
    """Encode all programmes once (see :class:`MatchingIndex`).

    ``profiles`` maps a record's (title, summary, description), or its key, to
    a :class:`~matchmaking.text.TextProfile` already made (e.g. cached by the
    caller); the others are analysed, in ``workers`` processes when there are
    many (None: decided by size; 1: in this process).
    """
    return MatchingIndex(
        programmes,
        topic_themes=topic_themes,
        lexicon=lexicon,
        config=config,
        profiles=profiles,
        workers=workers,
    )


def _dict_rows_to_csr(rows: Sequence[Mapping[int, float]], width: int) -> sp.csr_matrix:
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for row in rows:
        for col in sorted(row):
            if col < width:
                indices.append(col)
                data.append(row[col])
        indptr.append(len(indices))
    return sp.csr_matrix(
        (np.array(data, dtype=np.float64), np.array(indices, dtype=np.int64), indptr),
        shape=(len(rows), width),
    )


# ---------------------------------------------------------------------------
# Explanations of a match

_MAX_CONCEPTS = 3
_TOPIC_DIMENSION = "topic:"


def explain_match(
    need: NeedProfile,
    programme: ProgrammeProfile,
    *,
    need_features: NeedFeatures,
    programme_features: ProgrammeFeatures,
    topic_themes: Mapping[str, str],
    today: date,
) -> tuple[Reason, ...]:
    """Structured reasons why a programme suits a need, most telling first."""
    return _explain(
        need,
        need_features,
        _need_facts(need, need_features, topic_themes),
        programme,
        programme_features,
        _programme_facts(programme, topic_themes),
        topic_themes,
        {},
    )


@dataclass(frozen=True)
class _NeedFacts:
    """What explanations use of a need: its topics and their themes, its slugs."""

    topics: frozenset[str]
    themes: frozenset[str]
    assistance_types: tuple[str, ...]
    audiences: tuple[str, ...]


def _need_facts(
    need: NeedProfile, features: NeedFeatures, topic_themes: Mapping[str, str]
) -> _NeedFacts:
    """The topics a need is about (its tags, else its text's), and so on."""
    topics = frozenset(need.topics) or frozenset(
        t for t, w in features.topics.items() if w > 0
    )
    themes = frozenset(topic_themes.get(t) for t in topics) - {None}
    return _NeedFacts(
        topics=topics,
        themes=themes,  # type: ignore[arg-type]
        assistance_types=tuple(sorted(features.assistance_types)),
        audiences=tuple(sorted(features.audiences)),
    )


@dataclass(frozen=True)
class _ProgrammeFacts:
    """A programme's slugs, sorted, as explanations list them."""

    by_theme: Mapping[str, tuple[str, ...]]
    topics: tuple[str, ...]
    assistance_types: tuple[str, ...]
    audiences: tuple[str, ...]
    delivery_modes: tuple[str, ...]
    languages: tuple[str, ...]


def _programme_facts(
    programme: ProgrammeProfile, topic_themes: Mapping[str, str]
) -> _ProgrammeFacts:
    by_theme: dict[str, list[str]] = {}
    topics = tuple(sorted(programme.topics))
    for topic in topics:
        theme = topic_themes.get(topic)
        if theme is not None:
            by_theme.setdefault(theme, []).append(topic)
    return _ProgrammeFacts(
        by_theme={theme: tuple(group) for theme, group in by_theme.items()},
        topics=topics,
        assistance_types=tuple(sorted(programme.assistance_types)),
        audiences=tuple(sorted(programme.audiences)),
        delivery_modes=tuple(sorted(programme.delivery_modes)),
        languages=tuple(sorted(programme.languages)),
    )


_REASON_CACHE_LIMIT = 200_000
_NONE: Any = object()


def _explain(
    need: NeedProfile,
    need_features: NeedFeatures,
    nf: _NeedFacts,
    programme: ProgrammeProfile,
    programme_features: ProgrammeFeatures,
    pf: _ProgrammeFacts,
    topic_themes: Mapping[str, str],
    cache: dict[tuple[Any, ...], Any],
) -> tuple[Reason, ...]:
    """The reasons of :func:`explain_match`, from facts prepared once.

    Reasons that depend on few facts (topics, slugs, languages, geography) are
    made once per distinct facts and shared through ``cache`` (they are
    immutable values).
    """
    if len(cache) > _REASON_CACHE_LIMIT:
        cache.clear()
    key: tuple[Any, ...] = (0, nf.topics, pf.topics)
    topical = cache.get(key)
    if topical is None:
        topical = cache[key] = _topic_reasons(nf, pf, topic_themes)
    reasons = list(topical[0])
    offered = programme_features.concepts
    wanted = need_features.concepts
    # "topic:..." dimensions carry implied topics into the text vector; the
    # topic reasons already say those in words.
    contributions = sorted(
        [
            (-(wanted[c] * offered[c]), c)
            for c in wanted.keys() & offered.keys()
            if not c.startswith(_TOPIC_DIMENSION)
        ]
    )
    if contributions:
        top_concepts = tuple([c for _, c in contributions[:_MAX_CONCEPTS]])
        reasons.append(Reason("shared_concepts", {"concepts": top_concepts}))
    key = (1, nf.assistance_types, pf.assistance_types)
    found = cache.get(key, _NONE)
    if found is _NONE:
        shared = tuple([a for a in pf.assistance_types if a in nf.assistance_types])
        found = cache[key] = (
            Reason("assistance", {"assistance_types": shared}) if shared else None
        )
    if found is not None:
        reasons.append(found)
    key = (2, nf.audiences, pf.audiences)
    found = cache.get(key, _NONE)
    if found is _NONE:
        shared = tuple([a for a in pf.audiences if a in nf.audiences])
        found = cache[key] = (
            Reason("audience", {"audiences": shared}) if shared else None
        )
    if found is not None:
        reasons.append(found)
    key = (4, need.delivery_modes, pf.delivery_modes)
    found = cache.get(key, _NONE)
    if found is _NONE:
        shared = tuple([m for m in pf.delivery_modes if m in need.delivery_modes])
        found = cache[key] = Reason("delivery", {"modes": shared}) if shared else None
    if found is not None:
        reasons.append(found)
    key = (5, need.languages, pf.languages)
    found = cache.get(key, _NONE)
    if found is _NONE:
        shared = tuple([lang for lang in pf.languages if lang in need.languages])
        found = cache[key] = (
            Reason("language", {"languages": shared}) if shared else None
        )
    if found is not None:
        reasons.append(found)
    scope, region = _geography(need, programme)
    key = (3, scope, region, need.country, programme.ldc_only, programme.sids_only)
    open_to = cache.get(key)
    if open_to is None:
        open_to = cache[key] = Reason(
            "open_to",
            {
                "scope": scope,
                "region": region,
                "country": need.country,
                "ldc_only": programme.ldc_only,
                "sids_only": programme.sids_only,
            },
        )
    reasons.append(open_to)
    if topical[1] is not None:
        reasons.append(topical[1])
    return tuple(reasons)


def _topic_reasons(
    nf: _NeedFacts, pf: _ProgrammeFacts, topic_themes: Mapping[str, str]
) -> tuple[tuple[Reason, ...], Reason | None]:
    """(shared topics and same-theme reasons, also-covers reason or None)."""
    reasons = []
    shared = [t for t in pf.topics if t in nf.topics]
    if shared:
        reasons.append(Reason("shared_topics", {"topics": tuple(shared)}))
    covered_themes = {topic_themes.get(t) for t in shared}
    for theme in sorted(nf.themes - covered_themes):
        related = pf.by_theme.get(theme)
        if related:
            reasons.append(Reason("same_theme", {"theme": theme, "topics": related}))
    extra = tuple([t for t in pf.topics if t not in nf.topics])
    also = Reason("also_covers", {"topics": extra}) if extra else None
    return tuple(reasons), also


def unmet_reason(result: NeedResult, *, threshold: float) -> Reason | None:
    """The unmet reason of a need result as a renderable :class:`Reason`."""
    if result.unmet == "no_eligible":
        return Reason("no_eligible")
    if result.unmet == "none_relevant":
        return Reason("none_relevant", {"threshold": threshold})
    return None


# ---------------------------------------------------------------------------
# The naive reference scorer (benchmarks and tests)


def naive_rank_all(
    needs: Sequence[NeedProfile],
    programmes: Sequence[ProgrammeProfile],
    *,
    topic_themes: Mapping[str, str],
    today: date,
    top: int = 10,
    lexicon: textmod.Lexicon | None = None,
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
        best_text = -1.0
        for p, pf in zip(index.programmes, index.features, strict=True):
            if not eligibility(need, p, today=today).eligible:
                continue
            comps = score_components(nf, pf, topic_themes=topic_themes, config=config)
            best_text = max(best_text, comps.text if comps.text is not None else 0.0)
            scored.append((comps.total(config.weights), p.key, comps))
        scored.sort(key=lambda item: (-item[0], item[1]))
        matches = tuple(
            Match(need=need.key, programme=key, score=score, components=comps)
            for score, key, comps in scored[:top]
        )
        unmet = None
        if not matches:
            unmet = "no_eligible"
        elif round(best_text, SCORE_DECIMALS) < config.unmet_threshold:
            unmet = "none_relevant"
        results.append(NeedResult(need=need.key, matches=matches, unmet=unmet))
    return results


# ---------------------------------------------------------------------------
# Capacity-aware allocation


@dataclass(frozen=True)
class Assignment:
    """One proposed (need, programme) pairing of a slate."""

    need: str
    programme: str
    score: float
    value: float  # score x fairness weight, what the solver maximised


@dataclass(frozen=True)
class Allocation:
    """A slate: the assignments, their totals and how long the solver took."""

    assignments: tuple[Assignment, ...]
    total_score: float
    total_value: float
    solve_seconds: float
    status: str


# Fairness: each arc's value is multiplied by the need's weight. 1.25 for an LDC
# or a SIDS (1.5 if both) means a pairing for such a country is preferred over
# one up to 20-33% more relevant for another country when capacity is short.
LDC_WEIGHT = 1.25
SIDS_WEIGHT = 1.25
_VALUE_SCALE = 1_000_000


def fairness_weights(
    needs: Iterable[NeedProfile], *, ldc: float = LDC_WEIGHT, sids: float = SIDS_WEIGHT
) -> dict[str, float]:
    """Per-need multipliers favouring least developed countries and SIDS."""
    weights = {}
    for need in needs:
        w = 1.0
        if need.is_ldc:
            w *= ldc
        if need.is_sids:
            w *= sids
        weights[need.key] = w
    return weights


def allocate(
    candidates: Iterable[tuple[str, str, float]] | CandidateArcs,
    *,
    capacity: Mapping[str, int | None],
    need_limits: Mapping[str, int] | None = None,
    default_limit: int = 1,
    weights: Mapping[str, float] | None = None,
    top_k: int = 50,
) -> Allocation:
    """Slate maximising total (weighted) relevance, solved exactly by min-cost flow.

    ``candidates`` are (need, programme, score) triples of eligible pairs (or
    the :class:`CandidateArcs` of :meth:`MatchingIndex.candidates`, read as
    arrays); only each need's ``top_k`` best arcs are kept. ``capacity`` gives
    each programme's places left (None = unlimited; a missing programme gets
    none). ``need_limits`` caps how many programmes a need may receive.
    ``weights`` multiplies arc values per need (see :func:`fairness_weights`).
    Every unit of flow either takes a pair (cost SCALE - value) or an overflow
    arc (cost SCALE), so the minimum cost maximises the total value and partial
    slates are allowed.
    """
    from ortools.graph.python import min_cost_flow

    limits = need_limits or {}
    fair = weights or {}
    arcs = candidates if isinstance(candidates, CandidateArcs) else _arcs(candidates)
    # Keys in sorted order (a key listed twice gets one rank).
    need_names, need_rank = _ranks(arcs.need_keys)
    prog_names, prog_rank = _ranks(arcs.programme_keys)
    closed = np.array(
        [
            cap is not None and cap <= 0
            for cap in (capacity.get(k, 0) for k in arcs.programme_keys)
        ],
        dtype=bool,
    )
    keep = ~closed[arcs.programmes]
    needs = need_rank[arcs.needs[keep]]
    progs = prog_rank[arcs.programmes[keep]]
    scores = arcs.scores[keep]
    fairness = np.array([fair.get(k, 1.0) for k in need_names])
    values = scores * fairness[needs]
    # Need by need (key order), best value first, then programme key; top_k.
    order = np.lexsort((progs, -values, needs))
    needs, progs, values, scores = (
        needs[order],
        progs[order],
        values[order],
        scores[order],
    )
    size = needs.size
    starts = np.flatnonzero(np.r_[True, needs[1:] != needs[:-1]]) if size else needs
    first = np.zeros(size, dtype=np.int64)
    if size:
        first[starts] = starts
        np.maximum.accumulate(first, out=first)
    best = np.arange(size) - first < top_k
    needs, progs, values, scores = needs[best], progs[best], values[best], scores[best]
    need_used = np.unique(needs)
    prog_used = np.unique(progs)
    need_keys = [need_names[k] for k in need_used.tolist()]
    prog_keys = [prog_names[k] for k in prog_used.tolist()]
    n_needs, n_progs = len(need_keys), len(prog_keys)
    need_node = np.zeros(len(need_names), dtype=np.int64)
    need_node[need_used] = 2 + np.arange(n_needs)
    prog_node = np.zeros(len(prog_names), dtype=np.int64)
    prog_node[prog_used] = 2 + n_needs + np.arange(n_progs)
    source, sink = 0, 1
    demand = np.array(
        [max(0, limits.get(k, default_limit)) for k in need_keys], dtype=np.int64
    )
    total = int(demand.sum())
    max_value = float(values.max()) if values.size else 0.0
    scale_top = math.ceil(max_value * _VALUE_SCALE) + 1
    caps_left = [capacity.get(k) for k in prog_keys]
    nodes = need_node[need_used]
    tails = np.concatenate(
        [np.full(n_needs, source), need_node[needs], prog_node[prog_used], nodes]
    )
    heads = np.concatenate(
        [nodes, prog_node[progs], np.full(n_progs, sink), np.full(n_needs, sink)]
    )
    caps = np.concatenate(
        [
            demand,
            np.ones(needs.size, dtype=np.int64),
            np.array(
                [total if c is None else min(c, total) for c in caps_left],
                dtype=np.int64,
            ),
            demand,
        ]
    )
    costs = np.concatenate(
        [
            np.zeros(n_needs, dtype=np.int64),
            scale_top - np.rint(values * _VALUE_SCALE).astype(np.int64),
            np.zeros(n_progs, dtype=np.int64),
            np.full(n_needs, scale_top, dtype=np.int64),
        ]
    )
    first_pair_arc = n_needs
    started = time.perf_counter()
    solver = min_cost_flow.SimpleMinCostFlow()
    if tails.size:
        solver.add_arcs_with_capacity_and_unit_cost(
            tails.astype(np.int64), heads.astype(np.int64), caps, costs
        )
    supplies = np.zeros(2 + n_needs + n_progs, dtype=np.int64)
    supplies[source], supplies[sink] = total, -total
    solver.set_nodes_supplies(np.arange(len(supplies)), supplies)
    status = solver.solve() if tails.size else solver.OPTIMAL
    elapsed = time.perf_counter() - started
    if status != solver.OPTIMAL:
        return Allocation((), 0.0, 0.0, elapsed, str(status))
    flows = solver.flows(np.arange(first_pair_arc, first_pair_arc + needs.size))
    taken = np.flatnonzero(flows > 0)
    chosen = [
        Assignment(
            need=need_names[n], programme=prog_names[p], score=s, value=round(v, 6)
        )
        for n, p, v, s in zip(
            needs[taken].tolist(),
            progs[taken].tolist(),
            values[taken].tolist(),
            scores[taken].tolist(),
            strict=True,
        )
    ]
    chosen.sort(key=lambda a: (a.need, a.programme))
    return Allocation(
        assignments=tuple(chosen),
        total_score=round(sum(a.score for a in chosen), 6),
        total_value=round(sum(a.value for a in chosen), 6),
        solve_seconds=elapsed,
        status="optimal",
    )


def _arcs(candidates: Iterable[tuple[str, str, float]]) -> CandidateArcs:
    """(need, programme, score) triples as arrays."""
    need_pos: dict[str, int] = {}
    prog_pos: dict[str, int] = {}
    needs, progs, scores = [], [], []
    for need, programme, score in candidates:
        needs.append(need_pos.setdefault(need, len(need_pos)))
        progs.append(prog_pos.setdefault(programme, len(prog_pos)))
        scores.append(score)
    return CandidateArcs(
        need_keys=tuple(need_pos),
        programme_keys=tuple(prog_pos),
        needs=np.array(needs, dtype=np.int64),
        programmes=np.array(progs, dtype=np.int64),
        scores=np.array(scores, dtype=np.float64),
    )


def _ranks(keys: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """The distinct keys sorted, and each key's position among them."""
    names = sorted(set(keys))
    position = {k: i for i, k in enumerate(names)}
    return names, np.array([position[k] for k in keys], dtype=np.int64)


def candidates_from_results(
    results: Iterable[NeedResult],
) -> Iterator[tuple[str, str, float]]:
    """(need, programme, score) triples from rankings, for :func:`allocate`."""
    for result in results:
        for match in result.matches:
            yield (match.need, match.programme, match.score)


__all__ = [
    "DEFAULT_CONFIG",
    "REASON_CODES",
    "RULES",
    "Allocation",
    "Assignment",
    "CandidateArcs",
    "Components",
    "Eligibility",
    "Labels",
    "Match",
    "MatchingConfig",
    "MatchingIndex",
    "NeedBatch",
    "NeedFeatures",
    "NeedProfile",
    "NeedResult",
    "ProgrammeFeatures",
    "ProgrammeProfile",
    "Reason",
    "Weights",
    "allocate",
    "build_index",
    "candidates_from_results",
    "eligibility",
    "explain_match",
    "fairness_weights",
    "naive_rank_all",
    "programme_is_open",
    "render_reason",
    "score_components",
    "unmet_reason",
    "why_not",
]
