"""What ranking in either direction shares (need-side arrays, eligibility,
components of chosen pairs, matches with their reasons) and the one-programme
query path: the best needs for a just created or edited programme.

The many-needs path (chunks, worker processes) is in :mod:`.batch_ranking`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np
import scipy.sparse as sp

from matchmaking.engine.arrays import NeedBatch
from matchmaking.engine.arrays import _components
from matchmaking.engine.arrays import _dict_rows_to_csr
from matchmaking.engine.arrays import _fill_weights
from matchmaking.engine.arrays import _Vocabulary
from matchmaking.engine.profiles import SCORE_DECIMALS
from matchmaking.engine.profiles import Components
from matchmaking.engine.profiles import Match
from matchmaking.engine.profiles import MatchingConfig
from matchmaking.engine.profiles import ProgrammeFeatures
from matchmaking.engine.profiles import ProgrammeProfile
from matchmaking.engine.profiles import Reason
from matchmaking.engine.reasons import _explain
from matchmaking.engine.reasons import _need_facts
from matchmaking.engine.reasons import _NeedFacts
from matchmaking.engine.reasons import _programme_facts
from matchmaking.engine.reasons import _ProgrammeFacts
from matchmaking.engine.scoring import _delivery


class Ranking:
    """The ranking core of :class:`MatchingIndex`: scoring, checking and explaining
    pairs of encoded needs and programmes, and the best needs for one programme."""

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
    _reach: np.ndarray

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
        has = np.zeros((m, 6), dtype=bool)
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
                True,
            )
            word_rows.append(f.words)
        cw = cfg.weights
        weights = np.array(
            [cw.topic, cw.text, cw.audience, cw.assistance, cw.delivery, cw.reach]
        )
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
                scale[:, 5:6],
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

        Two (cells x 6) arrays: topic, text, audience, assistance, delivery, reach
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
        reach = self._reach[cols]
        values = np.stack([topic, text, audience, assistance, delivery, reach], axis=1)
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

    # -- one programme -----------------------------------------------------

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
                    programme, self.features[i], self.topic_themes
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
