"""Dataset <-> engine adapters for offline evaluation (no database).

Turns a ``cbm-dataset/1`` dict into the engine's profiles and the engine's
results into a ``cbm-ranking/1`` dict, so that a dataset can be ranked and
scored without touching the configured database.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from datetime import date
from typing import Any

from matchmaking import engine
from matchmaking.reference import CountryRow
from matchmaking.reference import load_countries
from matchmaking.reference import topic_themes

DEFAULT_TODAY = date(2026, 6, 1)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _set(values: Any) -> frozenset[str]:
    return frozenset(values or ())


def programme_profile(raw: Mapping[str, Any]) -> engine.ProgrammeProfile:
    """A dataset programme as a ProgrammeProfile (datasets hold published ones)."""
    rule = raw.get("eligibility") or {}
    return engine.ProgrammeProfile(
        key=raw["ref"],
        languages=_set(raw.get("languages")),
        topics=_set(raw.get("topics")),
        assistance_types=_set(raw.get("assistance_types")),
        audiences=_set(raw.get("audiences")),
        delivery_modes=_set(raw.get("delivery_modes")),
        regions=_set(rule.get("regions")),
        countries=_set(rule.get("countries")),
        ldc_only=bool(rule.get("ldc_only")),
        sids_only=bool(rule.get("sids_only")),
        is_published=True,
        starts_on=_date(raw.get("starts_on")),
        ends_on=_date(raw.get("ends_on")),
        capacity=raw.get("capacity"),
        capacity_used=0,
        title=raw.get("title") or "",
        summary=raw.get("summary") or "",
        description=raw.get("description") or "",
    )


def need_profile(
    raw: Mapping[str, Any], countries: Mapping[str, CountryRow]
) -> engine.NeedProfile:
    """A dataset need as a NeedProfile, with its country's M49 facts."""
    country = countries.get(raw["country"])
    return engine.NeedProfile(
        key=raw["ref"],
        country=raw["country"],
        languages=_set(raw.get("languages")),
        country_regions=country.region_codes if country else frozenset(),
        is_ldc=bool(country and country.is_ldc),
        is_sids=bool(country and country.is_sids),
        topics=_set(raw.get("topics")),
        assistance_types=_set(raw.get("assistance_types")),
        audiences=_set(raw.get("audiences")),
        delivery_modes=_set(raw.get("delivery_modes")),
        title=raw.get("title") or "",
        summary=raw.get("summary") or "",
        description=raw.get("description") or "",
    )


def dataset_profiles(
    dataset: Mapping[str, Any],
) -> tuple[list[engine.NeedProfile], list[engine.ProgrammeProfile]]:
    """Needs and programmes of a cbm-dataset/1 dict, in file order."""
    countries = load_countries()
    needs = [need_profile(n, countries) for n in dataset.get("needs", [])]
    programmes = [programme_profile(p) for p in dataset.get("programmes", [])]
    return needs, programmes


def rank_dataset(
    dataset: Mapping[str, Any],
    *,
    today: date = DEFAULT_TODAY,
    top: int = 10,
    config: engine.MatchingConfig = engine.DEFAULT_CONFIG,
) -> list[engine.NeedResult]:
    """Rank every need of a dataset against its programmes."""
    needs, programmes = dataset_profiles(dataset)
    index = engine.build_index(programmes, topic_themes=topic_themes(), config=config)
    return index.rank_needs(needs, today=today, top=top, explain=False)


def ranking_document(results: Sequence[engine.NeedResult]) -> dict[str, Any]:
    """The cbm-ranking/1 dict of a list of need results."""
    return {
        "format": "cbm-ranking/1",
        "rankings": {
            r.need: [{"programme": m.programme, "score": m.score} for m in r.matches]
            for r in results
        },
        "unmet": [r.need for r in results if r.unmet],
    }
