"""Normalising and tokenising text, and telling its language (script and cues)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from functools import lru_cache

from matchmaking.engine.text import LANGUAGES
from matchmaking.engine.text import LEXICON_DIR
from matchmaking.engine.text.han import _HAN_CHAR
from matchmaking.engine.text.han import _SCRIPT_RUNS
from matchmaking.engine.text.han import _segment_han

_LATIN = ("en", "fr", "es", "pt")
# Function words that tell the Latin-script languages apart (shared ones omitted).
_LANGUAGE_CUES = {
    "en": frozenset(
        [
            "the",
            "and",
            "of",
            "to",
            "for",
            "with",
            "is",
            "are",
            "on",
            "by",
            "this",
            "that",
            "from",
            "which",
        ]
    ),
    "fr": frozenset(
        [
            "le",
            "les",
            "des",
            "du",
            "et",
            "pour",
            "dans",
            "sur",
            "avec",
            "aux",
            "est",
            "une",
            "au",
            "ces",
            "qui",
        ]
    ),
    "es": frozenset(
        [
            "el",
            "los",
            "las",
            "del",
            "y",
            "para",
            "con",
            "por",
            "una",
            "en",
            "se",
            "al",
            "su",
            "sus",
            "que",
        ]
    ),
    "pt": frozenset(
        [
            "os",
            "do",
            "da",
            "dos",
            "das",
            "para",
            "com",
            "por",
            "uma",
            "em",
            "no",
            "na",
            "ao",
            "não",
            "são",
        ]
    ),
}
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
# Marks a word may carry that are not letters, so that the token pattern would
# cut the word at them: Arabic vowel signs, shadda and sukun (written now and
# then, "تصيّد" for "تصيد"), Quranic annotation signs, and combining accents
# left after NFC composition (a stress mark on a Russian vowel). They never change
# which word it is; they are dropped before tokenising. So is the alef that
# carries the tanween of the indefinite accusative ("تدريباً", training): it is
# not part of the word, which the stemmer would not find otherwise.
_WORD_MARKS = re.compile("[\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_TANWEEN_ALEF = re.compile("\u0627\u064b|\u064b\u0627")
# What the analysis reads, so that its cost is bounded whatever a text holds:
# the first MAX_ANALYSED_CHARS characters of a text (the longest field a record
# may have, see the text limits in docs/data.md), and the first MAX_TOKEN_CHARS
# characters of a word (no real word is longer; stemming cost grows with it).
MAX_ANALYSED_CHARS = 10_000
MAX_TOKEN_CHARS = 64


def _cut(tokens: list[str]) -> list[str]:
    if not tokens or max(map(len, tokens)) <= MAX_TOKEN_CHARS:
        return tokens
    return [t[:MAX_TOKEN_CHARS] for t in tokens]


def _words(text: str) -> tuple[str, list[str]]:
    text = _TANWEEN_ALEF.sub("", unicodedata.normalize("NFC", text).casefold())
    return text, _TOKEN.findall(_WORD_MARKS.sub("", text))


def words(text: str) -> list[str]:
    """The lower-cased words (runs of letters and digits) of a text.

    The one rule of what a word is, shared by the engine (:func:`tokenize`)
    and the catalogue search (``matchmaking/search.py``): NFC, case folded,
    the marks of ``_WORD_MARKS`` and a tanween alef dropped first, so that a
    vowel sign, shadda or stress mark never cuts a word in two. A run of
    Chinese characters stays one word here. Only the first
    ``MAX_ANALYSED_CHARS`` characters are read.
    """
    return _words(text[:MAX_ANALYSED_CHARS])[1]


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens (letters and digits) of a text.

    Words as :func:`words` reads them; a run of Chinese characters gives the
    lexicon's Chinese terms found in it, then character pairs of what no term
    covers (see :func:`_segment_han`). Only the first ``MAX_ANALYSED_CHARS``
    characters are read, and a word is cut after ``MAX_TOKEN_CHARS``
    characters.
    """
    text, tokens = _words(text[:MAX_ANALYSED_CHARS])
    if not _HAN_CHAR.search(text):
        return _cut(tokens)
    out: list[str] = []
    for token in tokens:
        if not _HAN_CHAR.search(token):
            out.append(token[:MAX_TOKEN_CHARS])
            continue
        for run in _SCRIPT_RUNS.findall(token):
            if _HAN_CHAR.match(run):
                out.extend(_segment_han(run))
            else:
                out.append(run[:MAX_TOKEN_CHARS])
    return out


