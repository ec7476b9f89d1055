"""Multilingual text analysis for matching: a domain lexicon plus stemming.

Needs arrive in any of the six working languages (en, fr, es, pt, ar, ru) and
programmes are mostly English, so word overlap alone cannot relate "équipe
nationale de réponse aux incidents" to "national CSIRT". The lexicon in
``data/lexicon/concepts.json`` lists general cyber capacity-building concepts with
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
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import snowballstemmer

LEXICON_DIR = Path(__file__).resolve().parent / "data" / "lexicon"
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


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens (letters and digits) of a text."""
    return _TOKEN.findall(unicodedata.normalize("NFC", text).casefold())


@lru_cache(maxsize=500_000)
def _script(token: str) -> str:
    for char in token:
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


def latin_languages(tokens: list[str]) -> tuple[str, ...]:
    """The Latin-script languages to stem a text as: English plus the one it is in."""
    if not _CUE_HOLDERS:
        for lang, cues in _LANGUAGE_CUES.items():
            for cue in cues:
                _CUE_HOLDERS[cue] = (*_CUE_HOLDERS.get(cue, ()), lang)
    scores = dict.fromkeys(_LATIN, 0.0)
    for token in tokens:
        holders = _CUE_HOLDERS.get(token)
        if holders:
            for lang in holders:
                scores[lang] += 1.0 / len(holders)
    ranked = sorted(_LATIN, key=lambda lang: (-scores[lang], _LATIN.index(lang)))
    best, second = scores[ranked[0]], scores[ranked[1]]
    if best < 2 or best < 1.5 * second:
        return _LATIN
    return tuple(dict.fromkeys(("en", ranked[0])))


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


@dataclass(frozen=True)
class TextProfile:
    """What a record's text says: weighted concept mentions and implied tags."""

    concepts: Mapping[str, float]
    topics: Mapping[str, float]
    audiences: Mapping[str, float]
    assistance_types: Mapping[str, float]
    words: Mapping[str, float]


