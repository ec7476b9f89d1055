"""Benchmark of the gap advisor (engine alone, no database).

Run from the project root (heavy: run it briefly on a shared machine)::

    .venv/bin/python bench/advisor.py --needs 10000 --programmes 10000 --seed 1

Generates the synthetic dataset in-process (``matchmaking.dataset.synthetic``),
builds the index and ranks every need (not timed: the rematch's own figures are
in bench/engine.py), then times:

* the advice for every unmet need over every programme (one ``advise`` call;
  target: at most 60 s at 10,000 x 10,000);
* the advice for one programme page (``advise`` restricted to one programme,
  over every unmet need): the first page (which makes the needs' arrays,
  kept for the next ones), then p50 / p95 over ``--pages`` random programmes
  (target: p95 at most 150 ms).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from matchmaking import engine  # noqa: E402
from matchmaking.dataset import synthetic  # noqa: E402
from matchmaking.dataset.evaluation import DEFAULT_TODAY  # noqa: E402
from matchmaking.dataset.evaluation import dataset_profiles  # noqa: E402
from matchmaking.reference import topic_themes  # noqa: E402


def out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--needs", type=int, default=10_000)
    parser.add_argument("--programmes", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pages", type=int, default=40)
    args = parser.parse_args()
    text = "".join(
        synthetic.generate_lines(
            needs=args.needs, programmes=args.programmes, seed=args.seed
        )
    )
    needs, programmes = dataset_profiles(json.loads(text))
    index = engine.build_index(programmes, topic_themes=topic_themes())
    batch = index.encode_needs(needs)
    results = list(index.rank_batch(batch, today=DEFAULT_TODAY, explain=False))
    unmet = [b for b, r in enumerate(results) if r.unmet]
    unmet_needs = [batch.needs[b] for b in unmet]
    unmet_features = [batch.features[b] for b in unmet]
    weights = engine.fairness_weights(unmet_needs)
    out(f"data: {len(needs)} needs x {len(programmes)} programmes, {len(unmet)} unmet")

    started = time.perf_counter()
    advice = engine.advise(
        index,
        unmet_needs,
        features=unmet_features,
        today=DEFAULT_TODAY,
        weights=weights,
    )
    elapsed = time.perf_counter() - started
    served = {n for a in advice for n in a.needs}
    out(
        f"all advice: {elapsed:.2f} s; {len(advice)} checked changes serving "
        f"{len(served)} of {len(unmet)} unmet needs"
    )

    rng = random.Random(args.seed)  # noqa: S311 (a sample, not a secret)
    keys = rng.sample([p.key for p in programmes], min(args.pages, len(programmes)))
    # The first page makes the unmet needs' arrays, which the index keeps for
    # the next pages (as the service's engine state does): timed apart.
    started = time.perf_counter()
    engine.advise(
        index,
        unmet_needs,
        features=unmet_features,
        today=DEFAULT_TODAY,
        weights=weights,
        programmes={keys[0]},
    )
    out(f"first programme page: {(time.perf_counter() - started) * 1000:.1f} ms")
    times = []
    for key in keys[1:]:
        started = time.perf_counter()
        engine.advise(
            index,
            unmet_needs,
            features=unmet_features,
            today=DEFAULT_TODAY,
            weights=weights,
            programmes={key},
        )
        times.append(time.perf_counter() - started)
    times.sort()
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    out(
        f"one programme page: p50 {statistics.median(times) * 1000:.1f} ms, "
        f"p95 {p95 * 1000:.1f} ms over {len(times)} programmes"
    )


if __name__ == "__main__":
    main()