_ARABIC_CHAR = re.compile("[\u0600-\u06ff]")
_CYRILLIC_CHAR = re.compile("[\u0400-\u04ff]")
_LATIN_CHAR = re.compile("[a-zA-Z\u00c0-\u024f]")


def detect_language(text: str) -> str:
    """The language a text is most likely written in ("en" when it cannot tell).

    By script first (Chinese, Arabic, Russian), then, for Latin script, by the
    function-word cues that also pick the stemmer (en, fr, es, pt).
    """
    text = text[:MAX_ANALYSED_CHARS]
    counts = {
        "zh": len(_HAN_CHAR.findall(text)) * 2,  # a Han character is about a word
        "ar": len(_ARABIC_CHAR.findall(text)),
        "ru": len(_CYRILLIC_CHAR.findall(text)),
        "latin": len(_LATIN_CHAR.findall(text)),
    }
    script = max(counts, key=lambda k: counts[k])
    if counts[script] == 0:
        return "en"
    if script != "latin":
        return script
    latin = latin_languages(_TOKEN.findall(text.casefold()))
    return latin[-1] if len(latin) <= 2 else "en"


@lru_cache(maxsize=500_000)
def _script(token: str) -> str:
    for char in token:
        if _HAN_CHAR.match(char):
            return "zh"
        if "\u0600" <= char <= "\u06ff":
            return "ar"
        if "\u0400" <= char <= "\u04ff":
            return "ru"
        if char.isalpha():
            return "latin"
    return "latin"


def _cue_holders() -> dict[str, tuple[str, ...]]:
    if not _CUE_HOLDERS:
        for lang, cues in _LANGUAGE_CUES.items():
            for cue in cues:
                _CUE_HOLDERS[cue] = (*_CUE_HOLDERS.get(cue, ()), lang)
    return _CUE_HOLDERS


def _cue_hits(tokens: Iterable[str]) -> list[tuple[str, ...]]:
    """The holders of each language cue among the tokens, in token order."""
    holders = _cue_holders()
    return [holders[t] for t in tokens if t in holders]


def _cue_scores(hits: Iterable[tuple[str, ...]]) -> tuple[float, ...]:
    """Each Latin language's share of the cues (a cue shared by n counts 1/n)."""
    scores = dict.fromkeys(_LATIN, 0.0)
    for holders in hits:
        for lang in holders:
            scores[lang] += 1.0 / len(holders)
    return tuple(scores.values())


def _latin_from_scores(scores: tuple[float, ...]) -> tuple[str, ...]:
    ranked = sorted(range(len(_LATIN)), key=lambda k: (-scores[k], k))
    best, second = scores[ranked[0]], scores[ranked[1]]
    if best < 2 or best < 1.5 * second:
        return _LATIN
    return tuple(dict.fromkeys(("en", _LATIN[ranked[0]])))


def _latin_from_hits(hits: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    return _latin_from_scores(_cue_scores(hits))


@cache
def _exact_cue_sums() -> bool:
    """Whether cue scores add up exactly in any order (shares 1, 1/2 or 1/4)."""
    return all(len(holders) in (1, 2, 4) for holders in _cue_holders().values())


def latin_languages(tokens: list[str]) -> tuple[str, ...]:
    """The Latin-script languages to stem a text as: English plus the one it is in."""
    return _latin_from_hits(_cue_hits(tokens))


_CUE_HOLDERS: dict[str, tuple[str, ...]] = {}


@cache
def stopwords() -> dict[str, frozenset[str]]:
    """Function words per language, as shipped in the lexicon folder."""
    raw = json.loads((LEXICON_DIR / "stopwords.json").read_text(encoding="utf-8"))
    return {lang: frozenset(tokenize(" ".join(raw[lang]))) for lang in LANGUAGES}
