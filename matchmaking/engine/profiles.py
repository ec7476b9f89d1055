"""The engine's inputs and results as frozen values: need and programme profiles,
weights and configuration, component scores, matches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from typing import Any


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


def is_targeted(programme: ProgrammeProfile) -> bool:
    """Whether a programme is open to some countries only, not worldwide.

    A programme made for a region, a list of countries, the LDCs or the SIDS
    (its eligibility says so) is designed around those countries' situation,
    languages and partners: for a need it is eligible for, it fits better than
    an otherwise equal programme open to the whole world (the ``reach``
    component).
    """
    return bool(
        programme.regions
        or programme.countries
        or programme.ldc_only
        or programme.sids_only
    )


# What a programme gives when it only hands over knowledge products, tools or
# money: nothing taught, advised or run with the need's people.
SELF_SERVICE_ASSISTANCE = frozenset(
    {"knowledge-products", "tools-equipment", "funding"}
)
# The delivery "mode" of such a programme: it fits whatever mode a need prefers.
ANY_MODE = "*"


def delivery_modes_offered(programme: ProgrammeProfile) -> frozenset[str]:
    """The delivery modes a programme is scored on (the ``delivery`` component).

    Its own, except for a programme that only gives knowledge products, tools
    or funding: a toolkit downloaded online, a scanning service or a grant is
    used in whatever way the need's own activities run, face to face or not, so
    it fits any mode the need prefers (``ANY_MODE``). The need's delivery
    preference is about how it is taught, advised or trained.
    """
    if programme.assistance_types and programme.assistance_types <= (
        SELF_SERVICE_ASSISTANCE
    ):
        return frozenset({ANY_MODE})
    return programme.delivery_modes


@dataclass(frozen=True)
class Weights:
    """Weights of the relevance components (they need not sum to 1)."""

    topic: float = 0.25
    text: float = 0.50
    audience: float = 0.10
    assistance: float = 0.08
    delivery: float = 0.07
    reach: float = 0.06


@dataclass(frozen=True)
class MatchingConfig:
    """Tunable constants of the relevance score and of the unmet rule.

    A need is unmet when no eligible programme is *adequate*: its score
    reaches ``adequate_score`` and its concept cosine with the need reaches
    ``adequate_concepts`` (see :mod:`matchmaking.engine.adequacy`). Calibrated
    on 720 needs: the 24 of the development set in the six UN languages, as
    posted, with one topic, untagged and rewritten tersely with thin tags
    (``tests/data/dev_needs_terse.json``). Every need with a directly relevant
    programme has an eligible one at both thresholds and no need without one
    does, with both thresholds near the middle of the range that separates them
    (score 0.477-0.503, concepts 0.20-0.37, since the lexicon's cross-language
    fixes, its basic security controls and the delivery mode of programmes of
    materials; it was 0.46-0.52 and 0.21-0.35 before). The old rule (text
    relevance alone below 0.33) declared 22 of the 630 needs with an adequate
    programme unmet, all of them terse, in every language.
    """

    weights: Weights = field(default_factory=Weights)
    theme_credit: float = 0.5
    focus: float = 0.15
    implied_weight: float = 0.5
    implied_min: float = 0.5
    concept_share: float = 0.7
    topic_in_text: float = 0.6
    adequate_score: float = 0.49
    adequate_concepts: float = 0.28


DEFAULT_CONFIG = MatchingConfig()


SCORE_DECIMALS = 6


MAX_WORDS = 32


MAX_WORD_DF = 0.5


_FEW_ROWS = 16


_HYBRID = "hybrid"


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
      unmet: ``no_eligible``, ``topic_missed``, ``none_relevant``.
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
    "topic_missed",
    "none_relevant",
)


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
    # Open to a group of countries only (some regions or countries, LDCs or
    # SIDS) rather than worldwide: made for the places it is open to.
    targeted: bool = False


# The gap advisor's kinds of change to a programme (engine.advisor).
CHANGE_COUNTRIES = "countries"
CHANGE_LDC_ONLY = "lift_ldc_only"
CHANGE_SIDS_ONLY = "lift_sids_only"
CHANGE_LANGUAGE = "language"
CHANGE_END_DATE = "end_date"
CHANGE_PLACES = "places"
CHANGE_DELIVERY = "delivery_mode"

CHANGE_KINDS = (
    CHANGE_COUNTRIES,
    CHANGE_LDC_ONLY,
    CHANGE_SIDS_ONLY,
    CHANGE_LANGUAGE,
    CHANGE_END_DATE,
    CHANGE_PLACES,
    CHANGE_DELIVERY,
)


# Fairness: each arc's value is multiplied by the need's weight. 1.25 for an LDC
# or a SIDS (1.5 if both) means a pairing for such a country is preferred over
# one up to 20-33% more relevant for another country when capacity is short.
LDC_WEIGHT = 1.25


SIDS_WEIGHT = 1.25


COMPONENT_NAMES = ("topic", "text", "audience", "assistance", "delivery", "reach")


@dataclass(frozen=True)
class Components:
    """The relevance components of one pair, each in [0, 1] (None = no data)."""

    topic: float | None
    text: float | None
    audience: float | None
    assistance: float | None
    delivery: float | None
    reach: float | None = None

    def total(self, weights: Weights) -> float:
        """Weighted mean over the components that have data, rounded."""
        num = den = 0.0
        for name in COMPONENT_NAMES:
            value = getattr(self, name)
            if value is not None:
                w = getattr(weights, name)
                num += w * value
                den += w
        return round(num / den, SCORE_DECIMALS) if den else 0.0


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
    unmet: str | None = None  # None | "no_eligible" | "topic_missed" | "none_relevant"
