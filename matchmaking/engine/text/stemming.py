"""Stemming per language (Snowball, light Arabic), stop words and word features."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from functools import lru_cache
from typing import Any

import snowballstemmer

from matchmaking.engine.text.tokens import _script
from matchmaking.engine.text.tokens import stopwords

_SNOWBALL = {
    "en": "english",
    "fr": "french",
    "es": "spanish",
    "pt": "portuguese",
    "ru": "russian",
}
_ARABIC_DIACRITICS = re.compile(r"[\u064B-\u0652\u0640\u0670]")


def _fold_accents(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Arabic and Cyrillic letters below are meant (ruff's RUF001 flags look-alikes).
_AR_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")
# Attached pronouns (its, their, our: "خدماته", "التزاماتهم", "قدراتنا") come
# after the plural and feminine endings, so they are stripped first; a ta
# marbuta written as ت before a pronoun ("حكومتها") is restored.
_AR_PRONOUNS = ("هما", "هم", "هن", "نا", "ها", "ه")  # noqa: RUF001 (Arabic/Cyrillic letters)
_AR_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ية", "ه", "ة", "ي")  # noqa: RUF001 (Arabic/Cyrillic letters)


_AR_PROCLITIC_LETTERS = ("و", "ب", "ل", "ك", "ف")


def _arabic_light_stem(word: str, *, proclitics: bool = True) -> str:
    """Light10-style Arabic stemmer (Larkey et al.): strip و, articles, suffixes.

    ``proclitics=False`` keeps a first letter that may be a
    one-letter proclitic (و, ب, ل, ك, ف) but here belongs to the word, as in
    "وزارة" (ministry) or "فريق" (team); articles are still stripped.
    """
    word = _ARABIC_DIACRITICS.sub("", word)
    word = word.replace("ى", "ي").replace("ؤ", "و")
    # Alef forms are folded after the article is found: an alef with a hamza
    # never begins the article, so "إلكتروني" (no article) and "الإلكتروني"
    # keep the same stem instead of losing "إل" as if it were "ال".
    if proclitics and len(word) >= 4 and word.startswith("و"):
        word = word[1:]
    for prefix in _AR_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            word = word[len(prefix) :]
            break
    else:
        if proclitics and len(word) >= 4 and word[0] in "بلكف":
            word = word[1:]
    word = re.sub("[أإآ]", "ا", word)  # noqa: RUF001 (Arabic/Cyrillic letters)
    for pronoun in _AR_PRONOUNS:
        if word.endswith(pronoun) and len(word) - len(pronoun) >= 3:
            word = word[: -len(pronoun)]
            if word[-1] == "ت" and word[-2] != "ا":  # noqa: RUF001 (Arabic/Cyrillic letters)
                word = word[:-1] + "ة"
            break
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


@lru_cache(maxsize=500_000)
def _forms(language: str, token: str) -> tuple[str, str]:
    """(stem, "=" + exact form) of a token in a language."""
    return stem(language, token), "=" + _normalise(language, token)


@cache
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(_SNOWBALL[language])


def term_stems(language: str, token: str) -> tuple[str, ...]:
    """The stems a word of a lexicon term may have in a text.

    One, except in Arabic. A term's words are written without proclitics, so
    a first و, ب, ل, ك or ف belongs to the word ("فريق", team; "وزارة",
    ministry), but in a text the light stemmer cannot tell it from a proclitic
    and strips it when no article precedes ("فريق" and "وفريق" give "ريق",
    "الفريق" gives "فريق"): a term's word is found by either stem. Likewise a
    word that itself begins with the letters of the article, written in a
    term with the article ("الالتزامات", obligations), loses them in a text
    without it ("التزاماتهم", their obligations, gives "تزام"): a term's word
    with the article is also found by the stem of the word without it. So is
    one whose first letter after the article is a proclitic's ("الوظائف",
    jobs: "وظائف" gives "ظائف"), unless fewer than three letters are left.
    """
    if language != "ar":
        return (stem(language, token),)
    stems = [stem(language, token), _arabic_light_stem(token, proclitics=False)]
    if token.startswith(("الال", "الإل", "الأل")):
        stems.append(stem(language, token[2:]))
    elif token.startswith("ال") and token[2:3] in _AR_PROCLITIC_LETTERS:
        indefinite = stem(language, token[2:])
        if len(indefinite) >= 3:
            stems.append(indefinite)
    return tuple(dict.fromkeys(stems))


@lru_cache(maxsize=500_000)
def stem(language: str, token: str) -> str:
    """The normalised stem of one lower-case token in one language."""
    if language == "ar":
        return _arabic_light_stem(token)
    stemmed: str = _stemmer(language).stemWord(token)
    if language == "ru":
        return stemmed.replace("ё", "е")  # noqa: RUF001 (Arabic/Cyrillic letters)
    return _fold_accents(stemmed)


def _acronym_key(token: str) -> str:
    if len(token) > 3 and token.endswith("s"):
        token = token[:-1]
    return token


# What the analysis remembers between texts is per process and bounded: a memo
# holding this many entries is emptied before it takes another (see
# analyser.py for what is remembered).
_MISSING: Any = object()
_TOKEN_MEMO_LIMIT = 500_000


def _memo_put(memo: dict[Any, Any], key: Any, value: Any, limit: int) -> None:
    if len(memo) >= limit:
        memo.clear()
    memo[key] = value


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
