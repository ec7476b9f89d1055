"""Multilingual text analysis for matching: a domain lexicon plus stemming.

Needs arrive in any of the six working languages (en, fr, es, pt, ar, ru) and
programmes are mostly English, so word overlap alone cannot relate "équipe
nationale de réponse aux incidents" to "national CSIRT". The lexicon in
``engine/lexicon/concepts.json`` lists general cyber capacity-building concepts with
their surface forms in each language and what each concept implies in the
taxonomy (topics, audiences, assistance types). A text is tokenised, every
Latin-script token is stemmed with the English, French, Spanish and Portuguese
Snowball stemmers (Cyrillic with Russian, Arabic script with a light Arabic
stemmer), stop words are dropped, and each language's terms are looked up in that
language's stem sequence: a term matches when all its stems occur, in any order,
within a short window. Latin-script text is stemmed as English plus the language
its function words point to (all four when they do not tell), so that one
language's stem cannot collide with another's (pt "equipa" vs fr "équipement").
A need written in one language matches a programme written in another through
the shared concept ids.

Everything here is deterministic and offline; the lexicon files are read once.

Speed (a full rematch analyses every record): what a token brings to each
reading (its keys, stems and word feature) and what a text gives (tokens,
language cues, concept counts, word features) are memoised, with bounds; many
records at once (:meth:`Lexicon.profiles`) have their texts scanned together
with numpy (:class:`_BatchScanner`, same results as the per-text scan) and, for
large inputs, split between this process and forked worker processes.
:class:`TextProfile` converts to and from a plain JSON-able dict and
:attr:`Lexicon.fingerprint` identifies the lexicon and analysis version, so
callers can cache profiles.
"""

from __future__ import annotations

import hashlib
import json
import math
import multiprocessing
import os
import pickle
import re
import threading
import unicodedata
import warnings
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import chain, compress, count
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
import snowballstemmer

LEXICON_DIR = Path(__file__).resolve().parent / "lexicon"
LANGUAGES = ("en", "fr", "es", "pt", "ar", "ru")
_LATIN = ("en", "fr", "es", "pt")
_SNOWBALL = {
    "en": "english",
    "fr": "french",
    "es": "spanish",
    "pt": "portuguese",
    "ru": "russian",
}
# Field weights when a record's text is analysed: the title states the gist, the
# summary restates it, the description adds context and incidental words.
FIELD_WEIGHTS = (("title", 2.0), ("summary", 1.5), ("description", 1.0))
# A term of n words matches when its stems all fall within n + WINDOW_SLACK
# consecutive content words, so "response to computer incidents" still matches
# "incident response".
WINDOW_SLACK = 1

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
_ARABIC_DIACRITICS = re.compile(r"[\u064B-\u0652\u0640\u0670]")


# Chinese is written without spaces: a run of Han characters is not split into
# words but searched for the lexicon's Chinese terms (see _segment_han).
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_CHAR = re.compile(f"[{_HAN}]")
_SCRIPT_RUNS = re.compile(f"[{_HAN}]+|[^\\W_{_HAN}]+")


# What the analysis reads, so that its cost is bounded whatever a text holds:
# the first MAX_ANALYSED_CHARS characters of a text (the longest field a record
# may have, see the text limits in the README), and the first MAX_TOKEN_CHARS
# characters of a word (no real word is longer; stemming cost grows with it).
MAX_ANALYSED_CHARS = 10_000
MAX_TOKEN_CHARS = 64


