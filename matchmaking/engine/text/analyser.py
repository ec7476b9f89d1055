"""The compiled lexicon and the analyser: a record's fields into a TextProfile."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import multiprocessing
import os
import pickle
import threading
import warnings
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import cache
from itertools import compress
from itertools import count
from operator import itemgetter
from typing import Any
from typing import cast

from matchmaking.engine.text import LANGUAGES
from matchmaking.engine.text import LEXICON_DIR
from matchmaking.engine.text.batch import _POS
from matchmaking.engine.text.batch import _BatchScanner
from matchmaking.engine.text.labels import labels_of
from matchmaking.engine.text.profile import ANALYSIS_VERSION
from matchmaking.engine.text.profile import Concept
from matchmaking.engine.text.profile import TextProfile
from matchmaking.engine.text.reading import _IN_ANY
from matchmaking.engine.text.reading import _IN_LATIN
from matchmaking.engine.text.reading import _KINDS
from matchmaking.engine.text.reading import _channels
from matchmaking.engine.text.reading import _merged_count
from matchmaking.engine.text.reading import _windows
from matchmaking.engine.text.stemming import _FEATURES
from matchmaking.engine.text.stemming import _TOKEN_MEMO_LIMIT
from matchmaking.engine.text.stemming import _acronym_key
from matchmaking.engine.text.stemming import _forms
from matchmaking.engine.text.stemming import _memo_put
from matchmaking.engine.text.stemming import _normalise
from matchmaking.engine.text.stemming import _own_language
from matchmaking.engine.text.stemming import _word_feature
from matchmaking.engine.text.stemming import stem
from matchmaking.engine.text.stemming import term_stems
from matchmaking.engine.text.tokens import _LATIN
from matchmaking.engine.text.tokens import MAX_ANALYSED_CHARS
from matchmaking.engine.text.tokens import _cue_hits
from matchmaking.engine.text.tokens import _cue_scores
from matchmaking.engine.text.tokens import _exact_cue_sums
from matchmaking.engine.text.tokens import _latin_from_hits
from matchmaking.engine.text.tokens import _latin_from_scores
from matchmaking.engine.text.tokens import _script
from matchmaking.engine.text.tokens import latin_languages
from matchmaking.engine.text.tokens import stopwords
from matchmaking.engine.text.tokens import tokenize

# Field weights when a record's text is analysed: the title states the gist, the
# summary restates it, the description adds context and incidental words.
FIELD_WEIGHTS = (("title", 2.0), ("summary", 1.5), ("description", 1.0))
# What the analysis remembers between texts (all per process, all bounded):
# per reading (Latin languages) and token, what the token brings (its row); per
# text, its tokens and language cues; per (text, reading), its concept counts
# and word features, so repeated titles and summaries are analysed once.
_TEXT_MEMO_LIMIT = 50_000
# A token's row for a reading: (hits, word feature, *one flag per channel).
_Row = tuple[Any, ...]
_HITS_OF = itemgetter(0)
_FEATURE_OF = itemgetter(1)
_IMPLIED_KINDS = ("topics", "audiences", "assistance_types")
# A parsed text: tokens, language cue holders, cue scores, own reading.
_Parsed = tuple[
    list[str], tuple[tuple[str, ...], ...], tuple[float, ...], tuple[str, ...]
]
# Word counts times a field weight equal repeated additions of the weight when
# the weights are multiples of 1/64 (all values stay exact binary fractions).
_EXACT_WEIGHTS = all((w * 64).is_integer() for _, w in FIELD_WEIGHTS)
# Analysing many records is spread over worker processes from this many on.
PARALLEL_MIN_RECORDS = 2_000
MAX_WORKERS = 4
# Records whose texts are scanned together (numpy), and the fewest texts worth
# a batch scan.
_BATCH_RECORDS = 1_000
_BATCH_MIN = 32


class Lexicon:
    """Compiled multilingual concept lexicon; build once, share read-only.

    The lexicon memoises token and text analyses (bounded, per process); the
    memos are not pickled, so a lexicon sent to a worker process starts empty.
    """

    def __init__(
        self,
        concepts: Iterable[Mapping[str, Any]],
        compounds: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        concepts = list(concepts)
        compounds = {lang: list(forms) for lang, forms in (compounds or {}).items()}
        self.concepts: tuple[Concept, ...] = ()
        built: list[Concept] = []
        # channel -> first stem -> [(stems, concept index)]
        self._terms: dict[str, dict[str, list[tuple[tuple[str, ...], int]]]] = {
            channel: {} for channel in (*LANGUAGES, "any")
        }
        stops = stopwords()
        for index, raw in enumerate(concepts):
            terms = raw["terms"]
            labels = labels_of(raw)
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
                    variants: list[tuple[str, ...]]
                    if language == "zh":
                        variants = [("".join(form.split()),)]
                    else:
                        variants = self._compile(channel, form, stops)
                    for stems in variants:
                        if not stems:
                            continue
                        bucket = self._terms[channel].setdefault(stems[0], [])
                        if (stems, index) not in bucket:
                            bucket.append((stems, index))
        # Compounds: names of several words, per language, whose words are
        # not read alone ("برمجيات الفدية", ransomware, is not software): a
        # term found on part of one does not count (see _outside_compounds).
        # They are scanned as the terms of one more concept, numbered after
        # the real ones, their words consecutive and in order.
        self._compound = len(built)
        for language, forms in compounds.items():
            for form in forms:
                for stems in self._compile(language, form, stops):
                    if len(stems) > 1:
                        bucket = self._terms[language].setdefault(stems[0], [])
                        if (stems, self._compound) not in bucket:
                            bucket.append((stems, self._compound))
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
            "compounds": compounds,
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
    ) -> list[tuple[str, ...]]:
        """The key sequences a term is found by (one, or in Arabic a few)."""
        tokens = tokenize(form)
        if channel == "any":
            return [tuple(_acronym_key(t) for t in tokens)]
        if form.startswith("="):
            return [
                tuple(
                    "=" + _normalise(channel, t)
                    for t in tokens
                    if t not in stops[channel]
                )
            ]
        choices = [term_stems(channel, t) for t in tokens if t not in stops[channel]]
        return list(itertools.product(*choices))

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
        looked_up = list(map(table.get, tokens))
        # No None left once the tokens not seen before have their rows.
        rows = cast("list[_Row]", looked_up)
        if None in looked_up:
            rows = [
                row if row is not None else self._token_row(latin, token)
                for row, token in zip(looked_up, tokens, strict=True)
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
            compound = self._compound
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
                            pairs = _windows(
                                stems, by_key, compound=concept == compound
                            )
                        if not pairs:
                            continue
                    spans.setdefault(concept, []).extend(
                        (back[s], back[e]) for s, e in pairs
                    )
        inside = spans.pop(self._compound, None)
        if inside:
            spans = _outside_compounds(spans, inside)
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
        return self._batch if isinstance(self._batch, _BatchScanner) else None

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
        out: list[TextProfile] = []
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


def _outside_compounds(
    spans: dict[int, list[tuple[int, int]]], compounds: list[tuple[int, int]]
) -> dict[int, list[tuple[int, int]]]:
    """The spans that hold a whole compound or none of it (concept order kept).

    A term found on part of a compound ("البرمجيات", software, in "برمجيات
    الفدية", ransomware) reads a word the compound gives another sense.
    """
    out = {}
    for concept, found in spans.items():
        kept = [
            (s, e)
            for s, e in found
            if all(e < a or b < s or (s <= a and b <= e) for a, b in compounds)
        ]
        if kept:
            out[concept] = kept
    return out


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
    return Lexicon(raw["concepts"], raw.get("compounds"))


def idf(document_frequency: int, documents: int) -> float:
    """Smoothed inverse document frequency (scikit-learn's formula)."""
    return math.log((1 + documents) / (1 + document_frequency)) + 1.0
