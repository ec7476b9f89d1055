"""Ranking many needs at once: vectorised single-precision scores, exact re-scoring
of the pairs that can rank, unmet detection, chunks scored in worker processes.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from concurrent.futures import Future
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from typing import Any

import numpy as np

from matchmaking.engine.adequacy import is_adequate
from matchmaking.engine.adequacy import need_topics
from matchmaking.engine.adequacy import unmet_of_rows
from matchmaking.engine.arrays import _BLOCK
from matchmaking.engine.arrays import CandidateArcs
from matchmaking.engine.arrays import NeedBatch
from matchmaking.engine.arrays import _add_sparse
from matchmaking.engine.arrays import _components
from matchmaking.engine.profiles import SCORE_DECIMALS
from matchmaking.engine.profiles import NeedFeatures
from matchmaking.engine.profiles import NeedProfile
from matchmaking.engine.profiles import NeedResult
from matchmaking.engine.ranking import Ranking
from matchmaking.engine.reasons import _need_facts

# Above one chunk of needs, the chunks are scored in forked worker processes
# (one per available core, at most this many) while this process builds the
# results and explanations; see _can_fork for when it does not fork.
MAX_RANK_WORKERS = 4


# The single-precision pass errs by at most ~(terms + 2) x 2**-24 on a score of
# at most 1 (its terms, a need row's non-zeros, are non-negative and a few
# hundred at most): far below this margin, which also covers the rounding.
_MARGIN = 1e-4


class BatchRanking(Ranking):
    """The many-needs half of :class:`MatchingIndex`: full rematches and
    allocation candidates, chunk by chunk."""

    # -- scoring -----------------------------------------------------------

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

    def _unmet(
        self,
        arrays: Mapping[str, Any],
        ok: np.ndarray,
        needs: Sequence[NeedProfile],
        features: Sequence[NeedFeatures],
        ranked: tuple[np.ndarray, np.ndarray, np.ndarray],
        top: int,
    ) -> list[str | None]:
        """The unmet code of each need row, from its ranked pairs (see adequacy)."""
        rows, cols, scores = ranked
        concepts = arrays["concepts"]
        cfg = self.config

        def adequate_beyond(found: list[int]) -> list[bool]:
            answers = []
            for r in found:
                eligible = np.flatnonzero(ok[r])
                exact = self._exact_scores(arrays, np.full(eligible.size, r), eligible)
                agree = np.round(self._p_concepts[eligible] @ concepts[r], 6)
                answers.append(
                    bool(
                        np.any(
                            (exact >= cfg.adequate_score)
                            & (agree >= cfg.adequate_concepts)
                        )
                    )
                )
            return answers

        def topic_covered(found: list[int]) -> list[bool]:
            answers = []
            index = self.v_topics.index
            for r in found:
                topics = need_topics(needs[r].topics, features[r].topics)
                columns = [index[t] for t in sorted(topics) if t in index]
                exact = self._credit[np.flatnonzero(ok[r])][:, columns]
                answers.append(bool(columns) and bool((exact >= 1.0).any()))
            return answers

        return unmet_of_rows(
            counts=np.bincount(rows, minlength=ok.shape[0]).tolist(),
            rows=rows,
            scores=scores,
            concepts=np.einsum("ij,ij->i", concepts[rows], self._p_concepts[cols]),
            top=top,
            config=cfg,
            adequate_beyond=adequate_beyond,
            topic_covered=topic_covered,
        )

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
        unmet = self._unmet(
            arrays,
            ok,
            batch.needs[rows],
            batch.features[rows],
            (sel_rows, sel_cols, sel_scores),
            top,
        )
        counts = np.bincount(sel_rows, minlength=ok.shape[0])
        return counts, sel_cols, sel_scores, values, has, unmet

    def _candidate_chunk(
        self, batch: NeedBatch, rows: slice, today: date, top: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        arrays = self._need_arrays(batch, rows)
        ok = self._eligible(arrays, today)
        scores = self._scores(arrays)
        return self._select(arrays, scores, ok, top)

    def _adequate_chunk(
        self, batch: NeedBatch, rows: slice, today: date, top: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The candidate arcs that are adequate (the rule that says unmet)."""
        arrays = self._need_arrays(batch, rows)
        ok = self._eligible(arrays, today)
        scores = self._scores(arrays)
        sel_rows, sel_cols, sel_scores = self._select(arrays, scores, ok, top)
        del scores
        concepts = np.einsum(
            "ij,ij->i", arrays["concepts"][sel_rows], self._p_concepts[sel_cols]
        )
        keep = np.array(
            [
                is_adequate(score, agree, self.config)
                for score, agree in zip(
                    sel_scores.tolist(), concepts.tolist(), strict=True
                )
            ],
            dtype=bool,
        )
        return sel_rows[keep], sel_cols[keep], sel_scores[keep]

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

    # -- results -----------------------------------------------------------

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
        adequate_only: bool = False,
    ) -> CandidateArcs:
        """Each need's ``top_k`` best eligible programmes, for :func:`allocate`.

        The same pairs and scores as ``rank_batch(batch, top=top_k)`` would
        list, without building matches, components or explanations. With
        ``adequate_only``, only the adequate ones among them (see adequacy: a
        need with none is unmet), the pairs a curator could defend.
        """
        job = "_adequate_chunk" if adequate_only else "_candidate_chunk"
        need_idx, prog_idx, scores = [], [], []
        for start, (rows, cols, values) in self._chunks(
            batch, chunk_size, job, today, top_k, workers
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


# What the forked workers of one ranking inherit: (index, batch).
_fork_state: tuple[BatchRanking, NeedBatch] | None = None


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
