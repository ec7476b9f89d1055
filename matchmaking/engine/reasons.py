"""Reasons as codes with parameters (rendered in a language outside the engine): why a
pair was matched, why a need is unmet.
"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from matchmaking.engine.eligibility import _geography
from matchmaking.engine.profiles import NeedFeatures
from matchmaking.engine.profiles import NeedProfile
from matchmaking.engine.profiles import NeedResult
from matchmaking.engine.profiles import ProgrammeFeatures
from matchmaking.engine.profiles import ProgrammeProfile
from matchmaking.engine.profiles import Reason

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
        _programme_facts(programme, programme_features, topic_themes),
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
    concepts: Mapping[str, float]


def _text_concepts(concepts: Mapping[str, float]) -> dict[str, float]:
    """The concepts an explanation may name: "topic:..." dimensions carry
    implied topics into the text vector, and the topic reasons already say
    those in words."""
    return {c: w for c, w in concepts.items() if not c.startswith(_TOPIC_DIMENSION)}


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
        concepts=_text_concepts(features.concepts),
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
    concepts: Mapping[str, float]


def _programme_facts(
    programme: ProgrammeProfile,
    features: ProgrammeFeatures,
    topic_themes: Mapping[str, str],
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
        concepts=_text_concepts(features.concepts),
    )


_REASON_CACHE_LIMIT = 200_000


_NONE: Any = object()


def _shared_reason(
    cache: dict[tuple[Any, ...], Any],
    slot: int,
    code: str,
    argument: str,
    asked: Collection[str],
    offered: Sequence[str],
) -> Reason | None:
    """The reason naming the values both sides share (in the programme's order).

    None when they share none; made once per distinct pair of values.
    """
    key = (slot, asked, offered)
    found = cache.get(key, _NONE)
    if found is _NONE:
        shared = tuple([value for value in offered if value in asked])
        found = cache[key] = Reason(code, {argument: shared}) if shared else None
    reason: Reason | None = found
    return reason


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
    # The facts' concepts leave out the "topic:..." dimensions (see
    # _text_concepts), filtered once per record instead of once per pair.
    offered = pf.concepts
    wanted = nf.concepts
    contributions = sorted(
        [(-(wanted[c] * offered[c]), c) for c in wanted.keys() & offered.keys()]
    )
    if contributions:
        # Shared like the others: the same few concepts name many pairs, and
        # the store encodes each distinct reason object once.
        key = (6, *[c for _, c in contributions[:_MAX_CONCEPTS]])
        named = cache.get(key)
        if named is None:
            named = cache[key] = Reason("shared_concepts", {"concepts": key[1:]})
        reasons.append(named)
    for slot, code, argument, asked, offered_values in (
        (1, "assistance", "assistance_types", nf.assistance_types, pf.assistance_types),
        (2, "audience", "audiences", nf.audiences, pf.audiences),
        (4, "delivery", "modes", need.delivery_modes, pf.delivery_modes),
        (5, "language", "languages", need.languages, pf.languages),
    ):
        found = _shared_reason(cache, slot, code, argument, asked, offered_values)
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


def unmet_reason(result: NeedResult) -> Reason | None:
    """The unmet reason of a need result as a renderable :class:`Reason`."""
    return Reason(result.unmet) if result.unmet else None
