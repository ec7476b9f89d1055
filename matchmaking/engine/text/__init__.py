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
large inputs, split between this process and forked worker processes. Only the
first ``MAX_ANALYSED_CHARS`` characters of a text and ``MAX_TOKEN_CHARS`` of a
word are read, so the cost is bounded whatever a text holds.
:class:`TextProfile` converts to and from a plain JSON-able dict and
:attr:`Lexicon.fingerprint` identifies the lexicon and analysis version, so
callers can cache profiles.

The modules, by what they do: ``tokens`` (normalising, tokenising, language
cues and detection), ``han`` (Chinese segmentation), ``stemming`` (stemmers
per language, exact forms, stop words, word features), ``reading`` (channels
and term windows), ``profile`` (TextProfile, Concept), ``analyser`` (Lexicon,
the shipped lexicon, caches) and ``batch`` (the numpy batch scanner).
"""

from pathlib import Path

LEXICON_DIR = Path(__file__).resolve().parent.parent / "lexicon"
LANGUAGES = ("en", "fr", "es", "pt", "ar", "ru")
