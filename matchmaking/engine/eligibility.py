"""The hard rules: which programmes a need may be matched with, and why not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from matchmaking.engine.profiles import NeedProfile
from matchmaking.engine.profiles import ProgrammeProfile
from matchmaking.engine.profiles import Reason

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


_RULE_REASON = {
    RULE_GEOGRAPHY: "not_in_area",
    RULE_LDC_ONLY: "ldc_only",
    RULE_SIDS_ONLY: "sids_only",
    RULE_LANGUAGE: "no_shared_language",
    RULE_ENDED: "ended",
    RULE_UNPUBLISHED: "unpublished",
    RULE_CAPACITY: "capacity_full",
}


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
        elif rule == RULE_ENDED and programme.ends_on is not None:
            params = {"ends_on": programme.ends_on.isoformat()}
        reasons.append(Reason(_RULE_REASON[rule], params))
    return tuple(reasons)
