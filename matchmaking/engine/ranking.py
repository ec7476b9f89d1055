"""Ranking encoded needs against the index: vectorised scores, exact re-scoring of the
pairs that can rank, unmet detection, worker processes.
"""

from __future__ import annotations

import multiprocessing
import operator
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse import _sparsetools

from matchmaking.engine.profiles import (
    SCORE_DECIMALS,
    Components,
    Match,
    MatchingConfig,
    NeedFeatures,
    NeedProfile,
    NeedResult,
    ProgrammeFeatures,
    ProgrammeProfile,
    Reason,
)
from matchmaking.engine.reasons import (
    _explain,
    _need_facts,
    _NeedFacts,
    _programme_facts,
    _ProgrammeFacts,
)
from matchmaking.engine.scoring import _delivery


class _Vocabulary:
    """Slug -> column, growing when an update brings a new slug."""

    def __init__(self, slugs: Iterable[str] = ()) -> None:
        self.index: dict[str, int] = {}
        for slug in sorted(set(slugs)):
            self.add(slug)

    def add(self, slug: str) -> int:
        if slug not in self.index:
            self.index[slug] = len(self.index)
        return self.index[slug]

    def __len__(self) -> int:
        return len(self.index)


@dataclass(frozen=True)
class NeedBatch:
    """Needs encoded for vectorised scoring against a :class:`MatchingIndex`."""

    keys: tuple[str, ...]
    needs: tuple[NeedProfile, ...]
    features: tuple[NeedFeatures, ...]
    # The batch's need-side arrays for one index layout, made on first use by
    # MatchingIndex.top_needs; a cache, not part of the value.
    _arrays: dict[tuple[int, int], dict[str, Any]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )


@dataclass(frozen=True, eq=False)
class CandidateArcs:
    """Each need's best eligible programmes (see :meth:`MatchingIndex.candidates`).

    Arrays of (need, programme, score) arcs, need by need in batch order, each
    need's best first; iterating gives (need key, programme key, score)
    triples, so it can go wherever :func:`allocate` takes candidates (which
    reads the arrays directly).
    """

    need_keys: tuple[str, ...]
    programme_keys: tuple[str, ...]
    needs: np.ndarray  # int64 positions in need_keys
    programmes: np.ndarray  # int64 positions in programme_keys
    scores: np.ndarray  # float64, rounded like match scores

    def __len__(self) -> int:
        return int(self.scores.size)

    def __iter__(self) -> Iterator[tuple[str, str, float]]:
        need_keys, programme_keys = self.need_keys, self.programme_keys
        return zip(
            map(need_keys.__getitem__, self.needs.tolist()),
            map(programme_keys.__getitem__, self.programmes.tolist()),
            self.scores.tolist(),
            strict=True,
        )


# Above one chunk of needs, the chunks are scored in forked worker processes
# (one per available core, at most this many) while this process builds the
# results and explanations; see _can_fork for when it does not fork.
MAX_RANK_WORKERS = 4


# Programme columns per block of the folded product; and how many cells
# (stems x programmes) the dense part of the word matrix may take.
_BLOCK = 1024


# The single-precision pass errs by at most ~(terms + 2) x 2**-24 on a score of
# at most 1 (its terms, a need row's non-zeros, are non-negative and a few
# hundred at most): far below this margin, which also covers the rounding.
_MARGIN = 1e-4


