"""Benchmark of the matching engine alone (no database, no Django views).

Run from the project root::

    .venv/bin/python bench/engine.py --needs 10000 --programmes 10000 --seed 1
    .venv/bin/python bench/engine.py --dataset /tmp/syn1k.json

The synthetic dataset is generated in-process (``matchmaking.dataset.synthetic``, the
same bytes as ``manage.py generate_dataset``) unless ``--dataset`` names a
cbm-dataset/1 file. Printed, for the engine alone:

* cold full rematch: build_index over the programmes + encode every need +
  rank every need with explanations, from a fresh text-analysis cache, with the
  peak RSS of this process (and of its worker processes, if any);
* top-10 for one need: p50/p95 over warm queries (explanations on);
* incremental need edit (re-encode its text, rank it): p50/p95;
* programme edit: ``upsert_programme`` + re-scoring that programme against all
  encoded needs (``top_needs`` on a new batch of the same encoded needs, as the
  service layer does; the first edit makes the needs' arrays);
* allocation: top-k candidate extraction + min-cost-flow solve;
* with ``--naive`` (default when both sizes are at most 1,000): the naive
  pair-by-pair scorer against the vectorised one on the same encodings, with
  the speed ratio and an equality check.

Each section is bounded (query counts are fixed, the naive run is skipped above
1,000 x 1,000 unless forced). Timings on a shared machine vary: repeat runs and
read the load average printed first and last.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import statistics
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from matchmaking import engine  # noqa: E402
from matchmaking.dataset import synthetic  # noqa: E402
from matchmaking.dataset.evaluation import DEFAULT_TODAY  # noqa: E402
from matchmaking.dataset.evaluation import dataset_profiles  # noqa: E402
from matchmaking.engine.text import analyser  # noqa: E402
from matchmaking.engine.text import batch  # noqa: E402
from matchmaking.engine.text import han  # noqa: E402
from matchmaking.engine.text import profile  # noqa: E402
from matchmaking.engine.text import reading  # noqa: E402
from matchmaking.engine.text import stemming  # noqa: E402
from matchmaking.engine.text import tokens  # noqa: E402
from matchmaking.reference import topic_themes  # noqa: E402

TODAY: date = DEFAULT_TODAY


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size so far, in MB (Linux reports KiB)."""
    return resource.getrusage(who).ru_maxrss / 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def load_dataset(args: argparse.Namespace) -> dict:
    if args.dataset:
        return json.loads(Path(args.dataset).read_text(encoding="utf-8"))
    text = "".join(
        synthetic.generate_lines(
            needs=args.needs, programmes=args.programmes, seed=args.seed
        )
    )
    return json.loads(text)


def clear_text_caches() -> None:
    """Forget every memoised token analysis so the next run is cold."""
    for module in (analyser, batch, han, profile, reading, stemming, tokens):
        for name in dir(module):
            obj = getattr(module, name)
            if callable(obj) and hasattr(obj, "cache_clear"):
                obj.cache_clear()
    analyser.clear_caches()