def _cut(tokens: list[str]) -> list[str]:
    if not tokens or max(map(len, tokens)) <= MAX_TOKEN_CHARS:
        return tokens
    return [t[:MAX_TOKEN_CHARS] for t in tokens]


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens (letters and digits) of a text.

    A run of Chinese characters gives the lexicon's Chinese terms found in it,
    then character pairs of what no term covers (see :func:`_segment_han`).
    Only the first ``MAX_ANALYSED_CHARS`` characters are read, and a word is
    cut after ``MAX_TOKEN_CHARS`` characters.
    """
    text = text[:MAX_ANALYSED_CHARS]
    tokens = _TOKEN.findall(unicodedata.normalize("NFC", text).casefold())
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


def _fold_accents(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Arabic and Cyrillic letters below are meant (ruff's RUF001 flags look-alikes).
_AR_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")
_AR_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ية", "ه", "ة", "ي")  # noqa: RUF001 (Arabic/Cyrillic letters)


def _arabic_light_stem(word: str) -> str:
    """Light10-style Arabic stemmer (Larkey et al.): strip و, articles, suffixes."""
    word = _ARABIC_DIACRITICS.sub("", word)
    word = re.sub("[أإآ]", "ا", word).replace("ى", "ي").replace("ؤ", "و")  # noqa: RUF001 (Arabic/Cyrillic letters)
    if len(word) >= 4 and word.startswith("و"):
        word = word[1:]
    for prefix in _AR_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            word = word[len(prefix) :]
            break
    else:
        if len(word) >= 4 and word[0] in "بلكف":
            word = word[1:]
    for suffix in _AR_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            word = word[: -len(suffix)]
    return word.replace("ة", "ه")  # noqa: RUF001 (Arabic/Cyrillic letters)


@lru_cache(maxsize=500_000)
def _normalise(language: str, token: str) -> str:
    """A token as matched by exact ('=') terms: accents folded, no stemming."""
    if language == "ar":
        token = _ARABIC_DIACRITICS.sub("", token)
        return re.sub("[أإآ]", "ا", token).replace("ى", "ي").replace("ة", "ه")  # noqa: RUF001 (Arabic/Cyrillic letters)
    if language == "ru":
        return token.replace("ё", "е")  # noqa: RUF001 (Arabic/Cyrillic letters)
    return _fold_accents(token)


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


@lru_cache(maxsize=500_000)
def _forms(language: str, token: str) -> tuple[str, str]:
    """(stem, "=" + exact form) of a token in a language."""
    return stem(language, token), "=" + _normalise(language, token)


_CUE_HOLDERS: dict[str, tuple[str, ...]] = {}


@cache
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(_SNOWBALL[language])


@lru_cache(maxsize=500_000)
def stem(language: str, token: str) -> str:
    """The normalised stem of one lower-case token in one language."""
    if language == "ar":
        return _arabic_light_stem(token)
    stemmed = _stemmer(language).stemWord(token)
    if language == "ru":
        return stemmed.replace("ё", "е")  # noqa: RUF001 (Arabic/Cyrillic letters)
    return _fold_accents(stemmed)


def _acronym_key(token: str) -> str:
    if len(token) > 3 and token.endswith("s"):
        token = token[:-1]
    return token


@cache
def stopwords() -> dict[str, frozenset[str]]:
    """Function words per language, as shipped in the lexicon folder."""
    raw = json.loads((LEXICON_DIR / "stopwords.json").read_text(encoding="utf-8"))
    return {lang: frozenset(tokenize(" ".join(raw[lang]))) for lang in LANGUAGES}


@dataclass(frozen=True)
class Concept:
    """One lexicon concept and what it implies in the taxonomy."""

    id: str
    label: str
    labels: Mapping[str, str]
    topics: Mapping[str, float]
    audiences: Mapping[str, float]
    assistance_types: Mapping[str, float]


PROFILE_FIELDS = ("concepts", "topics", "audiences", "assistance_types", "words")
# Part of Lexicon.fingerprint: bump it whenever a change to the analysis code
# alters profiles, so that profiles cached by callers are recomputed.
ANALYSIS_VERSION = 3


@dataclass(frozen=True)
class TextProfile:
    """What a record's text says: weighted concept mentions and implied tags."""

    concepts: Mapping[str, float]
    topics: Mapping[str, float]
    audiences: Mapping[str, float]
    assistance_types: Mapping[str, float]
    words: Mapping[str, float]

    def to_dict(self) -> dict[str, dict[str, float]]:
        """A plain JSON-able dict of the profile (see :meth:`from_dict`)."""
        return {name: dict(getattr(self, name)) for name in PROFILE_FIELDS}

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, float]]) -> TextProfile:
        """The profile that :meth:`to_dict` gave, e.g. after a JSON round trip."""
        return cls(
            **{
                name: {str(k): float(v) for k, v in data[name].items()}
                for name in PROFILE_FIELDS
            }
        )


# What the analysis remembers between texts (all per process, all bounded):
# per reading (Latin languages) and token, what the token brings (its row); per
# text, its tokens and language cues; per (text, reading), its concept counts
# and word features, so repeated titles and summaries are analysed once.
_MISSING: Any = object()
_TOKEN_MEMO_LIMIT = 500_000
_TEXT_MEMO_LIMIT = 50_000
# A token's row for a reading: (hits, word feature, *one flag per channel).
_Row = tuple[Any, ...]
_HITS_OF = itemgetter(0)
_FEATURE_OF = itemgetter(1)
_OTHER_SCRIPTS = ("ar", "ru")
_IMPLIED_KINDS = ("topics", "audiences", "assistance_types")
# A parsed text: tokens, language cue holders, cue scores, own reading.
_Parsed = tuple[
    list[str], tuple[tuple[str, ...], ...], tuple[float, ...], tuple[str, ...]
]
# Word counts times a field weight equal repeated additions of the weight when
# the weights are multiples of 1/64 (all values stay exact binary fractions).
_EXACT_WEIGHTS = all((w * 64).is_integer() for _, w in FIELD_WEIGHTS)
_IN_LATIN, _IN_OTHER, _IN_ANY = 0, 1, 2
_KINDS = {
    **dict.fromkeys(_LATIN, _IN_LATIN),
    **dict.fromkeys(_OTHER_SCRIPTS, _IN_OTHER),
    "any": _IN_ANY,
}
# Analysing many records is spread over worker processes from this many on.
PARALLEL_MIN_RECORDS = 2_000
MAX_WORKERS = 4
# Records whose texts are scanned together (numpy), and the fewest texts worth
# a batch scan.
_BATCH_RECORDS = 1_000
_BATCH_MIN = 32


@cache
def _channels(latin: tuple[str, ...]) -> tuple[str, ...]:
    return (*(lang for lang in LANGUAGES if lang not in _LATIN or lang in latin), "any")


def _memo_put(memo: dict, key: Any, value: Any, limit: int) -> None:
    if len(memo) >= limit:
        memo.clear()
    memo[key] = value


