"""Relevance of one pair: the components and their weighted blend, in plain Python."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from matchmaking.engine.profiles import _HYBRID
from matchmaking.engine.profiles import ANY_MODE
from matchmaking.engine.profiles import DEFAULT_CONFIG
from matchmaking.engine.profiles import Components
from matchmaking.engine.profiles import MatchingConfig
from matchmaking.engine.profiles import NeedFeatures
from matchmaking.engine.profiles import NeedProfile
from matchmaking.engine.profiles import ProgrammeFeatures
from matchmaking.engine.profiles import ProgrammeProfile


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
        reach=1.0 if programme.targeted else 0.0,
    )


def _delivery(wanted: frozenset[str], offered: frozenset[str]) -> float:
    """1 if a mode is shared (or any fits), 0.5 if only hybrid bridges them, else 0."""
    if wanted & offered or ANY_MODE in offered:
        return 1.0
    if offered and _HYBRID in wanted | offered:
        return 0.5
    return 0.0


def _coverage(wanted: Mapping[str, float], offered: frozenset[str]) -> float | None:
    if not wanted:
        return None
    return sum(w for s, w in wanted.items() if s in offered) / sum(wanted.values())
