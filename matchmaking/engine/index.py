"""The matching index: all programmes encoded once (tag matrices, concept and word
vectors), kept up to date one programme at a time.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from collections.abc import Sequence
from types import MappingProxyType
from typing import Any

import numpy as np
import scipy.sparse as sp

from matchmaking.engine.arrays import _BLOCK
from matchmaking.engine.arrays import NeedBatch
from matchmaking.engine.arrays import _dict_rows_to_csr
from matchmaking.engine.arrays import _Vocabulary
from matchmaking.engine.batch_ranking import BatchRanking
from matchmaking.engine.profiles import DEFAULT_CONFIG
from matchmaking.engine.profiles import MAX_WORD_DF
from matchmaking.engine.profiles import MAX_WORDS
from matchmaking.engine.profiles import MatchingConfig
from matchmaking.engine.profiles import NeedFeatures
from matchmaking.engine.profiles import NeedProfile
from matchmaking.engine.profiles import ProgrammeFeatures
from matchmaking.engine.profiles import ProgrammeProfile
from matchmaking.engine.profiles import delivery_modes_offered
from matchmaking.engine.profiles import is_targeted
from matchmaking.engine.reasons import _ProgrammeFacts
from matchmaking.engine.scoring import _blend
from matchmaking.engine.scoring import _normalised
from matchmaking.engine.scoring import _text_fields
from matchmaking.engine.text.analyser import Lexicon
from matchmaking.engine.text.analyser import default_lexicon
from matchmaking.engine.text.analyser import idf
from matchmaking.engine.text.profile import TextProfile

_DENSE_WORD_CELLS = 5_000_000


_PROFILE_CACHE_LIMIT = 200_000


_index_ids = itertools.count()


class MatchingIndex(BatchRanking):
    """All programmes, encoded once, for fast ranking in both directions.

    Build with :data:`build_index` (this class). Text statistics (word-stem
    vocabulary and idf, concept idf) are fitted on the programmes at build time
    and kept fixed by :meth:`upsert_programme`; rebuild the index now and then
    (e.g. nightly) to refresh them.

    Scoring folds every component into one sparse x dense product: a need row
    holds its tag weights, its idf-weighted concept vector and its widespread
    word stems, each scaled by its component's weight over the need's weight
    total; a programme column holds its tag indicators, concept vector and
    stems. The other stems' cosine is added from a sparse x sparse product.
    That product runs in single precision over all pairs; the pairs that can
    rank (within a margin far above its error) are then scored exactly in
    double precision and rounded to 6 decimals. The text component of a
    ranked pair, and the best text relevance of a need whose ranked pairs are
    all below the unmet threshold, are computed exactly too.

    ``profiles`` maps a record's (title, summary, description), or its key, to
    a :class:`~matchmaking.engine.text.profile.TextProfile` already made (e.g.
    cached by the caller); the others are analysed, in ``workers`` processes
    when there are many (None: decided by size; 1: in this process).
    """

    def __init__(
        self,
        programmes: Sequence[ProgrammeProfile],
        *,
        topic_themes: Mapping[str, str],
        lexicon: Lexicon | None = None,
        config: MatchingConfig = DEFAULT_CONFIG,
        profiles: Mapping[Any, TextProfile] | None = None,
        workers: int | None = None,
    ) -> None:
        self.config = config
        self.topic_themes = dict(topic_themes)
        self.lexicon = lexicon or default_lexicon()
        self._profile_cache: dict[tuple[str, str, str], TextProfile] = {}
        self._id = next(_index_ids)
        self._layout = 0
        self._last_batch: tuple[Any, ...] | None = None
        keys = [p.key for p in programmes]
        if len(set(keys)) != len(keys):
            raise ValueError("programme keys must be unique")
        self.programmes: list[ProgrammeProfile] = list(programmes)
        self.position: dict[str, int] = {k: i for i, k in enumerate(keys)}
        analysed = self.text_profiles(programmes, profiles=profiles, workers=workers)
        # Concept idf over the programmes (what distinguishes one from another).
        df: dict[str, int] = {}
        for prof in analysed:
            for concept in prof.concepts:
                df[concept] = df.get(concept, 0) + 1
        n = max(1, len(programmes))
        self.concept_idf = {
            c.id: idf(df.get(c.id, 0), n) for c in self.lexicon.concepts
        }
        # Word-stem vocabulary and idf over the programmes; a need's words that
        # no programme uses cannot match anything and are dropped.
        word_df: dict[str, int] = {}
        for prof in analysed:
            for word in prof.words:
                word_df[word] = word_df.get(word, 0) + 1
        # Stems in more than half of the programmes say little and would make
        # every pair overlap; they are left out (like scikit-learn's max_df).
        kept = sorted(w for w, d in word_df.items() if d <= MAX_WORD_DF * n or n < 4)
        self.word_column = {w: i for i, w in enumerate(kept)}
        self.word_idf = np.array([idf(word_df[w], n) for w in kept], dtype=np.float64)
        self._word_idf = self.word_idf.tolist()
        # The most widespread stems are scored with the dense product (their
        # sparse products would be nearly dense), the others sparsely.
        dense = min(len(kept), _DENSE_WORD_CELLS // n)
        by_df = sorted(range(len(kept)), key=lambda c: (-word_df[kept[c]], c))
        self._dense_words = np.array(sorted(by_df[:dense]), dtype=np.int64)
        self._sparse_words = np.array(sorted(by_df[dense:]), dtype=np.int64)
        # Stem column -> (True, position among the dense ones) or (False,
        # position among the sparse ones).
        self._word_part = {
            **{c: (True, k) for k, c in enumerate(self._dense_words.tolist())},
            **{c: (False, k) for k, c in enumerate(self._sparse_words.tolist())},
        }
        # Vocabularies for the tag matrices.
        self.v_topics = _Vocabulary(
            [*self.topic_themes, *(t for p in programmes for t in p.topics)]
        )
        self.v_themes = _Vocabulary(self.topic_themes.values())
        self.v_assist = _Vocabulary(a for p in programmes for a in p.assistance_types)
        self.v_aud = _Vocabulary(a for p in programmes for a in p.audiences)
        self.v_langs = _Vocabulary(lang for p in programmes for lang in p.languages)
        self.v_places = _Vocabulary(
            [
                *(r for p in programmes for r in p.regions),
                *(c for p in programmes for c in p.countries),
            ]
        )
        self.v_concepts = _Vocabulary(
            [
                *(c.id for c in self.lexicon.concepts),
                *("topic:" + t for t in self.topic_themes),
                *("topic:" + t for c in self.lexicon.concepts for t in c.topics),
            ]
        )
        self.features: list[ProgrammeFeatures] = [
            self._programme_features(p, prof)
            for p, prof in zip(programmes, analysed, strict=True)
        ]
        self._rebuild_matrices()

    # -- encoding ----------------------------------------------------------

    @property
    def profile_cache(self) -> Mapping[tuple[str, str, str], TextProfile]:
        """Text analyses made or given so far, by (title, summary, description).

        Read-only; a caller may persist them (``TextProfile.to_dict``, keyed
        with ``lexicon.fingerprint``) and pass them back as ``profiles``.
        """
        return MappingProxyType(self._profile_cache)

    def _remember(self, key: tuple[str, str, str], profile: TextProfile) -> None:
        if len(self._profile_cache) < _PROFILE_CACHE_LIMIT:
            self._profile_cache[key] = profile

    def text_profile(self, record: NeedProfile | ProgrammeProfile) -> TextProfile:
        """The lexicon analysis of a record's text (cached by content)."""
        key = (record.title, record.summary, record.description)
        cached = self._profile_cache.get(key)
        if cached is None:
            cached = self.lexicon.profile(_text_fields(record))
            self._remember(key, cached)
        return cached

    def text_profiles(
        self,
        records: Sequence[NeedProfile | ProgrammeProfile],
        *,
        profiles: Mapping[Any, TextProfile] | None = None,
        workers: int | None = None,
    ) -> list[TextProfile]:
        """The lexicon analyses of many records, in order.

        Each comes from the index's cache, else from ``profiles`` (looked up by
        the record's (title, summary, description), then by its key: a profile
        given by key is trusted to be that of the record's current text), else
        it is computed, in ``workers`` processes when there are many (see
        :meth:`~matchmaking.engine.text.analyser.Lexicon.profiles`; the result
        is the same).
        """
        found: list[TextProfile | None] = []
        missing: dict[tuple[str, str, str], list[int]] = {}
        for n, record in enumerate(records):
            key = (record.title, record.summary, record.description)
            prof = self._profile_cache.get(key)
            if prof is None and profiles is not None:
                prof = profiles.get(key)
                if prof is None:
                    prof = profiles.get(record.key)
                if prof is not None:
                    self._remember(key, prof)
            if prof is None:
                missing.setdefault(key, []).append(n)
            found.append(prof)
        if missing:
            todo = list(missing)
            made = self.lexicon.profiles(
                [{"title": t, "summary": s, "description": d} for t, s, d in todo],
                workers=workers,
            )
            for key, prof in zip(todo, made, strict=True):
                self._remember(key, prof)
                for n in missing[key]:
                    found[n] = prof
        return found  # type: ignore[return-value]

    def _concept_vector(self, prof: TextProfile) -> dict[str, float]:
        idf_of = self.concept_idf
        vector = {
            c: math.log1p(w) * idf_of.get(c, 1.0) for c, w in prof.concepts.items()
        }
        beta = self.config.topic_in_text
        if beta:
            norm = math.sqrt(sum([v * v for v in vector.values()])) or 1.0
            tnorm = math.sqrt(sum([v * v for v in prof.topics.values()])) or 1.0
            for slug, strength in prof.topics.items():
                vector["topic:" + slug] = beta * strength * norm / tnorm
        return _normalised(vector)

    def _word_vector(self, prof: TextProfile) -> dict[int, float]:
        column, idf_of, log1p = self.word_column, self._word_idf, math.log1p
        pairs = [
            (col, log1p(tf) * idf_of[col])
            for word, tf in prof.words.items()
            if (col := column.get(word)) is not None
        ]
        # Only a record's most distinctive stems: they carry nearly all of the
        # cosine, and a short vector keeps the sparse products sparse.
        if len(pairs) > MAX_WORDS:
            best = sorted([(-v, col) for col, v in pairs])[:MAX_WORDS]
            pairs = [(col, -v) for v, col in best]
        pairs.sort()
        norm = math.sqrt(sum([v * v for _, v in pairs]))
        return {col: v / norm for col, v in pairs} if norm else {}

    def _programme_features(
        self, programme: ProgrammeProfile, prof: TextProfile
    ) -> ProgrammeFeatures:
        return ProgrammeFeatures(
            key=programme.key,
            topics=programme.topics,
            themes=frozenset(
                self.topic_themes[t] for t in programme.topics if t in self.topic_themes
            ),
            assistance_types=programme.assistance_types,
            audiences=programme.audiences,
            delivery_modes=delivery_modes_offered(programme),
            concepts=self._concept_vector(prof),
            words=self._word_vector(prof),
            targeted=is_targeted(programme),
        )

    def need_features(
        self, need: NeedProfile, *, profile: TextProfile | None = None
    ) -> NeedFeatures:
        """Encode one need (tags blended with what its text implies)."""
        return self._need_features(need, profile or self.text_profile(need))

    def _need_features(self, need: NeedProfile, prof: TextProfile) -> NeedFeatures:
        cfg = self.config
        # Tagged audiences/types are the need's own words; only an untagged need
        # borrows them from its text.
        audiences = (
            dict.fromkeys(sorted(need.audiences), 1.0)
            if need.audiences
            else _blend(frozenset(), prof.audiences, cfg)
        )
        assistance = (
            dict.fromkeys(sorted(need.assistance_types), 1.0)
            if need.assistance_types
            else _blend(frozenset(), prof.assistance_types, cfg)
        )
        return NeedFeatures(
            key=need.key,
            topics=_blend(need.topics, prof.topics, cfg),
            assistance_types=assistance,
            audiences=audiences,
            delivery_modes=need.delivery_modes,
            concepts=self._concept_vector(prof),
            words=self._word_vector(prof),
        )

    def encode_needs(
        self,
        needs: Sequence[NeedProfile],
        *,
        profiles: Mapping[Any, TextProfile] | None = None,
        workers: int | None = None,
    ) -> NeedBatch:
        """Encode needs once for repeated vectorised scoring.

        ``profiles`` and ``workers`` as in :meth:`text_profiles`.
        """
        analysed = self.text_profiles(needs, profiles=profiles, workers=workers)
        features = [
            self._need_features(need, prof)
            for need, prof in zip(needs, analysed, strict=True)
        ]
        return NeedBatch(
            keys=tuple(n.key for n in needs),
            needs=tuple(needs),
            features=tuple(features),
        )

    # -- matrices ----------------------------------------------------------

    def _rebuild_matrices(self) -> None:
        n = len(self.programmes)
        self.n_topics = len(self.v_topics)
        theme_of = np.full(self.n_topics, -1)
        for slug, col in self.v_topics.index.items():
            theme = self.topic_themes.get(slug)
            if theme is not None:
                theme_of[col] = self.v_themes.add(theme)
        # Row t: the topic columns of theme t (plus a zero row for "no theme").
        self._theme_columns = np.zeros((len(self.v_themes) + 1, self.n_topics))
        for col, theme in enumerate(theme_of):
            if theme >= 0:
                self._theme_columns[theme, col] = 1.0
        self._theme_topic_cols = [
            np.flatnonzero(theme_of == t) for t in range(len(self.v_themes))
        ]
        self._key_rank = np.empty(n, dtype=np.int64)
        order = sorted(range(n), key=lambda i: self.programmes[i].key)
        self._key_rank[order] = np.arange(n)
        # Dense programme-side arrays; rows are replaced in place on update.
        self._credit = np.zeros((n, self.n_topics))
        self._focus_rows = np.zeros((n, self.n_topics))
        self._p_assist = np.zeros((n, len(self.v_assist)))
        self._p_aud = np.zeros((n, len(self.v_aud)))
        self._p_concepts = np.zeros((n, len(self.v_concepts)))
        self._p_langs = np.zeros((n, len(self.v_langs)))
        self._p_places = np.zeros((n, len(self.v_places)), dtype=bool)
        self._worldwide = np.zeros(n, dtype=bool)
        self._ldc_only = np.zeros(n, dtype=bool)
        self._sids_only = np.zeros(n, dtype=bool)
        self._published = np.zeros(n, dtype=bool)
        self._full = np.zeros(n, dtype=bool)
        self._ends = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        self._fill_rows()
        rows = [self.features[i].words for i in range(n)]
        self._p_words = _dict_rows_to_csr(rows, len(self.word_column))
        self._p_words_t = self._p_words.T.tocsr()
        self._refresh_derived()

    def _refresh_derived(self) -> None:
        """Arrays derived from the per-row ones (after a build or an update)."""
        patterns = sorted({f.delivery_modes for f in self.features}, key=sorted)
        self._prog_patterns = {pat: k for k, pat in enumerate(patterns)}
        self._mode_pattern = np.array(
            [self._prog_patterns[f.delivery_modes] for f in self.features],
            dtype=np.int64,
        )
        one_hot = np.zeros((len(self.programmes), len(patterns)))
        one_hot[np.arange(len(self.programmes)), self._mode_pattern] = 1.0
        self._reach = np.array([f.targeted for f in self.features], dtype=np.float64)
        self._need_patterns: dict[frozenset[str], int] = {}
        self._delivery_table = np.zeros((0, len(patterns)))
        # Programme columns of the folded product (see the class docstring),
        # in blocks of columns that stay in cache while a chunk is scored.
        combined = np.hstack(
            [
                self._credit,
                self._focus_rows,
                self._p_aud,
                self._p_assist,
                one_hot,
                self._reach[:, None],
                self._p_concepts,
                self._p_words[:, self._dense_words].toarray(),
            ]
        )
        # Row by row (for exact scores of chosen cells), and in single
        # precision as (block, feature, programme in block), padded with zero
        # columns, for the first, approximate pass over all cells.
        self._combined_rows = np.ascontiguousarray(combined)
        blocks = -(-len(self.programmes) // _BLOCK)
        padded = np.zeros((blocks * _BLOCK, combined.shape[1]), dtype=np.float32)
        padded[: len(self.programmes)] = combined
        self._combined32 = np.ascontiguousarray(
            padded.reshape(blocks, _BLOCK, combined.shape[1]).transpose(0, 2, 1)
        )
        self._refresh_sparse_words()
        self._places_t = np.ascontiguousarray(self._p_places.T)
        self._langs_t = np.ascontiguousarray(self._p_langs.T > 0)
        self._explain_context: dict[int, _ProgrammeFacts] = {}
        self._reason_cache: dict[tuple[Any, ...], Any] = {}
        # Need-side arrays made for the previous layout no longer fit.
        self._layout += 1

    def _update_derived(self, i: int) -> None:
        """Refresh the derived columns of programme ``i`` (same layout)."""
        k = self._prog_patterns[self.features[i].delivery_modes]
        self._mode_pattern[i] = k
        one_hot = np.zeros(len(self._prog_patterns))
        one_hot[k] = 1.0
        self._reach[i] = float(self.features[i].targeted)
        column = np.concatenate(
            [
                self._credit[i],
                self._focus_rows[i],
                self._p_aud[i],
                self._p_assist[i],
                one_hot,
                self._reach[i : i + 1],
                self._p_concepts[i],
                self._p_words[i][:, self._dense_words].toarray().ravel(),
            ]
        )
        self._combined_rows[i] = column
        self._combined32[i // _BLOCK, :, i % _BLOCK] = column
        self._places_t[:, i] = self._p_places[i]
        self._langs_t[:, i] = self._p_langs[i] > 0
        self._explain_context.pop(i, None)

    def _refresh_sparse_words(self) -> None:
        self._sparse_words_rows = self._p_words[:, self._sparse_words].tocsr()
        self._sparse_words_t = self._sparse_words_rows.T.tocsr()

    def _column(self, i: int) -> np.ndarray:
        """Programme ``i``'s column of the folded product."""
        column: np.ndarray = self._combined_rows[i]
        return column

    def _grow(self, attr: str, vocab: _Vocabulary) -> bool:
        array = getattr(self, attr)
        if array.shape[1] < len(vocab):
            extra = np.zeros((array.shape[0], len(vocab) - array.shape[1]), array.dtype)
            setattr(self, attr, np.hstack([array, extra]))
            return True
        return False

    def _fill_rows(self) -> None:
        """Fill every programme row at once (what _fill_row does for one)."""
        th = self.config.theme_credit
        topic_index, theme_index = self.v_topics.index, self.v_themes.index
        credit: tuple[list[int], list[int]] = ([], [])
        topics: tuple[list[int], list[int], list[float]] = ([], [], [])
        assist: tuple[list[int], list[int]] = ([], [])
        aud: tuple[list[int], list[int]] = ([], [])
        concepts: tuple[list[int], list[int], list[float]] = ([], [], [])
        langs: tuple[list[int], list[int]] = ([], [])
        places: tuple[list[int], list[int]] = ([], [])
        flags = []
        never = np.iinfo(np.int64).max
        for i, (p, f) in enumerate(zip(self.programmes, self.features, strict=True)):
            for theme in f.themes:
                cols = self._theme_topic_cols[theme_index[theme]].tolist()
                credit[0].extend([i] * len(cols))
                credit[1].extend(cols)
            for t in p.topics:
                topics[0].append(i)
                topics[1].append(topic_index[t])
                topics[2].append(1.0 / len(p.topics))
            for slug in p.assistance_types:
                assist[0].append(i)
                assist[1].append(self.v_assist.index[slug])
            for slug in p.audiences:
                aud[0].append(i)
                aud[1].append(self.v_aud.index[slug])
            for c, w in f.concepts.items():
                concepts[0].append(i)
                concepts[1].append(self.v_concepts.index[c])
                concepts[2].append(w)
            for lang in p.languages:
                langs[0].append(i)
                langs[1].append(self.v_langs.index[lang])
            for place in (*p.regions, *p.countries):
                places[0].append(i)
                places[1].append(self.v_places.index[place])
            flags.append(
                (
                    not p.regions and not p.countries,
                    p.ldc_only,
                    p.sids_only,
                    p.is_published,
                    p.capacity is not None and p.capacity_used >= p.capacity,
                    p.ends_on.toordinal() if p.ends_on is not None else never,
                )
            )
        self._credit[credit] = th
        self._credit[topics[0], topics[1]] = 1.0
        self._focus_rows[topics[0], topics[1]] = topics[2]
        self._p_assist[assist] = 1.0
        self._p_aud[aud] = 1.0
        self._p_concepts[concepts[0], concepts[1]] = concepts[2]
        self._p_langs[langs] = 1.0
        self._p_places[places] = True
        if flags:
            worldwide, ldc, sids, published, full, ends = zip(*flags, strict=True)
            self._worldwide[:] = worldwide
            self._ldc_only[:] = ldc
            self._sids_only[:] = sids
            self._published[:] = published
            self._full[:] = full
            self._ends[:] = ends

    def _fill_row(self, i: int) -> None:
        p = self.programmes[i]
        f = self.features[i]
        credit = self._credit[i]
        credit[:] = 0.0
        for theme in f.themes:
            credit[self._theme_topic_cols[self.v_themes.index[theme]]] = (
                self.config.theme_credit
            )
        focus = self._focus_rows[i]
        focus[:] = 0.0
        if p.topics:
            cols = [self.v_topics.index[t] for t in p.topics]
            credit[cols] = 1.0
            focus[cols] = 1.0 / len(p.topics)
        self._p_assist[i] = 0.0
        self._p_assist[i, [self.v_assist.index[a] for a in p.assistance_types]] = 1.0
        self._p_aud[i] = 0.0
        self._p_aud[i, [self.v_aud.index[a] for a in p.audiences]] = 1.0
        self._p_concepts[i] = 0.0
        if f.concepts:
            index = self.v_concepts.index
            self._p_concepts[i, [index[c] for c in f.concepts]] = list(
                f.concepts.values()
            )
        self._p_langs[i] = 0.0
        self._p_langs[i, [self.v_langs.index[lang] for lang in p.languages]] = 1.0
        self._p_places[i] = False
        places = [self.v_places.index[x] for x in (*p.regions, *p.countries)]
        self._p_places[i, places] = True
        self._worldwide[i] = not p.regions and not p.countries
        self._ldc_only[i] = p.ldc_only
        self._sids_only[i] = p.sids_only
        self._published[i] = p.is_published
        self._full[i] = p.capacity is not None and p.capacity_used >= p.capacity
        self._ends[i] = (
            p.ends_on.toordinal() if p.ends_on is not None else np.iinfo(np.int64).max
        )

    def upsert_programme(
        self,
        programme: ProgrammeProfile,
        *,
        profile: TextProfile | None = None,
    ) -> None:
        """Add or replace one programme (text statistics stay as fitted).

        ``profile``: its text analysis, if the caller has it (else computed).
        """
        for slug in programme.topics:
            self.v_topics.add(slug)
        for a in programme.assistance_types:
            self.v_assist.add(a)
        for a in programme.audiences:
            self.v_aud.add(a)
        for lang in programme.languages:
            self.v_langs.add(lang)
        for place in (*programme.regions, *programme.countries):
            self.v_places.add(place)
        if profile is not None:
            self._remember(
                (programme.title, programme.summary, programme.description), profile
            )
        features = self._programme_features(
            programme, profile or self.text_profile(programme)
        )
        if len(self.v_topics) != self.n_topics or programme.key not in self.position:
            # A new row or a new topic column: rebuild the (small) dense arrays.
            if programme.key in self.position:
                i = self.position[programme.key]
                self.programmes[i], self.features[i] = programme, features
            else:
                self.position[programme.key] = len(self.programmes)
                self.programmes.append(programme)
                self.features.append(features)
            self._rebuild_matrices()
            return
        i = self.position[programme.key]
        self.programmes[i], self.features[i] = programme, features
        grew = False
        for attr, vocab in (
            ("_p_assist", self.v_assist),
            ("_p_aud", self.v_aud),
            ("_p_langs", self.v_langs),
            ("_p_places", self.v_places),
        ):
            grew |= self._grow(attr, vocab)
        self._fill_row(i)
        row = _dict_rows_to_csr([features.words], self._p_words.shape[1])
        self._p_words = sp.vstack(
            [self._p_words[:i], row, self._p_words[i + 1 :]], format="csr"
        )
        self._p_words_t = self._p_words.T.tocsr()
        self._refresh_sparse_words()
        if grew or features.delivery_modes not in self._prog_patterns:
            self._refresh_derived()
        else:
            self._update_derived(i)


# The engine's verb for making one (``build_index(programmes, topic_themes=...)``):
# the class itself, so that its arguments are declared once.
build_index = MatchingIndex
