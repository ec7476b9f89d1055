"""The batch scanner: :meth:`Lexicon._scan` for many texts at once, with numpy."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import TYPE_CHECKING
from typing import Any

import numpy as np

from matchmaking.engine.text import LANGUAGES
from matchmaking.engine.text.reading import _IN_ANY
from matchmaking.engine.text.reading import _IN_LATIN
from matchmaking.engine.text.reading import _KINDS
from matchmaking.engine.text.reading import WINDOW_SLACK
from matchmaking.engine.text.reading import _channels
from matchmaking.engine.text.stemming import _TOKEN_MEMO_LIMIT

if TYPE_CHECKING:
    from matchmaking.engine.text.analyser import Lexicon


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
        # A compound's words are consecutive, in order (no slack).
        self.term_ordered = self.term_concept == lexicon._compound
        self.term_width = self.term_len + np.where(self.term_ordered, 0, WINDOW_SLACK)
        width = max((len(s) for s in term_stems), default=1)
        self.term_stems = np.full((len(term_stems), width), -1, np.int64)
        for t, stem_ids in enumerate(term_stems):
            self.term_stems[t, : len(stem_ids)] = stem_ids
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
            width = self.term_width[term]
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
                nearest = np.where(use_left, left, right)
                ordered = self.term_ordered[term[idx]]
                if ordered.any():
                    # A compound's j-th stem is exactly j words after the first.
                    goal = wanted * _POS + at + j
                    k = np.minimum(np.searchsorted(packed, goal), size - 1)
                    found = np.where(ordered, packed[k] == goal, found)
                    nearest = np.where(ordered, k, nearest)
                alive[idx[~found]] = False
                hit = nearest[found]
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
        compound = s_concept == self.lexicon._compound
        if compound.any():
            s_text, s_concept, s_start, s_end, s_rank = _outside_compounds(
                compound, s_text, s_concept, s_start, s_end, s_rank
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


def _outside_compounds(
    compound: np.ndarray,
    s_text: np.ndarray,
    s_concept: np.ndarray,
    s_start: np.ndarray,
    s_end: np.ndarray,
    s_rank: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """The spans but the compounds' and those holding part of a compound.

    As :func:`analyser._outside_compounds`: a (text, concept) keeps the rank
    of its first span, dropped or not, as the Python scan keeps the place
    the concept took in its dict when that span was found.
    """
    drop = compound.copy()
    by_text = np.argsort(s_text, kind="stable")
    texts = s_text[by_text]
    for j in np.flatnonzero(compound).tolist():
        t, a, b = s_text[j], s_start[j], s_end[j]
        lo, hi = np.searchsorted(texts, [t, t + 1])
        at = by_text[lo:hi]
        start, end = s_start[at], s_end[at]
        touches = (start <= b) & (a <= end)
        holds = (start <= a) & (b <= end)
        drop[at[touches & ~holds]] = True
    # The lowest rank of each (text, concept), dropped spans included.
    code = s_text * (int(s_concept.max()) + 1) + s_concept
    order = np.argsort(code, kind="stable")
    new_code = np.ones(code.size, dtype=bool)
    new_code[1:] = code[order][1:] != code[order][:-1]
    bounds = np.flatnonzero(new_code)
    lowest = np.minimum.reduceat(s_rank[order], bounds)
    rank = np.empty_like(s_rank)
    rank[order] = lowest[np.cumsum(new_code) - 1]
    keep = ~drop
    return s_text[keep], s_concept[keep], s_start[keep], s_end[keep], rank[keep]


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
