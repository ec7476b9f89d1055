"""Chinese: a run of Han characters split into lexicon terms and character pairs."""

from __future__ import annotations

import json
import re
from functools import cache
from functools import lru_cache

from matchmaking.engine.text import LEXICON_DIR

# Chinese is written without spaces: a run of Han characters is not split into
# words but searched for the lexicon's Chinese terms (see _segment_han).
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_CHAR = re.compile(f"[{_HAN}]")
_SCRIPT_RUNS = re.compile(f"[{_HAN}]+|[^\\W_{_HAN}]+")


@cache
def _han_terms() -> dict[str, tuple[tuple[str, frozenset[str]], ...]]:
    """The shipped lexicon's Chinese terms by first character, longest first."""
    raw = json.loads((LEXICON_DIR / "concepts.json").read_text(encoding="utf-8"))
    concepts_of: dict[str, set[str]] = {}
    for concept in raw["concepts"]:
        for form in concept["terms"].get("zh", ()):
            term = "".join(form.split())
            concepts_of.setdefault(term, set()).add(concept["id"])
    by_first: dict[str, list[tuple[str, frozenset[str]]]] = {}
    for term, ids in concepts_of.items():
        by_first.setdefault(term[0], []).append((term, frozenset(ids)))
    return {
        first: tuple(sorted(terms, key=lambda t: (-len(t[0]), t[0])))
        for first, terms in by_first.items()
    }


@lru_cache(maxsize=100_000)
def _segment_han(run: str) -> tuple[str, ...]:
    """The tokens of a run of Chinese characters.

    Every occurrence of a lexicon term, in text order (terms nested in one
    another both count, as overlapping English terms do), except a term inside
    a longer one of the same concept ("网络安全" inside "网络安全战略" is one
    mention); then the character pairs of the stretches no term covers, so
    that Chinese texts still share word features with each other.
    """
    terms = _han_terms()
    longest = _longest_han_term()
    found: list[tuple[int, int, str, frozenset[str]]] = []
    for start, char in enumerate(run):
        for term, concepts in terms.get(char, ()):
            if run.startswith(term, start):
                end = start + len(term)
                if not _inside_found(found, start, end, concepts, longest):
                    found.append((start, end, term, concepts))
    covered = [False] * len(run)
    for start, end, _, _ in found:
        covered[start:end] = [True] * (end - start)
    out = [term for _, _, term, _ in found]
    i, size = 0, len(run)
    while i < size:
        if covered[i]:
            i += 1
            continue
        j = i
        while j < size and not covered[j]:
            j += 1
        out.extend(run[k : k + 2] for k in range(i, j - 1))
        i = j
    return tuple(out)


@cache
def _longest_han_term() -> int:
    return max((len(t) for ts in _han_terms().values() for t, _ in ts), default=0)


def _inside_found(
    found: list[tuple[int, int, str, frozenset[str]]],
    start: int,
    end: int,
    concepts: frozenset[str],
    longest: int,
) -> bool:
    """Whether a found term of a shared concept covers ``start:end``.

    ``found`` is in start order and no term is longer than ``longest``, so
    only the last terms starting at most ``longest`` before can cover it: the
    look-back is bounded, and segmenting a run takes time linear in its length.
    """
    for s, e, _, c in reversed(found):
        if s < end - longest:
            return False
        if s <= start and end <= e and concepts & c:
            return True
    return False
