"""How a text is read: its channels (a language, or any) and the window of a term."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from matchmaking.engine.text import LANGUAGES
from matchmaking.engine.text.tokens import _LATIN

# A term of n words matches when its stems all fall within n + WINDOW_SLACK
# consecutive content words, so "response to computer incidents" still matches
# "incident response".
WINDOW_SLACK = 1
_OTHER_SCRIPTS = ("ar", "ru")
_IN_LATIN, _IN_OTHER, _IN_ANY = 0, 1, 2
_KINDS = {
    **dict.fromkeys(_LATIN, _IN_LATIN),
    **dict.fromkeys(_OTHER_SCRIPTS, _IN_OTHER),
    "any": _IN_ANY,
}


@cache
def _channels(latin: tuple[str, ...]) -> tuple[str, ...]:
    return (*(lang for lang in LANGUAGES if lang not in _LATIN or lang in latin), "any")


def _windows(
    stems: tuple[str, ...],
    positions: Mapping[str, list[int]],
    *,
    compound: bool = False,
) -> list[tuple[int, int]]:
    """Start/end sequence positions where all stems fall within a short window.

    A compound's stems are consecutive content words, in order.
    """
    for s in stems:
        if s not in positions:
            return []
    if len(stems) == 1:
        return [(p, p) for p in positions[stems[0]]]
    if compound:
        return [
            (p, p + len(stems) - 1)
            for p in positions[stems[0]]
            if all(p + j in positions[s] for j, s in enumerate(stems[1:], 1))
        ]
    width = len(stems) + WINDOW_SLACK
    others = [positions[s] for s in stems[1:]]
    found = []
    for anchor in positions[stems[0]]:
        low, high = anchor, anchor
        for candidates in others:
            near = [p for p in candidates if abs(p - anchor) < width]
            if not near:
                break
            closest = min(near, key=lambda p: (abs(p - anchor), p))
            low, high = min(low, closest), max(high, closest)
        else:
            if high - low < width:
                found.append((low, high))
    return found


def _merged_count(spans: list[tuple[int, int]]) -> int:
    """How many separate mentions a set of possibly overlapping spans makes."""
    count, reach = 0, -1
    for start, end in sorted(spans):
        if start > reach:
            count += 1
        reach = max(reach, end)
    return count