class Ranking:
    """The ranking half of :class:`MatchingIndex`: scoring, selecting and explaining
    the best pairs of encoded needs and programmes."""

    # What the ranking reads of the index (MatchingIndex sets every one).
    config: MatchingConfig
    topic_themes: dict[str, str]
    programmes: list[ProgrammeProfile]
    features: list[ProgrammeFeatures]
    position: dict[str, int]
    n_topics: int
    v_topics: _Vocabulary
    v_themes: _Vocabulary
    v_assist: _Vocabulary
    v_aud: _Vocabulary
    v_langs: _Vocabulary
    v_places: _Vocabulary
    v_concepts: _Vocabulary
    encode_needs: Callable[..., NeedBatch]
    _column: Callable[[int], np.ndarray]
    _id: int
    _layout: int
    _word_part: dict[int, tuple[bool, int]]
    _dense_words: np.ndarray
    _sparse_words: np.ndarray
    _theme_columns: np.ndarray
    _key_rank: np.ndarray
    _credit: np.ndarray
    _focus_rows: np.ndarray
    _p_assist: np.ndarray
    _p_aud: np.ndarray
    _p_concepts: np.ndarray
    _worldwide: np.ndarray
    _ldc_only: np.ndarray
    _sids_only: np.ndarray
    _published: np.ndarray
    _full: np.ndarray
    _ends: np.ndarray
    _mode_pattern: np.ndarray
    _combined_rows: np.ndarray
    _combined32: np.ndarray
    _places_t: np.ndarray
    _langs_t: np.ndarray
    _p_words: Any  # scipy.sparse.csr_matrix (scipy has no type stubs)
    _p_words_t: Any
    _sparse_words_rows: Any
    _sparse_words_t: Any
    _prog_patterns: dict[frozenset[str], int]
    _need_patterns: dict[frozenset[str], int]
    _explain_context: dict[int, _ProgrammeFacts]
    _reason_cache: dict[tuple[Any, ...], Any]
    _last_batch: tuple[Any, ...] | None
    _delivery_table: np.ndarray

    # -- scoring -----------------------------------------------------------

    def _need_arrays(self, batch: NeedBatch, rows: slice) -> dict[str, Any]:
        """Need-side arrays of some rows of a batch, aligned with the index."""
        needs = batch.needs[rows]
        feats = batch.features[rows]
        m = len(needs)
        cfg = self.config
        th = cfg.theme_credit
        topic_index, theme_index = self.v_topics.index, self.v_themes.index
        topic_w = np.zeros((m, self.n_topics))
        focus_q = np.zeros((m, self.n_topics))
        assist = np.zeros((m, len(self.v_assist)))
        aud = np.zeros((m, len(self.v_aud)))
        mode_pattern = np.zeros(m, dtype=np.int64)
        concepts = np.zeros((m, len(self.v_concepts)))
        has = np.zeros((m, 5), dtype=bool)
        signatures: dict[tuple[Any, ...], int] = {}
        signature = np.zeros(m, dtype=np.int64)
        word_rows = []
        theme_rows: dict[frozenset[int], np.ndarray] = {}
        for r, (need, f) in enumerate(zip(needs, feats, strict=True)):
            # Unknown slugs still count in the totals: they can never be covered.
            total = sum(f.topics.values())
            need_themes = set()
            topic_cols = []
            for slug, w in f.topics.items():
                col = topic_index.get(slug)
                theme = self.topic_themes.get(slug)
                if theme is not None:
                    need_themes.add(theme_index.get(theme, -1))
                if col is not None:
                    topic_w[r, col] = w / total
                    topic_cols.append(col)
            if need_themes:
                key = frozenset(need_themes)
                credit = theme_rows.get(key)
                if credit is None:
                    credit = theme_rows[key] = th * self._theme_columns[
                        sorted(need_themes)
                    ].max(axis=0)
                focus_q[r] = credit
            focus_q[r, topic_cols] = 1.0
            _fill_weights(assist[r], f.assistance_types, self.v_assist)
            _fill_weights(aud[r], f.audiences, self.v_aud)
            mode_pattern[r] = self._need_pattern(f.delivery_modes)
            if f.concepts:
                index = self.v_concepts.index
                concepts[r, [index[c] for c in f.concepts]] = list(f.concepts.values())
            # Eligibility depends on the need through these facts only.
            places = tuple(
                sorted(
                    {
                        self.v_places.index[p]
                        for p in (need.country, *need.country_regions)
                        if p in self.v_places.index
                    }
                )
            )
            langs = tuple(
                sorted(
                    self.v_langs.index[lang]
                    for lang in need.languages
                    if lang in self.v_langs.index
                )
            )
            facts = (places, langs, need.is_ldc, need.is_sids)
            signature[r] = signatures.setdefault(facts, len(signatures))
            has[r] = (
                bool(f.topics),
                bool(f.concepts or f.words),
                bool(f.audiences),
                bool(f.assistance_types),
                bool(f.delivery_modes),
            )
            word_rows.append(f.words)
        cw = cfg.weights
        weights = np.array([cw.topic, cw.text, cw.audience, cw.assistance, cw.delivery])
        den = has @ weights
        den[den == 0] = 1.0
        # Each need's factor per component: its weight over the need's total.
        scale = has * (weights / den[:, None])
        words = _dict_rows_to_csr(word_rows, self._p_words.shape[1])
        # The need's stems, weighted like the concepts, split between the
        # dense product (widespread stems) and the sparse one (the others).
        word_scale = (scale[:, 1] * (1 - cfg.concept_share)).tolist()
        dense_words = np.zeros((m, len(self._dense_words)))
        sparse_rows: list[dict[int, float]] = []
        part = self._word_part
        for r, row in enumerate(word_rows):
            factor = word_scale[r]
            rare = {}
            for col, w in row.items():
                dense, k = part[col]
                if dense:
                    dense_words[r, k] = factor * w
                else:
                    rare[k] = factor * w
            sparse_rows.append(rare)
        linear = np.hstack(
            [
                topic_w * (scale[:, 0:1] * (1 - cfg.focus)),
                focus_q * (scale[:, 0:1] * cfg.focus),
                aud * scale[:, 2:3],
                assist * scale[:, 3:4],
                self._delivery_table[mode_pattern] * scale[:, 4:5],
                concepts * (scale[:, 1:2] * cfg.concept_share),
                dense_words,
            ]
        )
        return {
            "topic_w": topic_w,
            "focus_q": focus_q,
            "assist": assist,
            "aud": aud,
            "mode_pattern": mode_pattern,
            "concepts": concepts,
            "words": words,
            "linear": (linear := sp.csr_matrix(linear)),
            "linear32": linear.astype(np.float32),
            "sparse_words": _dict_rows_to_csr(sparse_rows, len(self._sparse_words)),
            "has": has,
            "signatures": list(signatures),
            "signature": signature,
        }

    def _batch_arrays(self, batch: NeedBatch) -> dict[str, Any]:
        """The need-side arrays of a whole batch, made once per layout.

        Kept with the batch, and with the index for the last batch: a caller
        that builds a new batch of the same encoded needs (the same objects)
        for each programme edit finds them again.
        """
        key = (self._id, self._layout)
        arrays = batch._arrays.get(key)
        if arrays is not None:
            return arrays
        last = self._last_batch
        if (
            last is not None
            and last[0] == self._layout
            and len(last[1]) == len(batch.needs)
            and all(map(operator.is_, last[1], batch.needs))
            and all(map(operator.is_, last[2], batch.features))
        ):
            arrays = last[3]
        else:
            arrays = self._need_arrays(batch, slice(None))
            self._last_batch = (self._layout, batch.needs, batch.features, arrays)
        batch._arrays.clear()
        batch._arrays[key] = arrays
        return arrays

    def _eligible(
        self, arrays: Mapping[str, Any], today: date, cols: np.ndarray | None = None
    ) -> np.ndarray:
        """Eligibility of needs x programmes (all, or the columns ``cols``).

        Needs with the same places, languages and LDC/SIDS status share a row,
        computed once from the programmes' rules.
        """
        if cols is not None and len(cols) == 1:
            return self._eligible_one(arrays, today, int(cols[0]))
        sel = slice(None) if cols is None else cols
        open_now = (
            self._published[sel]
            & ~self._full[sel]
            & (self._ends[sel] >= today.toordinal())
        )
        worldwide = self._worldwide[sel]
        not_ldc_only, not_sids_only = ~self._ldc_only[sel], ~self._sids_only[sel]
        signatures = arrays["signatures"]
        table = np.zeros((len(signatures), open_now.size), dtype=bool)
        for s, (places, langs, ldc, sids) in enumerate(signatures):
            if not langs:
                continue
            row = table[s]
            if places:
                np.any(self._places_t[list(places)][:, sel], axis=0, out=row)
                row |= worldwide
            else:
                row[:] = worldwide
            row &= self._langs_t[list(langs)][:, sel].any(axis=0)
            row &= open_now
            if not ldc:
                row &= not_ldc_only
            if not sids:
                row &= not_sids_only
        eligible: np.ndarray = table[arrays["signature"]]
        return eligible

    def _eligible_one(
        self, arrays: Mapping[str, Any], today: date, i: int
    ) -> np.ndarray:
        """:meth:`_eligible` for the one programme ``i`` (a needs x 1 column)."""
        places = set(np.flatnonzero(self._places_t[:, i]).tolist())
        langs = set(np.flatnonzero(self._langs_t[:, i]).tolist())
        worldwide = bool(self._worldwide[i])
        ldc_only, sids_only = bool(self._ldc_only[i]), bool(self._sids_only[i])
        open_now = bool(
            self._published[i]
            and not self._full[i]
            and self._ends[i] >= today.toordinal()
        )
        table = np.array(
            [
                open_now
                and (worldwide or not places.isdisjoint(need_places))
                and not langs.isdisjoint(need_langs)
                and (ldc or not ldc_only)
                and (sids or not sids_only)
                for need_places, need_langs, ldc, sids in arrays["signatures"]
            ],
            dtype=bool,
        ).reshape(-1, 1)
        eligible: np.ndarray = table[arrays["signature"]]
        return eligible

    def _scores(self, arrays: Mapping[str, Any]) -> np.ndarray:
        """Approximate scores of needs x all programmes, in single precision.

        Unrounded, and within far less than ``_MARGIN`` of the exact scores.
        """
        linear = arrays["linear32"]
        n = len(self.programmes)
        scores = np.empty((linear.shape[0], n), dtype=np.float32)
        for b in range(self._combined32.shape[0]):
            start = b * _BLOCK
            width = min(_BLOCK, n - start)
            part = linear @ self._combined32[b]
            scores[:, start : start + width] = part[:, :width]
        words = arrays["sparse_words"] @ self._sparse_words_t
        _add_sparse(scores, words.astype(np.float32))
        return scores

    def _exact_scores(
        self, arrays: Mapping[str, Any], rows: np.ndarray, cols: np.ndarray
    ) -> np.ndarray:
        """Rounded scores of chosen (need row, programme) cells, exactly.

        The folded product's terms are summed in the same order as the sparse
        x dense product would (the need row's stored order).
        """
        linear = arrays["linear"]
        indptr = linear.indptr
        counts = (indptr[rows + 1] - indptr[rows]).astype(np.int64)
        pair = np.repeat(np.arange(rows.size), counts)
        offset = np.arange(pair.size) - np.repeat(np.cumsum(counts) - counts, counts)
        nz = np.repeat(indptr[rows], counts) + offset
        width = self._combined_rows.shape[1]
        flat = cols[pair] * width + linear.indices[nz]
        terms = linear.data[nz] * np.take(self._combined_rows.reshape(-1), flat)
        scores = np.bincount(pair, weights=terms, minlength=rows.size)
        words = arrays["sparse_words"][rows].multiply(self._sparse_words_rows[cols])
        if words.nnz:
            scores += np.asarray(words.sum(axis=1)).ravel()
        return np.round(scores, SCORE_DECIMALS, out=scores)

    def _select(
        self,
        arrays: Mapping[str, Any],
        scores: np.ndarray,
        ok: np.ndarray,
        k: int,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The k best eligible columns of each row: score desc, then key asc.

        Returns (rows, columns, exact rounded scores), row by row, best first.
        ``scores`` (approximate, see _scores) is overwritten: ineligible cells
        become -1.

        Each row is cut into blocks; k blocks each hold a value at least the
        k-th largest block maximum, so the k-th largest approximate score is at
        least that bound. A cell of the exact top k (or tied with its last
        one) scores at least that bound less twice the approximation error and
        the rounding: the cells above the bound less ``_MARGIN`` are scored
        exactly, and only they are sorted.
        """
        m, n = scores.shape
        if m == 0 or n == 0 or k <= 0:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty, np.empty(0)
        # Ineligible cells to -1: x * 1 - 0 = x, x * 0 - 1 = -1 (exactly).
        np.multiply(scores, ok, out=scores)
        np.subtract(scores, ~ok, out=scores)
        blocks = min(n, max(64, 4 * k))
        if k < blocks:
            starts = np.linspace(0, n, blocks, endpoint=False).astype(np.int64)
            block_max = np.maximum.reduceat(scores, starts, axis=1)
            bound = np.partition(block_max, blocks - k, axis=1)[:, blocks - k]
            # Eligible cells score at least 0; ineligible ones are -1.
            np.maximum(bound, 0.0, out=bound)
        else:
            bound = np.zeros(m, dtype=scores.dtype)
        bound -= _MARGIN
        rows, cols = np.nonzero(scores >= bound[:, None])
        values = self._exact_scores(arrays, rows, cols)
        order = np.lexsort((self._key_rank[cols], -values, rows))
        rows, cols, values = rows[order], cols[order], values[order]
        # Rank of each cell within its row; keep the first k.
        counts = np.bincount(rows, minlength=m)
        first = np.repeat(np.cumsum(counts) - counts, counts)
        keep = np.arange(rows.size) - first < k
        return rows[keep], cols[keep], values[keep]

    def _pair_text(
        self, arrays: Mapping[str, Any], rows: np.ndarray, cols: np.ndarray
    ) -> np.ndarray:
        """Text relevance of chosen (need row, programme) cells."""
        share = self.config.concept_share
        concept = np.einsum(
            "ij,ij->i", arrays["concepts"][rows], self._p_concepts[cols]
        )
        words = arrays["words"][rows].multiply(self._p_words[cols]).sum(axis=1)
        text = share * concept + (1 - share) * np.asarray(words).ravel()
        clipped: np.ndarray = np.clip(text, 0.0, 1.0, out=text)
        return clipped

    def _text_rows(self, arrays: Mapping[str, Any], rows: np.ndarray) -> np.ndarray:
        """Text relevance of some need rows against every programme."""
        share = self.config.concept_share
        text = arrays["concepts"][rows] @ self._p_concepts.T
        text *= share
        words = arrays["words"][rows] @ self._p_words_t
        if words.nnz:
            words.data *= 1 - share
            _add_sparse(text, words)
        clipped: np.ndarray = np.clip(text, 0.0, 1.0, out=text)
        return clipped

    def _unmet(
        self,
        arrays: Mapping[str, Any],
        ok: np.ndarray,
        rows: np.ndarray,
        text: np.ndarray,
    ) -> list[str | None]:
        """The unmet reason of each need row, given its ranked pairs' text."""
        m = ok.shape[0]
        threshold = self.config.unmet_threshold
        best = np.full(m, -1.0)
        np.maximum.at(best, rows, text)
        counts = np.bincount(rows, minlength=m)
        unmet: list[str | None] = [None] * m
        # The best text over all eligible programmes is at least the best of
        # the ranked ones: only needs below the threshold there need it all.
        check = [
            r
            for r, (b, c) in enumerate(zip(best.tolist(), counts.tolist(), strict=True))
            if c and round(b, SCORE_DECIMALS) < threshold
        ]
        # A need with neither concepts nor stems has no text relevance at all.
        has_text = arrays["has"][:, 1].tolist()
        for r in check:
            if not has_text[r]:
                unmet[r] = "none_relevant"
        check = [r for r in check if has_text[r]]
        if check:
            full = self._text_rows(arrays, np.array(check))
            full[~ok[check]] = -1.0
            for r, b in zip(check, full.max(axis=1).tolist(), strict=True):
                if round(b, SCORE_DECIMALS) < threshold:
                    unmet[r] = "none_relevant"
        for r in np.flatnonzero(counts == 0).tolist():
            unmet[r] = "no_eligible"
        return unmet

    def _need_pattern(self, modes: frozenset[str]) -> int:
        """Row of the delivery table for a need's modes (added on first sight)."""
        k = self._need_patterns.get(modes)
        if k is None:
            k = self._need_patterns[modes] = len(self._need_patterns)
            row = [
                _delivery(modes, pattern) if modes else 0.0
                for pattern in self._prog_patterns
            ]
            self._delivery_table = np.vstack([self._delivery_table, [row]])
        return k

    def _component_values(
        self,
        arrays: Mapping[str, Any],
        rows: np.ndarray,
        cols: np.ndarray,
        text: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Components of chosen (need row, programme) cells, and which apply.

        Two (cells x 5) arrays: topic, text, audience, assistance, delivery
        values, and whether the need has data for each.
        """
        cfg = self.config
        coverage = np.einsum("ij,ij->i", arrays["topic_w"][rows], self._credit[cols])
        focus = np.einsum("ij,ij->i", arrays["focus_q"][rows], self._focus_rows[cols])
        topic = (1 - cfg.focus) * coverage + cfg.focus * focus
        audience = np.einsum("ij,ij->i", arrays["aud"][rows], self._p_aud[cols])
        assistance = np.einsum("ij,ij->i", arrays["assist"][rows], self._p_assist[cols])
        delivery = self._delivery_table[
            arrays["mode_pattern"][rows], self._mode_pattern[cols]
        ]
        values = np.stack([topic, text, audience, assistance, delivery], axis=1)
        return values, arrays["has"][rows]

    def _components_many(
        self,
        arrays: Mapping[str, Any],
        rows: np.ndarray,
        cols: np.ndarray,
        text: np.ndarray,
    ) -> list[Components]:
        """The components of chosen (need row, programme) cells, vectorised."""
        return _components(*self._component_values(arrays, rows, cols, text))

    def _rank_chunk(
        self, batch: NeedBatch, rows: slice, today: date, top: int
    ) -> tuple[Any, ...]:
        """The numeric part of ranking some needs (runs in a worker process)."""
        arrays = self._need_arrays(batch, rows)
        ok = self._eligible(arrays, today)
        scores = self._scores(arrays)
        sel_rows, sel_cols, sel_scores = self._select(arrays, scores, ok, top)
        del scores
        text = self._pair_text(arrays, sel_rows, sel_cols)
        values, has = self._component_values(arrays, sel_rows, sel_cols, text)
        unmet = self._unmet(arrays, ok, sel_rows, text)
        counts = np.bincount(sel_rows, minlength=ok.shape[0])
        return counts, sel_cols, sel_scores, values, has, unmet

    def _candidate_chunk(
        self, batch: NeedBatch, rows: slice, today: date, top: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        arrays = self._need_arrays(batch, rows)
        ok = self._eligible(arrays, today)
        scores = self._scores(arrays)
        return self._select(arrays, scores, ok, top)

    def _chunks(
        self,
        batch: NeedBatch,
        chunk_size: int,
        job: str,
        today: date,
        top: int,
        workers: int | None,
    ) -> Iterator[tuple[int, Any]]:
        """(start, result of the method ``job``) for each chunk, in order.

        With more than one chunk and more than one worker, the chunks are
        computed in forked processes (they inherit the index and the batch;
        only the small results travel back); otherwise, or if processes
        cannot be started, here.
        """
        # Delivery patterns are added on first sight: add them all now, so
        # that the jobs only read the index.
        for f in batch.features:
            self._need_pattern(f.delivery_modes)
        size = max(1, chunk_size)
        starts = list(range(0, len(batch.keys), size))
        if workers is None:
            workers = min(os.process_cpu_count() or 1, MAX_RANK_WORKERS)
        workers = min(workers, len(starts))
        run = getattr(self, job)
        pool: ProcessPoolExecutor | None = None
        futures: list[Future[Any]] = []
        if workers > 1 and _can_fork():
            global _fork_state  # read by the forked workers, cleared below
            _fork_state = (self, batch)
            try:
                pool = ProcessPoolExecutor(
                    workers, mp_context=multiprocessing.get_context("fork")
                )
                futures = [
                    pool.submit(_run_chunk, job, start, size, today, top)
                    for start in starts
                ]
            except (OSError, BrokenProcessPool):
                futures = []
            finally:
                _fork_state = None
        try:
            for n, start in enumerate(starts):
                result = None
                if futures:
                    try:
                        result = futures[n].result()
                    except (OSError, BrokenProcessPool):
                        futures = []
                if result is None:
                    result = run(batch, slice(start, start + size), today, top)
                yield start, result
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

    def rank_batch(
        self,
        batch: NeedBatch,
        *,
        today: date,
        top: int = 10,
        chunk_size: int = 1024,
        explain: bool = True,
        workers: int | None = None,
    ) -> Iterator[NeedResult]:
        """Top programmes for every need in the batch, chunk by chunk.

        ``workers``: processes scoring the chunks (None: one per core, at most
        ``MAX_RANK_WORKERS``; 1: this process only); same results either way.
        """
        for start, result in self._chunks(
            batch, chunk_size, "_rank_chunk", today, top, workers
        ):
            counts, cols, scores, values, has, unmet = result
            components = _components(values, has)
            scores = scores.tolist()
            j = 0
            for r, count in enumerate(counts.tolist()):
                b = start + r
                matches = []
                facts = None
                if explain and count:
                    facts = _need_facts(
                        batch.needs[b], batch.features[b], self.topic_themes
                    )
                for i in cols[j : j + count].tolist():
                    matches.append(
                        self._match(
                            batch,
                            b,
                            i,
                            scores[j],
                            components[j],
                            explain,
                            today,
                            facts,
                        )
                    )
                    j += 1
                yield NeedResult(
                    need=batch.keys[b], matches=tuple(matches), unmet=unmet[r]
                )

    def candidates(
        self,
        batch: NeedBatch,
        *,
        today: date,
        top_k: int = 50,
        chunk_size: int = 1024,
        workers: int | None = None,
    ) -> CandidateArcs:
        """Each need's ``top_k`` best eligible programmes, for :func:`allocate`.

        The same pairs and scores as ``rank_batch(batch, top=top_k)`` would
        list, without building matches, components or explanations.
        """
        need_idx, prog_idx, scores = [], [], []
        for start, (rows, cols, values) in self._chunks(
            batch, chunk_size, "_candidate_chunk", today, top_k, workers
        ):
            need_idx.append(rows + start)
            prog_idx.append(cols)
            scores.append(values)
        return CandidateArcs(
            need_keys=tuple(batch.keys),
            programme_keys=tuple(p.key for p in self.programmes),
            needs=np.concatenate([*need_idx, np.empty(0, dtype=np.int64)]),
            programmes=np.concatenate([*prog_idx, np.empty(0, dtype=np.int64)]),
            scores=np.concatenate([*scores, np.empty(0)]),
        )

    def rank_need(
        self, need: NeedProfile, *, today: date, top: int = 10, explain: bool = True
    ) -> NeedResult:
        """Top programmes for one (new or just edited) need."""
        batch = self.encode_needs([need])
        return next(
            self.rank_batch(batch, today=today, top=top, explain=explain, workers=1)
        )

    def rank_needs(
        self,
        needs: Sequence[NeedProfile],
        *,
        today: date,
        top: int = 10,
        chunk_size: int = 1024,
        explain: bool = True,
    ) -> list[NeedResult]:
        """Top programmes for each need (full rematch)."""
        batch = self.encode_needs(needs)
        return list(
            self.rank_batch(
                batch, today=today, top=top, chunk_size=chunk_size, explain=explain
            )
        )

    def top_needs(
        self,
        programme_key: str,
        batch: NeedBatch,
        *,
        today: date,
        top: int = 10,
        explain: bool = True,
    ) -> tuple[Match, ...]:
        """Top needs for one programme among candidate needs (already visible).

        The batch's need-side arrays are made once and kept with the batch, so
        re-scoring a just edited programme against the same batch is cheap.
        """
        i = self.position[programme_key]
        arrays = self._batch_arrays(batch)
        ok = self._eligible(arrays, today, cols=np.array([i]))[:, 0]
        rows = np.flatnonzero(ok)
        if rows.size == 0 or top <= 0:
            return ()
        scores = arrays["linear"][rows] @ self._column(i)
        words = arrays["sparse_words"][rows] @ self._sparse_words_t[:, [i]]
        scores += words.toarray().ravel()
        scores = np.round(scores, SCORE_DECIMALS)
        if rows.size > top:
            # Everything tied with the top-th score, so that key order decides.
            kth = np.partition(scores, rows.size - top)[rows.size - top]
            keep = scores >= kth
            rows, scores = rows[keep], scores[keep]
        keys = batch.keys
        ranked = sorted(
            zip(scores.tolist(), rows.tolist(), strict=True),
            key=lambda sb: (-sb[0], keys[sb[1]]),
        )[:top]
        chosen = np.array([b for _, b in ranked], dtype=np.int64)
        cols = np.full(chosen.size, i)
        text = self._pair_text(arrays, chosen, cols)
        comps = self._components_many(arrays, chosen, cols, text)
        return tuple(
            self._match(batch, b, i, score, c, explain, today)
            for (score, b), c in zip(ranked, comps, strict=True)
        )

    def _match(
        self,
        batch: NeedBatch,
        b: int,
        i: int,
        score: float,
        components: Components,
        explain: bool,
        today: date,
        need_facts: _NeedFacts | None = None,
    ) -> Match:
        need, feats = batch.needs[b], batch.features[b]
        programme = self.programmes[i]
        reasons: tuple[Reason, ...] = ()
        if explain:
            facts = self._explain_context.get(i)
            if facts is None:
                facts = self._explain_context[i] = _programme_facts(
                    programme, self.topic_themes
                )
            if need_facts is None:
                need_facts = _need_facts(need, feats, self.topic_themes)
            reasons = _explain(
                need,
                feats,
                need_facts,
                programme,
                self.features[i],
                facts,
                self.topic_themes,
                self._reason_cache,
            )
        return Match(
            need=need.key,
            programme=programme.key,
            score=score,
            components=components,
            reasons=reasons,
        )


def _add_sparse(dense: np.ndarray, matrix: sp.csr_matrix) -> None:
    """``dense += matrix`` in place, for a CSR matrix of the same shape."""
    if matrix.nnz == 0:
        return
    matrix = sp.csr_matrix(matrix)
    if (
        dense.flags.c_contiguous
        and dense.dtype in (np.float32, np.float64)
        and matrix.dtype == dense.dtype
    ):
        # scipy's own densifier accumulates into the array it is given.
        rows, cols = matrix.shape
        _sparsetools.csr_todense(
            rows, cols, matrix.indptr, matrix.indices, matrix.data, dense
        )
    else:
        dense += matrix.toarray()


def _components(values: np.ndarray, has: np.ndarray) -> list[Components]:
    """Components objects from the arrays of :meth:`_component_values`."""
    return [
        Components(
            topic=t if h0 else None,
            text=x if h1 else None,
            audience=a if h2 else None,
            assistance=s if h3 else None,
            delivery=d if h4 else None,
        )
        for (t, x, a, s, d), (h0, h1, h2, h3, h4) in zip(
            values.tolist(), has.tolist(), strict=True
        )
    ]


# What the forked workers of one ranking inherit: (index, batch).
_fork_state: tuple[Ranking, NeedBatch] | None = None


def _run_chunk(job: str, start: int, size: int, today: date, top: int) -> Any:
    """A chunk job in a forked worker process."""
    if _fork_state is None:
        raise RuntimeError("no ranking state in this worker")
    index, batch = _fork_state
    return getattr(index, job)(batch, slice(start, start + size), today, top)


def _can_fork() -> bool:
    """Forking is only safe from a single-threaded process (and where it exists)."""
    return (
        threading.active_count() == 1
        and "fork" in multiprocessing.get_all_start_methods()
    )


def _fill_weights(
    row: np.ndarray, weights: Mapping[str, float], vocab: _Vocabulary
) -> None:
    total = sum(weights.values())
    for slug, w in weights.items():
        col = vocab.index.get(slug)
        if col is not None:
            row[col] = w / total


def _dict_rows_to_csr(rows: Sequence[Mapping[int, float]], width: int) -> sp.csr_matrix:
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for row in rows:
        for col in sorted(row):
            if col < width:
                indices.append(col)
                data.append(row[col])
        indptr.append(len(indices))
    return sp.csr_matrix(
        (np.array(data, dtype=np.float64), np.array(indices, dtype=np.int64), indptr),
        shape=(len(rows), width),
    )
