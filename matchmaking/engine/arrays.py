"""The encoded values ranking works on: need batches, candidate arcs, slug
vocabularies, and the small sparse-array helpers the index and the ranking share.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse import _sparsetools

from matchmaking.engine.profiles import Components
from matchmaking.engine.profiles import NeedFeatures
from matchmaking.engine.profiles import NeedProfile


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


# Programme columns per block of the folded product; and how many cells
# (stems x programmes) the dense part of the word matrix may take.
_BLOCK = 1024


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
            reach=g if h5 else None,
        )
        for (t, x, a, s, d, g), (h0, h1, h2, h3, h4, h5) in zip(
            values.tolist(), has.tolist(), strict=True
        )
    ]


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
