"""The matching engine: eligibility, relevance, explanations, allocation.

Pure functions and immutable values: no ORM, no clock, no network. The caller
turns model rows into :class:`NeedProfile` / :class:`ProgrammeProfile`, passes
reference data (topic -> theme map, display names) as plain dicts and passes
"today" explicitly. Reading the shipped lexicon file once is the only I/O, and
only when the caller does not pass a :class:`~matchmaking.text.Lexicon`.

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

import math
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import scipy.sparse as sp

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


def eligibility(
    need: NeedProfile, programme: ProgrammeProfile, *, today: date
) -> Eligibility:
    """Check every hard rule of a pair; ``failed`` lists the rules broken."""
    failed: list[str] = []
    scope, region = "", None
    if not programme.regions and not programme.countries:
        scope = "worldwide"
    elif need.country in programme.countries:
        scope = "country"
    else:
        hits = sorted(programme.regions & need.country_regions)
        if hits:
            # The most specific grouping reads best ("Western Africa" > "Africa").
            scope, region = "region", hits[-1]
        else:
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


def _names(slugs: Iterable[str], table: Mapping[str, str], lower: bool = False) -> str:
    names = [table.get(s, s.replace("-", " ")) for s in slugs]
    if lower:
        names = [n[:1].lower() + n[1:] if not n[:2].isupper() else n for n in names]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def render_reason(reason: Reason, labels: Labels | None = None) -> str:
    """English text of a reason (the UI may translate codes instead)."""
    lb = labels or Labels()
    p = reason.params
    code = reason.code
    if code == "shared_topics":
        return f"Both concern {_names(p['topics'], lb.topics, lower=True)}"
    if code == "same_theme":
        theme = lb.themes.get(p["theme"], p["theme"])
        topics = _names(p["topics"], lb.topics, lower=True)
        return f"Related work under {theme}: {topics}"
    if code == "also_covers":
        return f"Also covers: {_names(p['topics'], lb.topics, lower=True)}"
    if code == "shared_concepts":
        return f"Both mention {_names(p['concepts'], lb.concepts)}"
    if code == "assistance":
        types = _names(p["assistance_types"], lb.assistance_types, lower=True)
        return f"Offers {types}"
    if code == "audience":
        return f"Aimed at {_names(p['audiences'], lb.audiences, lower=True)}"
    if code == "delivery":
        return f"Delivered {_names(p['modes'], lb.delivery_modes, lower=True)}"
    if code == "language":
        return f"Delivered in {_names(p['languages'], lb.languages)}"
    if code == "open_to":
        return _render_open_to(p, lb)
    if code == "not_in_area":
        country = lb.countries.get(p.get("country", ""), p.get("country", ""))
        return f"Not open to {country}"
    if code == "ldc_only":
        return "Reserved for least developed countries"
    if code == "sids_only":
        return "Reserved for small island developing states"
    if code == "no_shared_language":
        return f"Not offered in {_names(p.get('languages', ()), lb.languages)}"
    if code == "ended":
        return f"Ended on {p['ends_on']}"
    if code == "unpublished":
        return "Not published"
    if code == "capacity_full":
        return "No places left"
    if code == "no_eligible":
        return "No programme is open to this need"
    if code == "none_relevant":
        return "No open programme is a close enough match"
    return code


def _render_open_to(p: Mapping[str, Any], lb: Labels) -> str:
    groups = []
    if p.get("ldc_only"):
        groups.append("least developed countries")
    if p.get("sids_only"):
        groups.append("small island developing states")
    who = " and ".join(groups)
    scope = p.get("scope")
    if scope == "country":
        country = lb.countries.get(p["country"], p["country"])
        return f"Open to {country}"
    if scope == "region":
        region = lb.regions.get(p["region"], p["region"])
        return f"Open to {who} in {region}" if who else f"Open to {region}"
    return f"Open to {who} worldwide" if who else "Open worldwide"


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
    norm = math.sqrt(sum(v * v for v in vector.values()))
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


class MatchingIndex:
    """All programmes, encoded once, for fast ranking in both directions.

    Build with :func:`build_index`. Text statistics (word-stem vocabulary and
    idf, concept idf) are fitted on the programmes at build time and kept fixed
    by :meth:`upsert_programme`; rebuild the index now and then (e.g. nightly)
    to refresh them.
    """

    def __init__(
        self,
        programmes: Sequence[ProgrammeProfile],
        *,
        topic_themes: Mapping[str, str],
        lexicon: textmod.Lexicon | None = None,
        config: MatchingConfig = DEFAULT_CONFIG,
    ) -> None:
        self.config = config
        self.topic_themes = dict(topic_themes)
        self.lexicon = lexicon or textmod.default_lexicon()
        self._profile_cache: dict[tuple[str, str, str], textmod.TextProfile] = {}
        keys = [p.key for p in programmes]
        if len(set(keys)) != len(keys):
            raise ValueError("programme keys must be unique")
        self.programmes: list[ProgrammeProfile] = list(programmes)
        self.position: dict[str, int] = {k: i for i, k in enumerate(keys)}
        profiles = [self.text_profile(p) for p in programmes]
        # Concept idf over the programmes (what distinguishes one from another).
        df: dict[str, int] = {}
        for prof in profiles:
            for concept in prof.concepts:
                df[concept] = df.get(concept, 0) + 1
        n = max(1, len(programmes))
        self.concept_idf = {
            c.id: textmod.idf(df.get(c.id, 0), n) for c in self.lexicon.concepts
        }
        # Word-stem vocabulary and idf over the programmes; a need's words that
        # no programme uses cannot match anything and are dropped.
        word_df: dict[str, int] = {}
        for prof in profiles:
            for word in prof.words:
                word_df[word] = word_df.get(word, 0) + 1
        # Stems in more than half of the programmes say little and would make
        # every pair overlap; they are left out (like scikit-learn's max_df).
        kept = sorted(w for w, d in word_df.items() if d <= MAX_WORD_DF * n or n < 4)
        self.word_column = {w: i for i, w in enumerate(kept)}
        self.word_idf = np.array(
            [textmod.idf(word_df[w], n) for w in kept], dtype=np.float64
        )
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
            for p, prof in zip(programmes, profiles, strict=True)
        ]
        self._rebuild_matrices()

    # -- encoding ----------------------------------------------------------

    def text_profile(
        self, record: NeedProfile | ProgrammeProfile
    ) -> textmod.TextProfile:
        """The lexicon analysis of a record's text (cached by content)."""
        key = (record.title, record.summary, record.description)
        cached = self._profile_cache.get(key)
        if cached is None:
            cached = self.lexicon.profile(_text_fields(record))
            if len(self._profile_cache) < 200_000:
                self._profile_cache[key] = cached
        return cached

    def _concept_vector(self, prof: textmod.TextProfile) -> dict[str, float]:
        vector = {
            c: math.log1p(w) * self.concept_idf.get(c, 1.0)
            for c, w in prof.concepts.items()
        }
        beta = self.config.topic_in_text
        if beta:
            norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
            tnorm = math.sqrt(sum(v * v for v in prof.topics.values())) or 1.0
            for slug, strength in prof.topics.items():
                vector["topic:" + slug] = beta * strength * norm / tnorm
        return _normalised(vector)

    def _word_vector(self, prof: textmod.TextProfile) -> dict[int, float]:
        vector = {}
        for word, tf in prof.words.items():
            col = self.word_column.get(word)
            if col is not None:
                vector[col] = math.log1p(tf) * float(self.word_idf[col])
        # Only a record's most distinctive stems: they carry nearly all of the
        # cosine, and a short vector keeps the sparse products sparse.
        kept = sorted(vector.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_WORDS]
        return _normalised(dict(sorted(kept)))

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

    def need_features(self, need: NeedProfile) -> NeedFeatures:
        """Encode one need (tags blended with what its text implies)."""
        prof = self.text_profile(need)
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

    def encode_needs(self, needs: Sequence[NeedProfile]) -> NeedBatch:
        """Encode needs once for repeated vectorised scoring."""
        features = [self.need_features(need) for need in needs]
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
        for i in range(n):
            self._fill_row(i)
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
        self._delivery_rows: list[list[float]] = []
        self._delivery_table = np.zeros((0, len(patterns)))
        self._tag_block = np.hstack(
            [self._credit, self._focus_rows, self._p_aud, self._p_assist, one_hot]
        )
        self._tag_block_t = np.ascontiguousarray(self._tag_block.T)
        self._p_concepts_t = np.ascontiguousarray(self._p_concepts.T)
        self._p_places_t = sp.csr_matrix(self._p_places.T.astype(np.float64))

    def _grow(self, attr: str, vocab: _Vocabulary) -> np.ndarray:
        array = getattr(self, attr)
        if array.shape[1] < len(vocab):
            extra = np.zeros((array.shape[0], len(vocab) - array.shape[1]), array.dtype)
            array = np.hstack([array, extra])
            setattr(self, attr, array)
        return array

    def _fill_row(self, i: int) -> None:
        p = self.programmes[i]
        f = self.features[i]
        th = self.config.theme_credit
        prog_themes = {self.v_themes.index[t] for t in f.themes}
        credit = self._credit[i]
        credit[:] = 0.0
        for col in range(self.n_topics):
            if self._theme_of[col] >= 0 and self._theme_of[col] in prog_themes:
                credit[col] = th
        focus = self._focus_rows[i]
        focus[:] = 0.0
        for t in p.topics:
            col = self.v_topics.index[t]
            credit[col] = 1.0
            focus[col] = 1.0 / len(p.topics)
        self._p_assist[i] = 0.0
        for a in p.assistance_types:
            self._p_assist[i, self.v_assist.index[a]] = 1.0
        self._p_aud[i] = 0.0
        for a in p.audiences:
            self._p_aud[i, self.v_aud.index[a]] = 1.0
        self._p_concepts[i] = 0.0
        for c, w in f.concepts.items():
            self._p_concepts[i, self.v_concepts.index[c]] = w
        self._p_langs[i] = 0.0
        for lang in p.languages:
            self._p_langs[i, self.v_langs.index[lang]] = 1.0
        self._p_places[i] = False
        for place in (*p.regions, *p.countries):
            self._p_places[i, self.v_places.index[place]] = True
        self._worldwide[i] = not p.regions and not p.countries
        self._ldc_only[i] = p.ldc_only
        self._sids_only[i] = p.sids_only
        self._published[i] = p.is_published
        self._full[i] = p.capacity is not None and p.capacity_used >= p.capacity
        self._ends[i] = (
            p.ends_on.toordinal() if p.ends_on is not None else np.iinfo(np.int64).max
        )

    def upsert_programme(self, programme: ProgrammeProfile) -> None:
        """Add or replace one programme (text statistics stay as fitted)."""
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
        features = self._programme_features(programme, self.text_profile(programme))
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
        for attr, vocab in (
            ("_p_assist", self.v_assist),
            ("_p_aud", self.v_aud),
            ("_p_langs", self.v_langs),
            ("_p_places", self.v_places),
        ):
            self._grow(attr, vocab)
        self._fill_row(i)
        row = _dict_rows_to_csr([features.words], self._p_words.shape[1])
        self._p_words = sp.vstack(
            [self._p_words[:i], row, self._p_words[i + 1 :]], format="csr"
        )
        self._p_words_t = self._p_words.T.tocsr()
        self._refresh_derived()

    # -- scoring -----------------------------------------------------------

    def _need_arrays(self, batch: NeedBatch, rows: slice) -> dict[str, Any]:
        """Dense/sparse need-side arrays of a chunk, aligned with the index."""
        needs = batch.needs[rows]
        feats = batch.features[rows]
        m = len(needs)
        th = self.config.theme_credit
        topic_w = np.zeros((m, self.n_topics))
        focus_q = np.zeros((m, self.n_topics))
        assist = np.zeros((m, len(self.v_assist)))
        aud = np.zeros((m, len(self.v_aud)))
        mode_pattern = np.zeros(m, dtype=np.int64)
        concepts = np.zeros((m, len(self.v_concepts)))
        langs = np.zeros((m, len(self.v_langs)))
        has = np.zeros((m, 5), dtype=bool)
        ldc = np.zeros(m, dtype=bool)
        sids = np.zeros(m, dtype=bool)
        place_rows: list[dict[int, float]] = []
        word_rows = []
        for r, (need, f) in enumerate(zip(needs, feats, strict=True)):
            # Unknown slugs still count in the totals: they can never be covered.
            total = sum(f.topics.values())
            need_themes = set()
            for slug, w in f.topics.items():
                col = self.v_topics.index.get(slug)
                theme = self.topic_themes.get(slug)
                if theme is not None:
                    need_themes.add(self.v_themes.index.get(theme, -1))
                if col is not None:
                    topic_w[r, col] = w / total
            if need_themes:
                focus_q[r] = th * self._theme_columns[sorted(need_themes)].max(axis=0)
            for slug in f.topics:
                col = self.v_topics.index.get(slug)
                if col is not None:
                    focus_q[r, col] = 1.0
            _fill_weights(assist[r], f.assistance_types, self.v_assist)
            _fill_weights(aud[r], f.audiences, self.v_aud)
            mode_pattern[r] = self._need_pattern(f.delivery_modes)
            for c, w in f.concepts.items():
                concepts[r, self.v_concepts.index[c]] = w
            for lang in need.languages:
                col = self.v_langs.index.get(lang)
                if col is not None:
                    langs[r, col] = 1.0
            place_rows.append(
                {
                    self.v_places.index[p]: 1.0
                    for p in (need.country, *need.country_regions)
                    if p in self.v_places.index
                }
            )
            has[r] = (
                bool(f.topics),
                bool(f.concepts or f.words),
                bool(f.audiences),
                bool(f.assistance_types),
                bool(f.delivery_modes),
            )
            ldc[r], sids[r] = need.is_ldc, need.is_sids
            word_rows.append(f.words)
        return {
            "topic_w": topic_w,
            "focus_q": focus_q,
            "assist": assist,
            "aud": aud,
            "mode_pattern": mode_pattern,
            "concepts": concepts,
            "words": _dict_rows_to_csr(word_rows, self._p_words.shape[1]),
            "langs": langs,
            "places": _dict_rows_to_csr(place_rows, len(self.v_places)),
            "has": has,
            "ldc": ldc,
            "sids": sids,
        }

    def _score_block(
        self, arrays: Mapping[str, Any], today: date, cols: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Scores (rounded), eligibility mask and text relevance, needs x programmes.

        Every component but text is linear in one-hot/weight encodings (delivery
        through a small pattern table), so they are folded into one product:
        each need row carries its component weights, num = [weighted need
        blocks] @ [programme blocks].T. Text is added separately because the
        unmet rule needs its matrix.
        """
        cfg = self.config
        w = cfg.weights
        sel = slice(None) if cols is None else cols
        has = arrays["has"].astype(np.float64)
        wt = has[:, 0:1] * w.topic
        need_block = np.hstack(
            [
                arrays["topic_w"] * (wt * (1 - cfg.focus)),
                arrays["focus_q"] * (wt * cfg.focus),
                arrays["aud"] * (has[:, 2:3] * w.audience),
                arrays["assist"] * (has[:, 3:4] * w.assistance),
                self._delivery_table[arrays["mode_pattern"]]
                * (has[:, 4:5] * w.delivery),
            ]
        )
        if cols is None and need_block.shape[0] <= _FEW_ROWS:
            # A handful of needs (one edited need, a request): their rows are
            # sparse, and a sparse x dense product avoids BLAS thread start-up.
            num = sp.csr_matrix(need_block) @ self._tag_block_t
            text = sp.csr_matrix(arrays["concepts"]) @ self._p_concepts_t
        else:
            prog_block = self._tag_block if cols is None else self._tag_block[cols]
            num = need_block @ prog_block.T
            text = arrays["concepts"] @ self._p_concepts[sel].T
        text *= cfg.concept_share
        words_t = self._p_words_t if cols is None else self._p_words[cols].T.tocsr()
        word_sim = arrays["words"] @ words_t
        if word_sim.nnz:
            word_sim.data *= 1 - cfg.concept_share
            text += word_sim.toarray()
        del word_sim
        np.clip(text, 0.0, 1.0, out=text)
        text_w = has[:, 1:2] * w.text
        num += text * text_w
        den = has @ np.array([w.topic, w.text, w.audience, w.assistance, w.delivery])
        den[den == 0] = 1.0
        num /= den[:, None]
        scores = np.round(num, SCORE_DECIMALS, out=num)
        # Eligibility, all rules at once: place, language, then the status and
        # LDC/SIDS rules, which depend on the need only through 4 categories.
        ok = (arrays["places"] @ self._p_places_t[:, sel]).toarray() > 0
        ok |= self._worldwide[sel][None, :]
        ok &= (arrays["langs"] @ self._p_langs[sel].T) > 0
        open_now = (
            self._published[sel]
            & ~self._full[sel]
            & (self._ends[sel] >= today.toordinal())
        )
        allowed = np.stack(
            [
                open_now & (~self._ldc_only[sel] | ldc) & (~self._sids_only[sel] | sids)
                for ldc in (False, True)
                for sids in (False, True)
            ]
        )
        category = arrays["ldc"].astype(np.int64) * 2 + arrays["sids"]
        ok &= allowed[category]
        return scores, ok, text

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

    def _components_many(
        self,
        arrays: Mapping[str, Any],
        rows: np.ndarray,
        cols: np.ndarray,
        text: np.ndarray,
    ) -> list[Components]:
        """The components of chosen (need row, programme) cells, vectorised."""
        cfg = self.config
        has = arrays["has"][rows]
        coverage = np.einsum("ij,ij->i", arrays["topic_w"][rows], self._credit[cols])
        focus = np.einsum("ij,ij->i", arrays["focus_q"][rows], self._focus_rows[cols])
        topic = (1 - cfg.focus) * coverage + cfg.focus * focus
        audience = np.einsum("ij,ij->i", arrays["aud"][rows], self._p_aud[cols])
        assistance = np.einsum("ij,ij->i", arrays["assist"][rows], self._p_assist[cols])
        delivery = self._delivery_table[
            arrays["mode_pattern"][rows], self._mode_pattern[cols]
        ]
        out = []
        for j in range(len(rows)):
            h = has[j]
            out.append(
                Components(
                    topic=float(topic[j]) if h[0] else None,
                    text=float(text[j]) if h[1] else None,
                    audience=float(audience[j]) if h[2] else None,
                    assistance=float(assistance[j]) if h[3] else None,
                    delivery=float(delivery[j]) if h[4] else None,
                )
            )
        return out

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

    def rank_batch(
        self,
        batch: NeedBatch,
        *,
        today: date,
        top: int = 10,
        chunk_size: int = 1024,
        explain: bool = True,
    ) -> Iterator[NeedResult]:
        """Top programmes for every need in the batch, chunk by chunk."""
        threshold = self.config.unmet_threshold
        for start in range(0, len(batch.keys), chunk_size):
            rows = slice(start, start + chunk_size)
            arrays = self._need_arrays(batch, rows)
            scores, ok, text = self._score_block(arrays, today)
            tops = [self._top(scores[r], ok[r], top) for r in range(scores.shape[0])]
            sel_rows = np.repeat(np.arange(len(tops)), [len(t) for t in tops])
            sel_cols = np.concatenate([*tops, np.empty(0, dtype=np.int64)])
            sel_text = text[sel_rows, sel_cols]
            sel_scores = scores[sel_rows, sel_cols].tolist()
            components = self._components_many(arrays, sel_rows, sel_cols, sel_text)
            np.copyto(text, -1.0, where=~ok)
            best_text = text.max(axis=1, initial=-1.0)
            del scores, ok, text
            j = 0
            for r, chosen in enumerate(tops):
                b = start + r
                matches = []
                for i in chosen.tolist():
                    matches.append(
                        self._match(
                            batch, b, i, sel_scores[j], components[j], explain, today
                        )
                    )
                    j += 1
                unmet = None
                if not matches:
                    unmet = "no_eligible"
                elif round(float(best_text[r]), SCORE_DECIMALS) < threshold:
                    unmet = "none_relevant"
                yield NeedResult(
                    need=batch.keys[b], matches=tuple(matches), unmet=unmet
                )

    def rank_need(
        self, need: NeedProfile, *, today: date, top: int = 10, explain: bool = True
    ) -> NeedResult:
        """Top programmes for one (new or just edited) need."""
        batch = self.encode_needs([need])
        return next(self.rank_batch(batch, today=today, top=top, explain=explain))

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
        """Top needs for one programme among candidate needs (already visible)."""
        i = self.position[programme_key]
        cols = np.array([i])
        found: list[tuple[float, str, int, Components]] = []
        for start in range(0, len(batch.keys), chunk_size):
            arrays = self._need_arrays(batch, slice(start, start + chunk_size))
            scores, ok, text = self._score_block(arrays, today, cols=cols)
            rows = np.flatnonzero(ok[:, 0])
            comps = self._components_many(
                arrays, rows, np.full(rows.size, i), text[rows, 0]
            )
            for r, c in zip(rows.tolist(), comps, strict=True):
                b = start + r
                found.append((float(scores[r, 0]), batch.keys[b], b, c))
            found.sort(key=lambda t: (-t[0], t[1]))
            del found[top:]
        return tuple(
            self._match(batch, b, i, score, comps, explain, today)
            for score, _, b, comps in found
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
    ) -> Match:
        need, feats = batch.needs[b], batch.features[b]
        programme = self.programmes[i]
        reasons: tuple[Reason, ...] = ()
        if explain:
            reasons = explain_match(
                need,
                programme,
                need_features=feats,
                programme_features=self.features[i],
                topic_themes=self.topic_themes,
                today=today,
            )
        return Match(
            need=need.key,
            programme=programme.key,
            score=score,
            components=components,
            reasons=reasons,
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
) -> MatchingIndex:
    """Encode all programmes once (see :class:`MatchingIndex`)."""
    return MatchingIndex(
        programmes, topic_themes=topic_themes, lexicon=lexicon, config=config
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
    reasons: list[Reason] = []
    need_topics = set(need.topics) or {
        t for t, w in need_features.topics.items() if w > 0
    }
    shared = sorted(need_topics & programme.topics)
    if shared:
        reasons.append(Reason("shared_topics", {"topics": tuple(shared)}))
    need_themes = {topic_themes.get(t) for t in need_topics} - {None}
    covered_themes = {topic_themes.get(t) for t in shared}
    for theme in sorted(need_themes - covered_themes):
        related = sorted(t for t in programme.topics if topic_themes.get(t) == theme)
        if related:
            reasons.append(
                Reason("same_theme", {"theme": theme, "topics": tuple(related)})
            )
    contributions = {
        c: w * programme_features.concepts[c]
        for c, w in need_features.concepts.items()
        if c in programme_features.concepts
    }
    top_concepts = sorted(contributions, key=lambda c: (-contributions[c], c))
    if top_concepts:
        reasons.append(
            Reason("shared_concepts", {"concepts": tuple(top_concepts[:_MAX_CONCEPTS])})
        )
    assist = sorted(set(need_features.assistance_types) & programme.assistance_types)
    if assist:
        reasons.append(Reason("assistance", {"assistance_types": tuple(assist)}))
    audiences = sorted(set(need_features.audiences) & programme.audiences)
    if audiences:
        reasons.append(Reason("audience", {"audiences": tuple(audiences)}))
    modes = sorted(need.delivery_modes & programme.delivery_modes)
    if modes:
        reasons.append(Reason("delivery", {"modes": tuple(modes)}))
    elig = eligibility(need, programme, today=today)
    if elig.shared_languages:
        reasons.append(Reason("language", {"languages": elig.shared_languages}))
    reasons.append(
        Reason(
            "open_to",
            {
                "scope": elig.scope,
                "region": elig.region,
                "country": need.country,
                "ldc_only": programme.ldc_only,
                "sids_only": programme.sids_only,
            },
        )
    )
    extra = sorted(programme.topics - need_topics)
    if extra:
        reasons.append(Reason("also_covers", {"topics": tuple(extra)}))
    return tuple(reasons)


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
    candidates: Iterable[tuple[str, str, float]],
    *,
    capacity: Mapping[str, int | None],
    need_limits: Mapping[str, int] | None = None,
    default_limit: int = 1,
    weights: Mapping[str, float] | None = None,
    top_k: int = 50,
) -> Allocation:
    """Slate maximising total (weighted) relevance, solved exactly by min-cost flow.

    ``candidates`` are (need, programme, score) triples of eligible pairs; only
    each need's ``top_k`` best arcs are kept. ``capacity`` gives each
    programme's places left (None = unlimited; a missing programme gets none).
    ``need_limits`` caps how many programmes a need may receive. ``weights``
    multiplies arc values per need (see :func:`fairness_weights`). Every unit
    of flow either takes a pair (cost SCALE - value) or an overflow arc (cost
    SCALE), so the minimum cost maximises the total value and partial slates
    are allowed.
    """
    from ortools.graph.python import min_cost_flow

    limits = need_limits or {}
    fair = weights or {}
    per_need: dict[str, list[tuple[float, str, float]]] = {}
    for need, programme, score in candidates:
        cap = capacity.get(programme, 0)
        if cap is not None and cap <= 0:
            continue
        value = score * fair.get(need, 1.0)
        per_need.setdefault(need, []).append((value, programme, score))
    need_keys = sorted(per_need)
    arcs: list[tuple[str, str, float, float]] = []
    for need in need_keys:
        best = sorted(per_need[need], key=lambda t: (-t[0], t[1]))[:top_k]
        arcs.extend((need, prog, value, score) for value, prog, score in best)
    prog_keys = sorted({a[1] for a in arcs})
    n_needs = len(need_keys)
    need_node = {k: 2 + i for i, k in enumerate(need_keys)}
    prog_node = {k: 2 + n_needs + i for i, k in enumerate(prog_keys)}
    source, sink = 0, 1
    demand = {k: max(0, limits.get(k, default_limit)) for k in need_keys}
    total = sum(demand.values())
    max_value = max((a[2] for a in arcs), default=0.0)
    scale_top = math.ceil(max_value * _VALUE_SCALE) + 1

    tails: list[int] = []
    heads: list[int] = []
    caps: list[int] = []
    costs: list[int] = []
    for k in need_keys:
        tails.append(source)
        heads.append(need_node[k])
        caps.append(demand[k])
        costs.append(0)
    first_pair_arc = len(tails)
    for need, prog, value, _ in arcs:
        tails.append(need_node[need])
        heads.append(prog_node[prog])
        caps.append(1)
        costs.append(scale_top - round(value * _VALUE_SCALE))
    for k in prog_keys:
        cap = capacity.get(k)
        tails.append(prog_node[k])
        heads.append(sink)
        caps.append(total if cap is None else min(cap, total))
        costs.append(0)
    for k in need_keys:
        tails.append(need_node[k])
        heads.append(sink)
        caps.append(demand[k])
        costs.append(scale_top)
    started = time.perf_counter()
    solver = min_cost_flow.SimpleMinCostFlow()
    if tails:
        solver.add_arcs_with_capacity_and_unit_cost(
            np.array(tails), np.array(heads), np.array(caps), np.array(costs)
        )
    supplies = np.zeros(2 + n_needs + len(prog_keys), dtype=np.int64)
    supplies[source], supplies[sink] = total, -total
    solver.set_nodes_supplies(np.arange(len(supplies)), supplies)
    status = solver.solve() if tails else solver.OPTIMAL
    elapsed = time.perf_counter() - started
    if status != solver.OPTIMAL:
        return Allocation((), 0.0, 0.0, elapsed, str(status))
    flows = solver.flows(np.arange(first_pair_arc, first_pair_arc + len(arcs)))
    chosen = [
        Assignment(need=a[0], programme=a[1], score=a[3], value=round(a[2], 6))
        for a, f in zip(arcs, flows.tolist(), strict=True)
        if f > 0
    ]
    chosen.sort(key=lambda a: (a.need, a.programme))
    return Allocation(
        assignments=tuple(chosen),
        total_score=round(sum(a.score for a in chosen), 6),
        total_value=round(sum(a.value for a in chosen), 6),
        solve_seconds=elapsed,
        status="optimal",
    )


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