class Lexicon:
    """Compiled multilingual concept lexicon; build once, share read-only."""

    def __init__(self, concepts: Iterable[Mapping]) -> None:
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
                for lang in LANGUAGES
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
            for channel, surface_forms in terms.items():
                for form in surface_forms:
                    stems = self._compile(channel, form, stops)
                    if stems:
                        bucket = self._terms[channel].setdefault(stems[0], [])
                        if (stems, index) not in bucket:
                            bucket.append((stems, index))
        self.concepts = tuple(built)
        self.index = {c.id: i for i, c in enumerate(self.concepts)}
        # Every stem or exact form a channel's terms use, to skip other words.
        self._keys = {
            channel: frozenset(
                k for terms in by_first.values() for t, _ in terms for k in t
            )
            for channel, by_first in self._terms.items()
        }

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

    def _match_tokens(
        self, tokens: list[str], latin: tuple[str, ...]
    ) -> dict[int, int]:
        stops = stopwords()
        scripts = [_script(t) for t in tokens]
        spans: dict[int, list[tuple[int, int]]] = {}
        channels = [lang for lang in LANGUAGES if lang not in _LATIN or lang in latin]
        for channel in (*channels, "any"):
            vocab = self._keys[channel]
            # Sequence positions count every content word (for window widths);
            # only the words some term uses are indexed.
            positions: dict[str, list[int]] = {}
            sequence: list[int] = []
            if channel == "any":
                for i, token in enumerate(tokens):
                    key = _acronym_key(token)
                    if key in vocab:
                        positions.setdefault(key, []).append(i)
                    sequence.append(i)
            else:
                wanted = "latin" if channel in _LATIN else channel
                stop = stops[channel]
                for i, token in enumerate(tokens):
                    if scripts[i] != wanted or token in stop:
                        continue
                    token_stem, exact = _forms(channel, token)
                    at = len(sequence)
                    sequence.append(i)
                    if token_stem in vocab:
                        positions.setdefault(token_stem, []).append(at)
                    if exact in vocab:
                        positions.setdefault(exact, []).append(at)
            terms = self._terms[channel]
            for key in positions:
                for stems, concept in terms.get(key, ()):
                    for start, end in _windows(stems, positions):
                        spans.setdefault(concept, []).append(
                            (sequence[start], sequence[end])
                        )
        return {concept: _merged_count(found) for concept, found in spans.items()}

    def profile(self, fields: Mapping[str, str]) -> TextProfile:
        """Analyse a record's title/summary/description into a TextProfile."""
        weighted: dict[int, float] = {}
        words: dict[str, float] = {}
        whole = tokenize(" ".join(fields.get(name) or "" for name, _ in FIELD_WEIGHTS))
        record_latin = latin_languages(whole)
        for name, weight in FIELD_WEIGHTS:
            text = fields.get(name) or ""
            if not text:
                continue
            tokens = tokenize(text)
            own = latin_languages(tokens)
            latin = own if own != _LATIN else record_latin
            for concept, count in self._match_tokens(tokens, latin).items():
                weighted[concept] = weighted.get(concept, 0.0) + weight * count
            for word in word_features(tokens, latin):
                words[word] = words.get(word, 0.0) + weight
        concepts = {
            self.concepts[i].id: round(w, 6) for i, w in sorted(weighted.items())
        }
        return TextProfile(
            concepts=concepts,
            topics=self._implied(weighted, "topics"),
            audiences=self._implied(weighted, "audiences"),
            assistance_types=self._implied(weighted, "assistance_types"),
            words=words,
        )

    def _implied(self, weighted: Mapping[int, float], kind: str) -> dict[str, float]:
        """How strongly the text points at each slug, relative to its main one.

        Each concept contributes its (log-damped) mentions times the strength of
        its implication; the slug with the most support gets 1, others their
        share of that, so a passing mention does not outweigh the main subject.
        """
        mass: dict[str, float] = {}
        for concept, weight in weighted.items():
            evidence = math.log1p(weight)
            for slug, strength in getattr(self.concepts[concept], kind).items():
                mass[slug] = mass.get(slug, 0.0) + strength * evidence
        top = max(mass.values(), default=0.0)
        if top <= 0:
            return {}
        return {slug: round(m / top, 6) for slug, m in sorted(mass.items())}

    def label(self, concept_id: str, language: str = "en") -> str:
        """The display label of a concept in a language (English fallback)."""
        concept = self.concepts[self.index[concept_id]]
        return concept.labels.get(language, concept.label)


def _windows(
    stems: tuple[str, ...], positions: Mapping[str, list[int]]
) -> list[tuple[int, int]]:
    """Start/end sequence positions where all stems fall within a short window."""
    if any(s not in positions for s in stems):
        return []
    if len(stems) == 1:
        return [(p, p) for p in positions[stems[0]]]
    width = len(stems) + WINDOW_SLACK
    found = []
    for anchor in positions[stems[0]]:
        low, high = anchor, anchor
        for other in stems[1:]:
            near = [p for p in positions[other] if abs(p - anchor) < width]
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


def word_features(tokens: list[str], latin: tuple[str, ...]) -> list[str]:
    """Language-tagged stems of the content words, for same-language overlap.

    Latin-script words are stemmed in the text's own language (English when it
    cannot be told), Cyrillic as Russian, Arabic script with the light stemmer.
    """
    stops = stopwords()
    own = latin[-1] if len(latin) <= 2 else "en"
    out = []
    for token in tokens:
        if len(token) < 2 or token.isdigit():
            continue
        script = _script(token)
        lang = own if script == "latin" else script
        if token in stops[lang]:
            continue
        out.append(f"{lang}:{stem(lang, token)}")
    return out


@cache
def default_lexicon() -> Lexicon:
    """The lexicon shipped in ``data/lexicon/concepts.json`` (read once)."""
    raw = json.loads((LEXICON_DIR / "concepts.json").read_text(encoding="utf-8"))
    return Lexicon(raw["concepts"])


def idf(document_frequency: int, documents: int) -> float:
    """Smoothed inverse document frequency (scikit-learn's formula)."""
    return math.log((1 + documents) / (1 + document_frequency)) + 1.0
