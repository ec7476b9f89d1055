"""Allocation: one programme place per need across the whole slate, fairly (LDC and
SIDS weighted), as a min-cost flow.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matchmaking.engine.arrays import CandidateArcs
from matchmaking.engine.profiles import LDC_WEIGHT
from matchmaking.engine.profiles import SIDS_WEIGHT
from matchmaking.engine.profiles import NeedProfile
from matchmaking.engine.profiles import NeedResult


@dataclass(frozen=True)
class Assignment:
    """One proposed (need, programme) pairing of a slate."""

    need: str
    programme: str
    score: float
    value: float  # score x fairness weight, what the solver maximised


@dataclass(frozen=True)
class Allocation:
    """A slate: the assignments, their totals and how long the solver took."""

    assignments: tuple[Assignment, ...]
    total_score: float
    total_value: float
    solve_seconds: float
    status: str


_VALUE_SCALE = 1_000_000


def fairness_weights(
    needs: Iterable[NeedProfile], *, ldc: float = LDC_WEIGHT, sids: float = SIDS_WEIGHT
) -> dict[str, float]:
    """Per-need multipliers favouring least developed countries and SIDS."""
    weights = {}
    for need in needs:
        w = 1.0
        if need.is_ldc:
            w *= ldc
        if need.is_sids:
            w *= sids
        weights[need.key] = w
    return weights


def allocate(
    candidates: Iterable[tuple[str, str, float]] | CandidateArcs,
    *,
    capacity: Mapping[str, int | None],
    need_limits: Mapping[str, int] | None = None,
    default_limit: int = 1,
    weights: Mapping[str, float] | None = None,
    top_k: int = 50,
) -> Allocation:
    """Slate maximising total (weighted) relevance, solved exactly by min-cost flow.

    ``candidates`` are (need, programme, score) triples of eligible pairs (or
    the :class:`CandidateArcs` of :meth:`MatchingIndex.candidates`, read as
    arrays); only each need's ``top_k`` best arcs are kept. ``capacity`` gives
    each programme's places left (None = unlimited; a missing programme gets
    none). ``need_limits`` caps how many programmes a need may receive.
    ``weights`` multiplies arc values per need (see :func:`fairness_weights`).
    Every unit of flow either takes a pair (cost SCALE - value) or an overflow
    arc (cost SCALE), so the minimum cost maximises the total value and partial
    slates are allowed.
    """
    from ortools.graph.python import min_cost_flow

    limits = need_limits or {}
    fair = weights or {}
    arcs = candidates if isinstance(candidates, CandidateArcs) else _arcs(candidates)
    # Keys in sorted order (a key listed twice gets one rank).
    need_names, need_rank = _ranks(arcs.need_keys)
    prog_names, prog_rank = _ranks(arcs.programme_keys)
    closed = np.array(
        [
            cap is not None and cap <= 0
            for cap in (capacity.get(k, 0) for k in arcs.programme_keys)
        ],
        dtype=bool,
    )
    keep = ~closed[arcs.programmes]
    needs = need_rank[arcs.needs[keep]]
    progs = prog_rank[arcs.programmes[keep]]
    scores = arcs.scores[keep]
    fairness = np.array([fair.get(k, 1.0) for k in need_names])
    values = scores * fairness[needs]
    # Need by need (key order), best value first, then programme key; top_k.
    order = np.lexsort((progs, -values, needs))
    needs, progs, values, scores = (
        needs[order],
        progs[order],
        values[order],
        scores[order],
    )
    size = needs.size
    starts = np.flatnonzero(np.r_[True, needs[1:] != needs[:-1]]) if size else needs
    first = np.zeros(size, dtype=np.int64)
    if size:
        first[starts] = starts
        np.maximum.accumulate(first, out=first)
    best = np.arange(size) - first < top_k
    needs, progs, values, scores = needs[best], progs[best], values[best], scores[best]
    need_used = np.unique(needs)
    prog_used = np.unique(progs)
    need_keys = [need_names[k] for k in need_used.tolist()]
    prog_keys = [prog_names[k] for k in prog_used.tolist()]
    n_needs, n_progs = len(need_keys), len(prog_keys)
    need_node = np.zeros(len(need_names), dtype=np.int64)
    need_node[need_used] = 2 + np.arange(n_needs)
    prog_node = np.zeros(len(prog_names), dtype=np.int64)
    prog_node[prog_used] = 2 + n_needs + np.arange(n_progs)
    source, sink = 0, 1
    demand = np.array(
        [max(0, limits.get(k, default_limit)) for k in need_keys], dtype=np.int64
    )
    total = int(demand.sum())
    max_value = float(values.max()) if values.size else 0.0
    scale_top = math.ceil(max_value * _VALUE_SCALE) + 1
    caps_left = [capacity.get(k) for k in prog_keys]
    nodes = need_node[need_used]
    tails = np.concatenate(
        [np.full(n_needs, source), need_node[needs], prog_node[prog_used], nodes]
    )
    heads = np.concatenate(
        [nodes, prog_node[progs], np.full(n_progs, sink), np.full(n_needs, sink)]
    )
    caps = np.concatenate(
        [
            demand,
            np.ones(needs.size, dtype=np.int64),
            np.array(
                [total if c is None else min(c, total) for c in caps_left],
                dtype=np.int64,
            ),
            demand,
        ]
    )
    costs = np.concatenate(
        [
            np.zeros(n_needs, dtype=np.int64),
            scale_top - np.rint(values * _VALUE_SCALE).astype(np.int64),
            np.zeros(n_progs, dtype=np.int64),
            np.full(n_needs, scale_top, dtype=np.int64),
        ]
    )
    first_pair_arc = n_needs
    started = time.perf_counter()
    solver = min_cost_flow.SimpleMinCostFlow()
    if tails.size:
        solver.add_arcs_with_capacity_and_unit_cost(
            tails.astype(np.int64), heads.astype(np.int64), caps, costs
        )
    supplies = np.zeros(2 + n_needs + n_progs, dtype=np.int64)
    supplies[source], supplies[sink] = total, -total
    solver.set_nodes_supplies(np.arange(len(supplies)), supplies)
    status = solver.solve() if tails.size else solver.OPTIMAL
    elapsed = time.perf_counter() - started
    if status != solver.OPTIMAL:
        return Allocation((), 0.0, 0.0, elapsed, str(status))
    flows = solver.flows(np.arange(first_pair_arc, first_pair_arc + needs.size))
    taken = np.flatnonzero(flows > 0)
    chosen = [
        Assignment(
            need=need_names[n], programme=prog_names[p], score=s, value=round(v, 6)
        )
        for n, p, v, s in zip(
            needs[taken].tolist(),
            progs[taken].tolist(),
            values[taken].tolist(),
            scores[taken].tolist(),
            strict=True,
        )
    ]
    chosen.sort(key=lambda a: (a.need, a.programme))
    return Allocation(
        assignments=tuple(chosen),
        total_score=round(sum(a.score for a in chosen), 6),
        total_value=round(sum(a.value for a in chosen), 6),
        solve_seconds=elapsed,
        status="optimal",
    )


def _arcs(candidates: Iterable[tuple[str, str, float]]) -> CandidateArcs:
    """(need, programme, score) triples as arrays."""
    need_pos: dict[str, int] = {}
    prog_pos: dict[str, int] = {}
    needs, progs, scores = [], [], []
    for need, programme, score in candidates:
        needs.append(need_pos.setdefault(need, len(need_pos)))
        progs.append(prog_pos.setdefault(programme, len(prog_pos)))
        scores.append(score)
    return CandidateArcs(
        need_keys=tuple(need_pos),
        programme_keys=tuple(prog_pos),
        needs=np.array(needs, dtype=np.int64),
        programmes=np.array(progs, dtype=np.int64),
        scores=np.array(scores, dtype=np.float64),
    )


def _ranks(keys: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """The distinct keys sorted, and each key's position among them."""
    names = sorted(set(keys))
    position = {k: i for i, k in enumerate(names)}
    return names, np.array([position[k] for k in keys], dtype=np.int64)


def candidates_from_results(
    results: Iterable[NeedResult],
) -> Iterator[tuple[str, str, float]]:
    """(need, programme, score) triples from rankings, for :func:`allocate`."""
    for result in results:
        for match in result.matches:
            yield (match.need, match.programme, match.score)