class Lexicon:
    """Compiled multilingual concept lexicon; build once, share read-only.

    The lexicon memoises token and text analyses (bounded, per process); the
    memos are not pickled, so a lexicon sent to a worker process starts empty.
    """

    def __init__(self, concepts: Iterable[Mapping]) -> None:
        concepts = list(concepts)
        self.concepts: tuple[Concept, ...] = ()
        built: list[Concept] = []
        # channel -> first stem -> [(stems, concept index)]
        self._terms: dict[str, dict[str, list[tuple[tuple[str, ...], int]]]] = {
            channel: {} for channel in (*LANGUAGES, "any")
        }
        stops = stopwords()
        for index, raw in enumerate(concepts):
            terms = raw["terms"]
            labels = {
                lang: terms[lang][0].replace("=", "")
                for lang in (*LANGUAGES, "zh")
                if terms.get(lang)
            }
            built.append(
                Concept(
                    id=raw["id"],
                    label=labels.get("en", raw["id"]),
                    labels=labels,
                    topics=dict(raw.get("topics", {})),
                    audiences=dict(raw.get("audiences", {})),
                    assistance_types=dict(raw.get("assistance_types", {})),
                )
            )
            for language, surface_forms in terms.items():
                # A Chinese term is one token of the text (tokenize finds it
                # in runs of Han characters): a key of the ``any`` channel.
                channel = "any" if language == "zh" else language
                for form in surface_forms:
                    if language == "zh":
                        stems: tuple[str, ...] = ("".join(form.split()),)
                    else:
                        stems = self._compile(channel, form, stops)
                    if stems:
                        bucket = self._terms[channel].setdefault(stems[0], [])
                        if (stems, index) not in bucket:
                            bucket.append((stems, index))
        self.concepts = tuple(built)
        self._concept_ids = [c.id for c in built]
        # Per concept: (kind, slug, strength) of what it implies, kind by kind
        # (0 topics, 1 audiences, 2 assistance types).
        self._implications = tuple(
            tuple(
                (kind, slug, strength)
                for kind, name in enumerate(_IMPLIED_KINDS)
                for slug, strength in getattr(concept, name).items()
            )
            for concept in self.concepts
        )
        self.index = {c.id: i for i, c in enumerate(self.concepts)}
        # Every stem or exact form a channel's terms use, to skip other words.
        self._keys = {
            channel: frozenset(
                k for terms in by_first.values() for t, _ in terms for k in t
            )
            for channel, by_first in self._terms.items()
        }
        # channel -> key -> [(stems, concept, other stems)]: the terms to try
        # when a text gives a key (the other stems must be present too).
        self._plans = {
            channel: {
                key: tuple((stems, concept, stems[1:]) for stems, concept in terms)
                for key, terms in by_first.items()
            }
            for channel, by_first in self._terms.items()
        }
        source = {
            "analysis": ANALYSIS_VERSION,
            "concepts": concepts,
            "stopwords": {lang: sorted(words) for lang, words in stops.items()},
        }
        digest = hashlib.sha256(
            json.dumps(source, sort_keys=True, ensure_ascii=False, default=list).encode(
                "utf-8"
            )
        )
        #: Identifies the lexicon and the analysis version: a key for caching
        #: profiles (a profile made under another fingerprint may differ).
        self.fingerprint = digest.hexdigest()[:16]
        self._reset_memos()

    def _reset_memos(self) -> None:
        self._rows: dict[tuple[str, ...], dict[str, _Row]] = {}
        self._texts: dict[str, _Parsed] = {}
        self._batch: _BatchScanner | bool | None = None
        # The batch scanner's tables grow in several steps: one scan at a time.
        self._batch_lock = threading.Lock()
        self._analyses: dict[
            tuple[str, tuple[str, ...]], tuple[dict[int, int], dict[str, int]]
        ] = {}

    def clear_memos(self) -> None:
        """Forget the memoised token and text analyses (results do not change)."""
        self._reset_memos()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        for name in ("_rows", "_texts", "_analyses", "_batch", "_batch_lock"):
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._reset_memos()

    @staticmethod
    def _compile(
        channel: str, form: str, stops: Mapping[str, frozenset[str]]
    ) -> tuple[str, ...]:
        tokens = tokenize(form)
        if channel == "any":
            return tuple(_acronym_key(t) for t in tokens)
        if form.startswith("="):
            return tuple(
                "=" + _normalise(channel, t) for t in tokens if t not in stops[channel]
            )
        return tuple(stem(channel, t) for t in tokens if t not in stops[channel])

    def match(self, text: str) -> dict[int, int]:
        """Count the mentions of each concept (by index) in one text."""
        tokens = tokenize(text)
        return self._match_tokens(tokens, latin_languages(tokens))

    def _token_keys_of(self, channel: str, token: str) -> tuple[str, ...] | None:
        """The lexicon keys a token gives in a channel; None: not a content word.

        A content word of a language channel is a token of the channel's script
        that is not one of its stop words; its keys are its stem and its exact
        ('=') form, as far as some term of the channel uses them. Every token
        is a content word of the language-independent ``any`` channel.
        """
        vocab = self._keys[channel]
        if channel == "any":
            key = _acronym_key(token)
            return (key,) if key in vocab else ()
        if (
            _script(token) != ("latin" if channel in _LATIN else channel)
            or token in stopwords()[channel]
        ):
            return None
        token_stem, exact = _forms(channel, token)
        return tuple(k for k in (token_stem, exact) if k in vocab)

    def _token_row(self, latin: tuple[str, ...], token: str) -> _Row:
        """What one token brings to a text read as ``latin`` (memoised).

        ``(hits, feature, *flags)``: ``hits`` lists (channel number, key, kind)
        for every lexicon key it gives, channel by channel; ``feature`` is its
        word feature or None (see :func:`word_features`); one flag per channel
        tells, for a Latin channel, that the token is *not* a content word of
        it, for an other-script channel, that it is one.
        """
        hits: list[tuple[int, str, int]] = []
        flags: list[bool] = []
        for number, channel in enumerate(_channels(latin)):
            keys = self._token_keys_of(channel, token)
            kind = _KINDS[channel]
            flags.append(keys is None if kind == _IN_LATIN else keys is not None)
            if keys:
                hits.extend((number, key, kind) for key in keys)
        feature = _word_feature(_own_language(latin), token)
        row = (tuple(hits), feature, *flags)
        _memo_put(self._rows.setdefault(latin, {}), token, row, _TOKEN_MEMO_LIMIT)
        return row

    def _scan(
        self, tokens: list[str], latin: tuple[str, ...]
    ) -> tuple[dict[int, int], list[str]]:
        """Concept mentions and word features of a text read as ``latin``.

        Each channel (a language, or ``any``) reads the text as its sequence of
        content words: a term matches when all its keys fall within a window
        of that sequence. The position of a token in a Latin channel's sequence
        is its index less the non-content words before it; in an other-script
        channel, the number of content words before it; in ``any``, its index.
        Only the tokens that give a key are visited one by one.
        """
        channels = _channels(latin)
        table = self._rows.get(latin) or {}
        rows = list(map(table.get, tokens))
        if None in rows:
            rows = [
                row if row is not None else self._token_row(latin, token)
                for row, token in zip(rows, tokens, strict=True)
            ]
        features = list(filter(None, map(_FEATURE_OF, rows)))
        # channel number -> key -> sequence positions; and position -> token.
        positions: dict[int, dict[str, list[int]]] = {}
        token_at: dict[int, dict[int, int]] = {}
        marks: dict[int, list[int]] = {}
        for i in compress(count(), map(_HITS_OF, rows)):
            for number, key, kind in rows[i][0]:
                if kind == _IN_ANY:
                    at = i
                else:
                    marked = marks.get(number)
                    if marked is None:
                        flag = itemgetter(2 + number)
                        marked = marks[number] = list(
                            compress(count(), map(flag, rows))
                        )
                    at = bisect_left(marked, i)
                    if kind == _IN_LATIN:
                        at = i - at
                by_key = positions.get(number)
                if by_key is None:
                    by_key = positions[number] = {}
                    token_at[number] = {}
                found = by_key.get(key)
                if found is None:
                    by_key[key] = [at]
                else:
                    found.append(at)
                token_at[number][at] = i
        spans: dict[int, list[tuple[int, int]]] = {}
        for number in sorted(positions):
            by_key = positions[number]
            back = token_at[number]
            plan = self._plans[channels[number]]
            for key, found in by_key.items():
                for stems, concept, rest in plan.get(key, ()):
                    if not rest:
                        pairs = [(p, p) for p in found]
                    else:
                        for other in rest:
                            if other not in by_key:
                                pairs = []
                                break
                        else:
                            pairs = _windows(stems, by_key)
                        if not pairs:
                            continue
                    spans.setdefault(concept, []).extend(
                        (back[s], back[e]) for s, e in pairs
                    )
        counts = {concept: _merged_count(found) for concept, found in spans.items()}
        return counts, features

    def _match_tokens(
        self, tokens: list[str], latin: tuple[str, ...]
    ) -> dict[int, int]:
        return self._scan(tokens, latin)[0]

    def _parse(self, text: str) -> _Parsed:
        """A text's tokens, language cues and cue scores, and its own reading."""
        parsed = self._texts.get(text)
        if parsed is None:
            tokens = tokenize(text)
            hits = tuple(_cue_hits(tokens))
            scores = _cue_scores(hits)
            parsed = (tokens, hits, scores, _latin_from_scores(scores))
            _memo_put(self._texts, text, parsed, _TEXT_MEMO_LIMIT)
        return parsed

    def _analyse(
        self, text: str, tokens: list[str], latin: tuple[str, ...]
    ) -> tuple[dict[int, int], dict[str, int]]:
        """Concept counts and word-feature counts of a text read as ``latin``."""
        key = (text, latin)
        found = self._analyses.get(key)
        if found is None:
            counts, features = self._scan(tokens, latin)
            found = (counts, Counter(features))
            _memo_put(self._analyses, key, found, _TEXT_MEMO_LIMIT)
        return found

    def _readings(
        self, fields: Mapping[str, str]
    ) -> list[tuple[str, float, list[str], tuple[str, ...]]]:
        """(text, weight, tokens, Latin reading) of each non-empty field."""
        texts = [
            ((fields.get(name) or "")[:MAX_ANALYSED_CHARS], weight)
            for name, weight in FIELD_WEIGHTS
        ]
        parsed = [self._parse(text) for text, _ in texts]
        # The record's language, from the cues of all its fields (in order).
        if _exact_cue_sums():
            record_latin = _latin_from_scores(
                tuple(map(math.fsum, zip(*(p[2] for p in parsed), strict=True)))
            )
        else:
            record_latin = _latin_from_hits(h for p in parsed for h in p[1])
        return [
            (text, weight, tokens, own if own != _LATIN else record_latin)
            for (text, weight), (tokens, _, _, own) in zip(texts, parsed, strict=True)
            if text
        ]

    def profile(self, fields: Mapping[str, str]) -> TextProfile:
        """Analyse a record's title/summary/description into a TextProfile."""
        return self._assemble(self._readings(fields))

    def _assemble(
        self, readings: list[tuple[str, float, list[str], tuple[str, ...]]]
    ) -> TextProfile:
        """A record's profile from its fields' analyses (memoised per text)."""
        weighted: dict[int, float] = {}
        words: dict[str, float] = {}
        for text, weight, tokens, latin in readings:
            counts, features = self._analyse(text, tokens, latin)
            for concept, mentions in counts.items():
                weighted[concept] = weighted.get(concept, 0.0) + weight * mentions
            if not words and _EXACT_WEIGHTS:
                words = {word: weight * n for word, n in features.items()}
                continue
            for word, n in features.items():
                total = words.get(word, 0.0)
                if _EXACT_WEIGHTS:
                    total += weight * n
                else:
                    for _ in range(n):
                        total += weight
                words[word] = total
        ids = self._concept_ids
        concepts = {ids[i]: round(w, 6) for i, w in sorted(weighted.items())}
        topics, audiences, assistance_types = self._implied(weighted)
        return TextProfile(
            concepts=concepts,
            topics=topics,
            audiences=audiences,
            assistance_types=assistance_types,
            words=words,
        )

    def _scanner(self) -> _BatchScanner | None:
        if self._batch is None:
            try:
                self._batch = _BatchScanner(self)
            except ValueError:
                self._batch = False
        return self._batch or None

    def _prefill(
        self, readings: Iterable[list[tuple[str, float, list[str], tuple[str, ...]]]]
    ) -> None:
        """Analyse the fields of many records at once, into the text memo."""
        todo: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        for record in readings:
            for text, _, tokens, latin in record:
                key = (text, latin)
                if key not in self._analyses and len(tokens) < _POS:
                    todo[key] = tokens
        if len(todo) < _BATCH_MIN:
            return
        with self._batch_lock:
            scanner = self._scanner()
            if scanner is None:
                return
            items = [(tokens, latin) for (_, latin), tokens in todo.items()]
            found = scanner.scan(items)
        for key, analysis in zip(todo, found, strict=True):
            _memo_put(self._analyses, key, analysis, _TEXT_MEMO_LIMIT)

    def _profiles_here(self, records: Sequence[Mapping[str, str]]) -> list[TextProfile]:
        """Profiles of many records in this process, texts scanned in batches."""
        out = []
        for start in range(0, len(records), _BATCH_RECORDS):
            readings = [
                self._readings(fields)
                for fields in records[start : start + _BATCH_RECORDS]
            ]
            self._prefill(readings)
            out.extend(map(self._assemble, readings))
        return out

    def profiles(
        self, records: Sequence[Mapping[str, str]], *, workers: int | None = None
    ) -> list[TextProfile]:
        """The profiles of many records, in order (see :meth:`profile`).

        ``workers`` processes share the work: this one and ``workers - 1``
        forked ones (None: one per available core, at most ``MAX_WORKERS``,
        from ``PARALLEL_MIN_RECORDS`` records on; 1: this process only). The
        result is the same either way. Processes are only forked from a
        single-threaded process on a platform that forks; otherwise, or if
        they cannot be started, the records are analysed here.
        """
        if workers is None:
            workers = default_workers(len(records))
        workers = min(workers, len(records) // 16)
        if (
            workers <= 1
            or threading.active_count() > 1
            or "fork" not in multiprocessing.get_all_start_methods()
        ):
            return self._profiles_here(records)
        size = math.ceil(len(records) / (8 * workers))
        chunks = [records[i : i + size] for i in range(0, len(records), size)]
        done: list[list[TextProfile] | None] = [None] * len(chunks)
        try:
            with (
                warnings.catch_warnings(),
                ProcessPoolExecutor(
                    workers - 1,
                    mp_context=multiprocessing.get_context("fork"),
                    initializer=_set_worker_lexicon,
                    initargs=(self,),
                ) as pool,
            ):
                # Forking with idle BLAS threads is fine (OpenBLAS re-forms
                # its pool in the child).
                warnings.simplefilter("ignore", DeprecationWarning)
                futures = [pool.submit(_worker_profiles, chunk) for chunk in chunks]
                # The workers take chunks from the front, this process from
                # the back, until they meet.
                for n in range(len(chunks) - 1, -1, -1):
                    if not futures[n].cancel():
                        break
                    done[n] = self._profiles_here(chunks[n])
                for n, future in enumerate(futures):
                    if done[n] is None:
                        done[n] = future.result()
        except (OSError, BrokenProcessPool, pickle.PicklingError):
            # No processes here (sandbox, daemonic process): finish in-process.
            for n, chunk in enumerate(chunks):
                if done[n] is None:
                    done[n] = self._profiles_here(chunk)
        return [p for part in done for p in part or ()]

    def _implied(
        self, weighted: Mapping[int, float]
    ) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
        """How strongly the text points at each topic, audience, assistance type.

        Each concept contributes its (log-damped) mentions times the strength of
        its implication; the slug with the most support gets 1, others their
        share of that, so a passing mention does not outweigh the main subject.
        """
        masses: tuple[dict[str, float], ...] = ({}, {}, {})
        implications = self._implications
        for concept, weight in weighted.items():
            evidence = math.log1p(weight)
            for kind, slug, strength in implications[concept]:
                mass = masses[kind]
                mass[slug] = mass.get(slug, 0.0) + strength * evidence
        out = []
        for mass in masses:
            top = max(mass.values(), default=0.0)
            out.append(
                {slug: round(m / top, 6) for slug, m in sorted(mass.items())}
                if top > 0
                else {}
            )
        return out[0], out[1], out[2]

    def label(self, concept_id: str, language: str = "en") -> str:
        """The display label of a concept in a language (English fallback)."""
        concept = self.concepts[self.index[concept_id]]
        return concept.labels.get(language, concept.label)


def default_workers(records: int) -> int:
    """How many processes :meth:`Lexicon.profiles` uses for so many records."""
    if records < PARALLEL_MIN_RECORDS:
        return 1
    return max(1, min(os.process_cpu_count() or 1, MAX_WORKERS))


_worker_lexicon: Lexicon | None = None


def _set_worker_lexicon(lexicon: Lexicon) -> None:
    global _worker_lexicon  # one lexicon per worker process, set at start-up
    _worker_lexicon = lexicon


def _worker_profiles(records: Sequence[Mapping[str, str]]) -> list[TextProfile]:
    lexicon = _worker_lexicon or default_lexicon()
    return lexicon._profiles_here(records)


# The batch scanner numbers channels globally and packs positions below _POS.
_CHANNELS = (*LANGUAGES, "any")
_POS = 1 << 20
_MAX_PLAN = 1 << 10


class _ReadingTable:
    """The tokens met in texts of one reading, as arrays for the batch scan."""

    def __init__(self, latin: tuple[str, ...]) -> None:
        self.latin = latin
        self.channels = _channels(latin)
        self.kinds = [_KINDS[channel] for channel in self.channels]
        self.globals = [_CHANNELS.index(channel) for channel in self.channels]
        self.tokens: dict[str, int] = {}
        self.flags: list[tuple[bool, ...]] = []
        self.hits: list[tuple[tuple[int, int], ...]] = []
        self.feature: list[int] = []
        self._made_for = -1

    def arrays(self) -> None:
        """Refresh the numpy arrays after tokens were added."""
        if self._made_for == len(self.flags):
            return
        n_channels = len(self.channels)
        self.flag_array = np.array(self.flags, dtype=bool).reshape(-1, n_channels)
        self.feature_array = np.array(self.feature, dtype=np.int64)
        counts = np.array([len(h) for h in self.hits], dtype=np.int64)
        self.hit_count = counts
        self.hit_ptr = np.cumsum(counts) - counts
        pairs = np.array(
            [pair for hits in self.hits for pair in hits], dtype=np.int64
        ).reshape(-1, 2)
        self.hit_c, self.hit_k = pairs[:, 0], pairs[:, 1]
        self._made_for = len(self.flags)


class _BatchScanner:
    """:meth:`Lexicon._scan` for many texts at once, with numpy.

    Same results, found by array operations over all the texts' tokens: each
    token's lexicon hits, its position in each channel's content-word
    sequence (cumulative counts), the windows of multi-word terms (nearest
    occurrence of each other stem, by binary search among the sorted hits),
    the merged mention counts, and the order in which the Python scan meets
    each concept: by channel, first occurrence of the key, stem before exact
    form, then term order.
    """

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.key_id: dict[tuple[int, str], int] = {}
        for c, channel in enumerate(_CHANNELS):
            for key in sorted(lexicon._keys[channel]):
                self.key_id[(c, key)] = len(self.key_id)
        self.key_kind = np.array(
            [1 if key.startswith("=") else 0 for _, key in self.key_id], np.int64
        )
        singles: list[list[tuple[int, int]]] = []
        multis: list[list[tuple[int, int]]] = []
        term_concept: list[int] = []
        term_stems: list[list[int]] = []
        for c, key in self.key_id:
            plan = lexicon._plans[_CHANNELS[c]].get(key, ())
            if len(plan) >= _MAX_PLAN:
                raise ValueError("lexicon plan too long for the batch scanner")
            single, multi = [], []
            for rank, (stems, concept, _) in enumerate(plan):
                if len(stems) == 1:
                    single.append((concept, rank))
                else:
                    multi.append((len(term_concept), rank))
                    term_concept.append(concept)
                    term_stems.append([self.key_id[(c, s)] for s in stems])
            singles.append(single)
            multis.append(multi)
        self.single_ptr, self.single_count, self.single_concept, self.single_rank = (
            _csr(singles)
        )
        self.multi_ptr, self.multi_count, self.multi_term, self.multi_rank = _csr(
            multis
        )
        self.term_concept = np.array(term_concept, np.int64)
        self.term_len = np.array([len(s) for s in term_stems], np.int64)
        width = max((len(s) for s in term_stems), default=1)
        self.term_stems = np.full((len(term_stems), width), -1, np.int64)
        for t, stems in enumerate(term_stems):
            self.term_stems[t, : len(stems)] = stems
        self.max_len = width
        self._reset_tokens()

    def _reset_tokens(self) -> None:
        # Per reading: token -> number, and what each token brings (from the
        # lexicon's token rows: only the reading's channels are analysed).
        self.tables: dict[tuple[str, ...], _ReadingTable] = {}
        self.features: dict[str, int] = {}
        self.feature_names: list[str] = []

    def _table(self, latin: tuple[str, ...]) -> _ReadingTable:
        table = self.tables.get(latin)
        if table is None:
            table = self.tables[latin] = _ReadingTable(latin)
        return table

    def _add_token(self, table: _ReadingTable, token: str) -> None:
        row = self.lexicon._token_row(table.latin, token)
        hits, feature = row[0], row[1]
        fid = -1
        if feature is not None:
            fid = self.features.get(feature, -1)
            if fid < 0:
                fid = self.features[feature] = len(self.feature_names)
                self.feature_names.append(feature)
        table.tokens[token] = len(table.flags)
        table.flags.append(row[2:])
        table.hits.append(
            tuple(
                (number, self.key_id[(table.globals[number], key)])
                for number, key, _ in hits
            )
        )
        table.feature.append(fid)

    def scan(
        self, items: Sequence[tuple[list[str], tuple[str, ...]]]
    ) -> list[tuple[dict[int, int], dict[str, int]]]:
        """(concept counts, word-feature counts) of each (tokens, reading)."""
        if sum(len(t.tokens) for t in self.tables.values()) > _TOKEN_MEMO_LIMIT:
            self._reset_tokens()
        groups: dict[tuple[str, ...], list[int]] = {}
        for n, (_, latin) in enumerate(items):
            groups.setdefault(latin, []).append(n)
        out: list[tuple[dict[int, int], dict[str, int]]] = [({}, {})] * len(items)
        for latin, members in groups.items():
            table = self._table(latin)
            token_lists = [items[n][0] for n in members]
            flat = list(chain.from_iterable(token_lists))
            ids = list(map(table.tokens.get, flat))
            if None in ids:
                for token in dict.fromkeys(flat):
                    if token not in table.tokens:
                        self._add_token(table, token)
                ids = list(map(table.tokens.get, flat))
            table.arrays()
            n_texts = len(members)
            lengths = np.array([len(t) for t in token_lists], dtype=np.int64)
            tok = np.array(ids, dtype=np.int64)
            starts = np.cumsum(lengths) - lengths
            text_of = np.repeat(np.arange(n_texts), lengths)
            pos = np.arange(tok.size) - starts[text_of]
            counts = self._concepts(table, tok, text_of, pos, starts, n_texts)
            features = self._features(table, tok, text_of, n_texts)
            for n, c, f in zip(members, counts, features, strict=True):
                out[n] = (c, f)
        return out

    def _concepts(
        self,
        table: _ReadingTable,
        tok: np.ndarray,
        text_of: np.ndarray,
        pos: np.ndarray,
        starts: np.ndarray,
        n_texts: int,
    ) -> list[dict[int, int]]:
        n_channels, n_keys = len(table.channels), len(self.key_id)
        # Every (token, key) hit.
        per_token = table.hit_count[tok]
        h_tok = np.repeat(np.arange(tok.size), per_token)
        offset = np.arange(h_tok.size) - np.repeat(
            np.cumsum(per_token) - per_token, per_token
        )
        h_idx = table.hit_ptr[tok][h_tok] + offset
        h_c, h_k = table.hit_c[h_idx], table.hit_k[h_idx]
        h_text = text_of[h_tok]
        # Position in the channel's sequence of content words.
        h_seq = pos[h_tok].copy()
        for c in np.unique(h_c).tolist():
            if table.kinds[c] == _IN_ANY:
                continue
            flag = table.flag_array[tok, c].astype(np.int64)
            before = np.cumsum(flag) - flag
            before -= np.concatenate([before, [0]])[starts][text_of]
            where = h_c == c
            at = h_tok[where]
            if table.kinds[c] == _IN_LATIN:
                h_seq[where] = pos[at] - before[at]
            else:
                h_seq[where] = before[at]
        # Hits sorted by (text, channel, key, position).
        group = (h_text * n_channels + h_c) * n_keys + h_k
        order = np.argsort(group * _POS + h_seq, kind="stable")
        group, h_seq, h_tok = group[order], h_seq[order], h_tok[order]
        h_text, h_c, h_k = h_text[order], h_c[order], h_k[order]
        packed = group * _POS + h_seq
        size = group.size
        first = np.ones(size, dtype=bool)
        first[1:] = group[1:] != group[:-1]
        first_tok = h_tok[first][np.cumsum(first) - 1]
        # How the Python scan orders a key's terms: channel, key first seen.
        key_rank = ((h_c * _POS + pos[first_tok]) * 2 + self.key_kind[h_k]) * _MAX_PLAN
        spans = []
        # Single-word terms: one span per occurrence.
        a, e = _expand(self.single_ptr, self.single_count[h_k], h_k)
        if a.size:
            spans.append(
                (
                    h_text[a],
                    self.single_concept[e],
                    pos[h_tok[a]],
                    pos[h_tok[a]],
                    key_rank[a] + self.single_rank[e],
                )
            )
        # Multi-word terms: every occurrence of the first stem is an anchor.
        a, e = _expand(self.multi_ptr, self.multi_count[h_k], h_k)
        if a.size:
            term = self.multi_term[e]
            length = self.term_len[term]
            width = length + WINDOW_SLACK
            anchor = h_seq[a]
            low, high = anchor.copy(), anchor.copy()
            low_tok, high_tok = h_tok[a].copy(), h_tok[a].copy()
            alive = np.ones(a.size, dtype=bool)
            base = group[a] - h_k[a]
            for j in range(1, self.max_len):
                idx = np.flatnonzero(alive & (length > j))
                if not idx.size:
                    break
                wanted = base[idx] + self.term_stems[term[idx], j]
                at = anchor[idx]
                i = np.searchsorted(packed, wanted * _POS + at, side="left")
                right = np.minimum(i, size - 1)
                left = np.maximum(i - 1, 0)
                dist_r = h_seq[right] - at
                dist_l = at - h_seq[left]
                ok_r = (i < size) & (group[right] == wanted) & (dist_r < width[idx])
                ok_l = (i > 0) & (group[left] == wanted) & (dist_l < width[idx])
                use_left = ok_l & (~ok_r | (dist_l <= dist_r))
                found = ok_l | ok_r
                alive[idx[~found]] = False
                hit = np.where(use_left, left, right)[found]
                idx = idx[found]
                low[idx] = np.minimum(low[idx], h_seq[hit])
                high[idx] = np.maximum(high[idx], h_seq[hit])
                low_tok[idx] = np.minimum(low_tok[idx], h_tok[hit])
                high_tok[idx] = np.maximum(high_tok[idx], h_tok[hit])
            alive &= high - low < width
            spans.append(
                (
                    h_text[a][alive],
                    self.term_concept[term][alive],
                    pos[low_tok[alive]],
                    pos[high_tok[alive]],
                    (key_rank[a] + self.multi_rank[e])[alive],
                )
            )
        out: list[dict[int, int]] = [{} for _ in range(n_texts)]
        if not spans:
            return out
        s_text, s_concept, s_start, s_end, s_rank = (
            np.concatenate(parts) for parts in zip(*spans, strict=True)
        )
        if not s_text.size:
            return out
        # Merged mentions of each (text, concept): spans by start, then end.
        code = s_text * len(self.lexicon.concepts) + s_concept
        order = np.lexsort((s_end, s_start, code))
        code, s_start, s_end, s_rank = (
            code[order],
            s_start[order],
            s_end[order],
            s_rank[order],
        )
        new_group = np.ones(code.size, dtype=bool)
        new_group[1:] = code[1:] != code[:-1]
        gid = np.cumsum(new_group) - 1
        reach = np.maximum.accumulate(gid * _POS + s_end) - gid * _POS
        previous = np.empty_like(reach)
        previous[0] = -1
        previous[1:] = reach[:-1]
        counted = new_group | (s_start > previous)
        bounds = np.flatnonzero(new_group)
        mentions = np.add.reduceat(counted.astype(np.int64), bounds)
        rank = np.minimum.reduceat(s_rank, bounds)
        g_code = code[bounds]
        g_text = g_code // len(self.lexicon.concepts)
        g_concept = g_code % len(self.lexicon.concepts)
        order = np.lexsort((rank, g_text))
        g_text, g_concept, mentions = g_text[order], g_concept[order], mentions[order]
        _fill_groups(out, g_text, g_concept.tolist(), mentions.tolist())
        return out

    def _features(
        self,
        table: _ReadingTable,
        tok: np.ndarray,
        text_of: np.ndarray,
        n_texts: int,
    ) -> list[dict[str, int]]:
        out: list[dict[str, int]] = [{} for _ in range(n_texts)]
        feature = table.feature_array[tok]
        where = feature >= 0
        f_text, feature = text_of[where], feature[where]
        if not feature.size:
            return out
        code = f_text * len(self.feature_names) + feature
        _, first, counts = np.unique(code, return_index=True, return_counts=True)
        order = np.argsort(first)
        first, counts = first[order], counts[order]
        g_text, g_feature = f_text[first], feature[first]
        names = self.feature_names
        _fill_groups(
            out,
            g_text,
            list(map(names.__getitem__, g_feature.tolist())),
            counts.tolist(),
        )
        return out


def _fill_groups(
    out: list[dict[Any, int]], texts: np.ndarray, keys: list[Any], values: list[int]
) -> None:
    """out[t] = {key: value} for each run of equal ``texts`` (in order)."""
    if not keys:
        return
    cuts = [0, *(np.flatnonzero(np.diff(texts)) + 1).tolist(), len(keys)]
    firsts = texts[cuts[:-1]].tolist()
    for t, a, b in zip(firsts, cuts, cuts[1:], strict=False):
        out[t] = dict(zip(keys[a:b], values[a:b], strict=True))


def _csr(
    rows: Sequence[Sequence[tuple[int, int]]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows of (a, b) pairs as (row starts, row lengths, a values, b values)."""
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    pairs = np.array([p for r in rows for p in r], dtype=np.int64).reshape(-1, 2)
    return starts, lengths, pairs[:, 0], pairs[:, 1]


def _expand(
    starts: np.ndarray, counts: np.ndarray, keys: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For items with ``counts[i]`` entries from ``starts[keys[i]]``: (item, entry)."""
    item = np.repeat(np.arange(counts.size), counts)
    offset = np.arange(item.size) - np.repeat(np.cumsum(counts) - counts, counts)
    return item, starts[keys][item] + offset


def _windows(
    stems: tuple[str, ...], positions: Mapping[str, list[int]]
) -> list[tuple[int, int]]:
    """Start/end sequence positions where all stems fall within a short window."""
    for s in stems:
        if s not in positions:
            return []
    if len(stems) == 1:
        return [(p, p) for p in positions[stems[0]]]
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


_FEATURES: dict[str, dict[str, str | None]] = {}


def _word_feature(own: str, token: str) -> str | None:
    if len(token) < 2 or token.isdigit():
        feature = None
    else:
        script = _script(token)
        lang = own if script == "latin" else script
        if script == "zh":
            feature = f"zh:{token}"
        elif token in stopwords()[lang]:
            feature = None
        else:
            feature = f"{lang}:{stem(lang, token)}"
    _memo_put(_FEATURES.setdefault(own, {}), token, feature, _TOKEN_MEMO_LIMIT)
    return feature


def _own_language(latin: tuple[str, ...]) -> str:
    """The language Latin-script words are stemmed in for word features."""
    return latin[-1] if len(latin) <= 2 else "en"


def word_features(tokens: list[str], latin: tuple[str, ...]) -> list[str]:
    """Language-tagged stems of the content words, for same-language overlap.

    Latin-script words are stemmed in the text's own language (English when it
    cannot be told), Cyrillic as Russian, Arabic script with the light stemmer.
    """
    own = _own_language(latin)
    table = _FEATURES.get(own) or {}
    out = []
    for token in tokens:
        feature = table.get(token, _MISSING)
        if feature is _MISSING:
            feature = _word_feature(own, token)
        if feature is not None:
            out.append(feature)
    return out


def clear_caches() -> None:
    """Forget every memoised analysis (token stems, text analyses); for benches."""
    _FEATURES.clear()
    for memoised in (_script, _normalise, _forms, stem):
        memoised.cache_clear()
    if default_lexicon.cache_info().currsize:
        default_lexicon().clear_memos()


@cache
def default_lexicon() -> Lexicon:
    """The lexicon shipped in ``engine/lexicon/concepts.json`` (read once)."""
    raw = json.loads((LEXICON_DIR / "concepts.json").read_text(encoding="utf-8"))
    return Lexicon(raw["concepts"])


def idf(document_frequency: int, documents: int) -> float:
    """Smoothed inverse document frequency (scikit-learn's formula)."""
    return math.log((1 + documents) / (1 + document_frequency)) + 1.0