def cpu_seconds() -> float:
    """CPU time of this process and of its finished worker processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def cold_rematch(needs, programmes, themes, workers):
    clear_text_caches()
    gc.collect()
    kwargs = {} if workers is None else {"workers": workers}
    cpu = cpu_seconds()
    t0 = time.perf_counter()
    index = engine.build_index(programmes, topic_themes=themes, **kwargs)
    t1 = time.perf_counter()
    batch = index.encode_needs(needs, **kwargs)
    t2 = time.perf_counter()
    results = list(index.rank_batch(batch, today=TODAY, top=10, explain=True, **kwargs))
    t3 = time.perf_counter()
    cpu = cpu_seconds() - cpu
    return index, batch, results, (t1 - t0, t2 - t1, t3 - t2, t3 - t0, cpu)


def candidates(index, batch, top_k):
    """(need, programme, score) triples of each need's top_k eligible pairs."""
    fast = getattr(index, "candidates", None)
    if fast is not None:
        return fast(batch, today=TODAY, top_k=top_k)
    results = index.rank_batch(batch, today=TODAY, top=top_k, explain=False)
    return list(engine.candidates_from_results(results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--needs", type=int, default=10_000)
    parser.add_argument("--programmes", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dataset", help="read a cbm-dataset/1 file instead")
    parser.add_argument("--queries", type=int, default=200, help="warm top-10 runs")
    parser.add_argument("--edits", type=int, default=50, help="need edits timed")
    parser.add_argument("--programme-edits", type=int, default=5)
    parser.add_argument("--top-k", type=int, default=50, help="allocation arcs/need")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes (text analysis, scoring; default: the engine "
        "decides; 1: none)",
    )
    naive = parser.add_mutually_exclusive_group()
    naive.add_argument("--naive", dest="naive", action="store_true", default=None)
    naive.add_argument("--no-naive", dest="naive", action="store_false")
    args = parser.parse_args()

    out(f"load average (1/5/15 min) at start: {load_average()}")
    started = time.perf_counter()
    dataset = load_dataset(args)
    needs, programmes = dataset_profiles(dataset)
    del dataset
    themes = topic_themes()
    gc.collect()
    out(
        f"data: {len(needs)} needs x {len(programmes)} programmes "
        f"(loaded in {time.perf_counter() - started:.1f} s, "
        f"RSS so far {peak_rss_mb():.0f} MB)"
    )
    if args.workers is not None and not hasattr(engine, "CandidateArcs"):
        args.workers = None  # an engine without the workers argument

    # -- cold full rematch ------------------------------------------------------
    index, batch, results, (build, encode, rank, total, cpu) = cold_rematch(
        needs, programmes, themes, args.workers
    )
    matched = sum(1 for r in results if r.matches)
    unmet = sum(1 for r in results if r.unmet)
    reasons = sum(len(m.reasons) for r in results for m in r.matches)
    out(
        f"cold full rematch: {total:.2f} s wall, {cpu:.2f} s CPU (all processes) "
        f"(build_index {build:.2f} s, encode_needs {encode:.2f} s, "
        f"rank+explain {rank:.2f} s); {matched} needs matched, {unmet} unmet, "
        f"{reasons} reasons"
    )
    out(
        f"peak RSS: {peak_rss_mb():.0f} MB (this process), "
        f"{peak_rss_mb(resource.RUSAGE_CHILDREN):.0f} MB (largest worker process)"
    )
    del results
    gc.collect()

    rng = random.Random(args.seed)  # noqa: S311 (sampling, not security)

    # -- warm top-10 for one need -------------------------------------------------
    sample = [rng.choice(needs) for _ in range(args.queries)]
    for need in sample[:5]:
        index.rank_need(need, today=TODAY, top=10)
    times = []
    for need in sample:
        t0 = time.perf_counter()
        index.rank_need(need, today=TODAY, top=10, explain=True)
        times.append(time.perf_counter() - t0)
    out(
        f"top-10 one need (warm, {len(times)} queries): p50 "
        f"{ms(statistics.median(times))}, p95 {ms(percentile(times, 0.95))}"
    )

    # -- incremental need edit ------------------------------------------------------
    times = []
    for k in range(args.edits):
        need = rng.choice(needs)
        edited = replace(
            need,
            description=f"{need.description} Edit {k}: incident response training.",
        )
        t0 = time.perf_counter()
        index.rank_need(edited, today=TODAY, top=10, explain=True)
        times.append(time.perf_counter() - t0)
    out(
        f"need edit (re-encode + rank, {len(times)} edits): p50 "
        f"{ms(statistics.median(times))}, p95 {ms(percentile(times, 0.95))}"
    )

    # -- programme edit -------------------------------------------------------------
    # Like the service layer: a new NeedBatch of the same encoded needs per edit.
    times, upserts = [], []
    for k in range(args.programme_edits + 1):
        prog = rng.choice(programmes)
        edited = replace(
            prog,
            description=f"{prog.description} Update {k}: cyber exercises for CSIRTs.",
        )
        again = engine.NeedBatch(
            keys=batch.keys, needs=batch.needs, features=batch.features
        )
        t0 = time.perf_counter()
        index.upsert_programme(edited)
        t1 = time.perf_counter()
        index.top_needs(edited.key, again, today=TODAY, top=len(again.keys))
        times.append(time.perf_counter() - t0)
        upserts.append(t1 - t0)
    out(
        f"programme edit (upsert + re-score vs {len(batch.keys)} needs, all "
        f"eligible needs returned): first {ms(times[0])} (makes the needs' "
        f"arrays once), then median {ms(statistics.median(times[1:]))} "
        f"(upsert {ms(statistics.median(upserts[1:]))}), max {ms(max(times[1:]))}"
    )

    # -- allocation -----------------------------------------------------------------
    gc.collect()
    t0 = time.perf_counter()
    triples = candidates(index, batch, args.top_k)
    t1 = time.perf_counter()
    capacity = {p.key: p.capacity_left for p in index.programmes}
    slate = engine.allocate(
        triples,
        capacity=capacity,
        weights=engine.fairness_weights(needs),
        top_k=args.top_k,
    )
    t2 = time.perf_counter()
    out(
        f"allocation: {t2 - t0:.2f} s (top-{args.top_k} candidates {t1 - t0:.2f} s, "
        f"{len(triples)} arcs; allocate {t2 - t1:.2f} s of which solver "
        f"{slate.solve_seconds:.2f} s); {len(slate.assignments)} assigned, "
        f"status {slate.status}"
    )
    del triples, slate

    # -- naive vs vectorised ----------------------------------------------------------
    run_naive = args.naive
    if run_naive is None:
        run_naive = len(needs) <= 1000 and len(programmes) <= 1000
    if run_naive:
        n_needs, n_progs = min(len(needs), 1000), min(len(programmes), 1000)
        sub_needs, sub_progs = needs[:n_needs], programmes[:n_progs]
        small = engine.build_index(sub_progs, topic_themes=themes)
        small_batch = small.encode_needs(sub_needs)
        t0 = time.perf_counter()
        fast = list(small.rank_batch(small_batch, today=TODAY, top=10, explain=False))
        t1 = time.perf_counter()
        slow = engine.naive_rank_all(
            sub_needs,
            sub_progs,
            topic_themes=themes,
            today=TODAY,
            top=10,
            index=small,
            batch=small_batch,
        )
        t2 = time.perf_counter()
        same = [
            (r.need, r.unmet, [(m.programme, m.score) for m in r.matches]) for r in fast
        ] == [
            (r.need, r.unmet, [(m.programme, m.score) for m in r.matches]) for r in slow
        ]
        out(
            f"naive vs fast at {n_needs} x {n_progs} (same encodings, top-10): "
            f"naive {t2 - t1:.2f} s, fast {t1 - t0:.3f} s, "
            f"ratio {(t2 - t1) / (t1 - t0):.0f}x, identical rankings: {same}"
        )
    out(
        f"total bench time {time.perf_counter() - started:.1f} s; "
        f"load average at end: {load_average()}"
    )


if __name__ == "__main__":
    main()
