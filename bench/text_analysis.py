"""Benchmark of text analysis on long texts of different shapes (no database).

Run from the project root::

    .venv/bin/python bench/text_analysis.py
    .venv/bin/python bench/text_analysis.py --size 1000000 --repeat 3

For each shape of text (one unbroken word, random tokens, real prose taken from
the dev set and the demo, an unbroken run of Chinese characters), a record whose
description is ``--size`` characters of it is analysed from cold caches
(``Lexicon.profile``, what the index does for every record). Printed: the best
and median wall time of ``--repeat`` runs and the best CPU time (on a loaded
machine the fairer figure), then, for the same shapes, the CPU time at a
quarter, half and all of the analysed length (``MAX_ANALYSED_CHARS``) to show
that the cost grows linearly. Timings on a shared machine vary: read the load
average printed first and last.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from matchmaking.engine.text.analyser import Lexicon  # noqa: E402
from matchmaking.engine.text.analyser import clear_caches  # noqa: E402
from matchmaking.engine.text.analyser import default_lexicon  # noqa: E402
from matchmaking.engine.text.tokens import MAX_ANALYSED_CHARS  # noqa: E402

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cpus"


def prose_source() -> str:
    """The titles and descriptions of the dev set and the demo, in file order."""
    texts: list[str] = []
    for path in (ROOT / "tests/data/dev.json", ROOT / "matchmaking/data/demo.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        for kind in ("programmes", "needs"):
            for record in data.get(kind, ()):
                texts.extend(
                    record.get(field) or ""
                    for field in ("title", "summary", "description")
                )
    return "\n".join(t for t in texts if t)


def han_source() -> str:
    """The Chinese dev needs with everything but Han characters removed."""
    data = json.loads((ROOT / "tests/data/dev_needs_zh.json").read_text("utf-8"))
    raw = json.dumps(data, ensure_ascii=False)
    return "".join(re.findall("[\u4e00-\u9fff]", raw))


def shapes(size: int, seed: int) -> dict[str, str]:
    """Texts of ``size`` characters, by shape."""
    rng = random.Random(seed)  # noqa: S311 (test data, not security)
    word = "".join(rng.choices(LETTERS, k=size))
    words: list[str] = []
    length = 0
    while length < size:
        token = "".join(rng.choices(LETTERS, k=rng.randint(2, 12)))
        words.append(token)
        length += len(token) + 1
    prose = prose_source()
    han = han_source()
    return {
        "one unbroken word": word,
        "random tokens": " ".join(words)[:size],
        "real prose": (prose * (size // len(prose) + 1))[:size],
        "unbroken Chinese": (han * (size // len(han) + 1))[:size],
    }


def analyse(lexicon: Lexicon, text: str) -> tuple[float, float]:
    """(wall, CPU) seconds to profile a record with this description, cold."""
    clear_caches()
    lexicon.clear_memos()
    started, cpu = time.perf_counter(), time.process_time()
    lexicon.profile({"title": "Capacity building", "description": text})
    return time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    out(load())
    lexicon = default_lexicon()
    cap = MAX_ANALYSED_CHARS
    out(f"analysed characters per text: {cap or 'all'}")
    out(f"\n{args.size:,} characters per description, cold caches")
    out(f"{'shape':<20} {'best s':>8} {'median s':>9} {'best CPU s':>11}")
    for name, text in shapes(args.size, args.seed).items():
        runs = [analyse(lexicon, text) for _ in range(args.repeat)]
        times = [wall for wall, _ in runs]
        cpu = min(c for _, c in runs)
        out(f"{name:<20} {min(times):8.3f} {statistics.median(times):9.3f} {cpu:11.3f}")
    if cap:
        out(f"\ngrowth up to the cap (best of {args.repeat}, CPU seconds)")
        sizes = (cap // 4, cap // 2, cap)
        out(f"{'shape':<20} " + " ".join(f"{n:>8,}" for n in sizes) + "   ratio")
        by_size = [shapes(n, args.seed) for n in sizes]
        for name in by_size[0]:
            times = [
                min(analyse(lexicon, texts[name])[1] for _ in range(args.repeat))
                for texts in by_size
            ]
            ratio = times[-1] / times[0] if times[0] else float("nan")
            out(
                f"{name:<20} "
                + " ".join(f"{t:8.3f}" for t in times)
                + f"   x{ratio:.1f} for x4"
            )
    out("\n" + load())


if __name__ == "__main__":
    main()
