"""The pitch scheduler: pure functions over frozen dataclasses (no ORM, no I/O).

Accepted pitches go into the matchmaking session one after another in fixed
slots (3 minutes plus a changeover), grouped by theme so the audience hears
related offers together. The plan never runs past the session's end; pitches
that do not fit are reported as overflow, never dropped silently. When not all
fit, themes take turns (best-reviewed pitch first within a theme), so one
crowded theme cannot push every other theme off the agenda.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_SLOT_SECONDS = 180
DEFAULT_CHANGEOVER_SECONDS = 60
NO_THEME = ""


@dataclass(frozen=True)
class PitchItem:
    """A pitch to place: its id, theme, and how well curators rated it."""

    pitch_id: int
    theme: str = NO_THEME
    score: float = 0.0


@dataclass(frozen=True)
class Placement:
    """Where a pitch goes."""

    pitch_id: int
    theme: str
    starts_at: dt.datetime
    ends_at: dt.datetime


@dataclass(frozen=True)
class SchedulePlan:
    """Placements in time order, and the pitches that did not fit."""

    placements: tuple[Placement, ...]
    overflow: tuple[int, ...]

    @property
    def placed_ids(self) -> tuple[int, ...]:
        return tuple(p.pitch_id for p in self.placements)


def slot_times(
    *,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    slot_seconds: int = DEFAULT_SLOT_SECONDS,
    changeover_seconds: int = DEFAULT_CHANGEOVER_SECONDS,
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Every slot that fits between start and end (no changeover after the last)."""
    if slot_seconds <= 0 or changeover_seconds < 0:
        raise ValueError("slot length must be positive and changeover not negative")
    length = dt.timedelta(seconds=slot_seconds)
    step = dt.timedelta(seconds=slot_seconds + changeover_seconds)
    slots = []
    start = starts_at
    while start + length <= ends_at:
        slots.append((start, start + length))
        start += step
    return slots


def _select(
    items: Sequence[PitchItem], capacity: int, theme_rank: dict[str, int]
) -> tuple[list[PitchItem], list[PitchItem]]:
    """Themes take turns picking their best pitch until the slots run out."""
    by_theme: dict[str, list[PitchItem]] = defaultdict(list)
    for item in items:
        by_theme[item.theme].append(item)
    for queue in by_theme.values():
        queue.sort(key=lambda i: (-i.score, i.pitch_id))
    themes = sorted(by_theme, key=lambda t: (theme_rank.get(t, len(theme_rank)), t))
    chosen: list[PitchItem] = []
    turn = 0
    while len(chosen) < capacity and any(by_theme[t] for t in themes):
        theme = themes[turn % len(themes)]
        if by_theme[theme]:
            chosen.append(by_theme[theme].pop(0))
        turn += 1
    left = [item for t in themes for item in by_theme[t]]
    return chosen, left


def plan_schedule(
    items: Iterable[PitchItem],
    *,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    slot_seconds: int = DEFAULT_SLOT_SECONDS,
    changeover_seconds: int = DEFAULT_CHANGEOVER_SECONDS,
    theme_order: Sequence[str] = (),
) -> SchedulePlan:
    """Place pitches into the session, grouped by theme, reporting overflow.

    Each pitch id is placed at most once (a repeated id is ignored). Themes
    appear in ``theme_order`` (others after, by name; pitches without a theme
    last); within a theme, the best-scored pitch comes first.
    """
    unique: dict[int, PitchItem] = {}
    for item in items:
        unique.setdefault(item.pitch_id, item)
    times = slot_times(
        starts_at=starts_at,
        ends_at=ends_at,
        slot_seconds=slot_seconds,
        changeover_seconds=changeover_seconds,
    )
    theme_rank = {theme: i for i, theme in enumerate(theme_order)}
    theme_rank.setdefault(NO_THEME, len(theme_order) + 1)
    chosen, left = _select(list(unique.values()), len(times), theme_rank)
    chosen.sort(
        key=lambda i: (
            theme_rank.get(i.theme, len(theme_order)),
            i.theme,
            -i.score,
            i.pitch_id,
        )
    )
    placements = tuple(
        Placement(
            pitch_id=item.pitch_id, theme=item.theme, starts_at=start, ends_at=end
        )
        for item, (start, end) in zip(chosen, times, strict=False)
    )
    overflow = tuple(sorted(i.pitch_id for i in left))
    return SchedulePlan(placements=placements, overflow=overflow)


def dominant_theme(themes: Iterable[str], theme_order: Sequence[str] = ()) -> str:
    """The theme most of a pitch's topics belong to (ties: earlier in the order)."""
    counts: dict[str, int] = defaultdict(int)
    for theme in themes:
        counts[theme] += 1
    if not counts:
        return NO_THEME
    rank = {theme: i for i, theme in enumerate(theme_order)}
    return min(counts, key=lambda t: (-counts[t], rank.get(t, len(rank)), t))


def move(order: Sequence[int], *, pitch_id: int, position: int) -> list[int]:
    """The running order with one pitch moved to a position (0-based, clamped)."""
    if pitch_id not in order:
        raise ValueError(f"pitch {pitch_id} is not in the running order")
    rest = [p for p in order if p != pitch_id]
    position = max(0, min(position, len(rest)))
    return [*rest[:position], pitch_id, *rest[position:]]
