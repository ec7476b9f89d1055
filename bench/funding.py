"""Who funds what at scale: the coordination view's latency and the IATI
export's memory.

    .venv/bin/python bench/funding.py --programmes 10000 --lines 3 \
        [--database-url sqlite:////tmp/cbm-bench.sqlite3] [--repeat 20] [--reuse]
        [--load-only] [--no-export] [--export-only]

Loads a synthetic ``cbm-dataset/1`` (``generate_dataset``, every programme
published, with one or two funding organisations among 20 donors and
``--lines`` budget lines in one of five currencies with a rate table: 10,000
programmes x 3 = 30,000 budget lines) through ``import_dataset``, then:

- requests ``/roundtable/coordination/`` in-process as an anonymous visitor,
  cold (the cache emptied before each request), and prints p50 / p95 in ms and
  the number of SQL queries (target: p95 <= 150 ms at 10,000 / 30,000);
- streams ``/open-data/iati-activities.xml`` and prints its size, time and the
  peak Python memory allocated while streaming (tracemalloc), against the peak
  of one catalogue page, each measured alone and warm with DEBUG off (target:
  the export stays within a page's memory, as it holds one chunk of 50
  programmes' values at a time, whatever the catalogue),
  and the sha256 of its activities (the header's timestamp left out) to
  compare two versions of the code on the same data; ``--export-only`` skips
  the coordination view's timed requests.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load(programmes: int, lines: int, seed: int) -> None:
    import io

    from django.core.management import call_command

    from matchmaking.dataset.exchange import import_dataset
    from matchmaking.models import ExchangeRate

    call_command("migrate", verbosity=0)
    out = io.StringIO()
    call_command(
        "generate_dataset",
        "--needs",
        str(programmes // 2),
        "--programmes",
        str(programmes),
        "--seed",
        str(seed),
        stdout=out,
    )
    data = json.loads(out.getvalue())
    rng = random.Random(seed)  # noqa: S311 (bench data)
    donors = [f"Donor agency {i}" for i in range(20)]
    currencies = ["USD", "EUR", "GBP", "JPY", "XOF"]
    for record in data["programmes"]:
        record["status"] = "published"
        currency = rng.choice(currencies)
        year = rng.randint(2023, 2027)
        record["funding"] = {
            "currency": currency,
            "participants": [
                {"role": "funding", "name": name}
                for name in rng.sample(donors, rng.randint(1, 2))
            ],
            "budget_lines": [
                {
                    "period_start": f"{year + i}-01-01",
                    "period_end": f"{year + i}-12-31",
                    "amount": str(rng.randint(10_000, 5_000_000)),
                }
                for i in range(lines)
            ],
        }
    for currency, rate in (
        ("EUR", "1.08"),
        ("GBP", "1.27"),
        ("JPY", "0.0067"),
        ("XOF", "0.0016"),
    ):
        ExchangeRate.objects.create(
            currency=currency, valid_from="2020-01-01", usd_per_unit=rate
        )
    started = time.perf_counter()
    import_dataset(data=data)
    print(f"loaded {programmes} programmes in {time.perf_counter() - started:.0f} s")


def write_times(count: int, seed: int) -> None:
    """One programme's funding replaced (three budget lines, two funders), as
    the provider's form does, ``count`` times on random programmes: p50 / p95
    of the service call, each in a transaction rolled back afterwards (so the
    data stays as loaded; the commit itself is not timed)."""
    from django.db import connection
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    from matchmaking.funding.services import parse_funding
    from matchmaking.funding.services import write_funding
    from matchmaking.models import Programme

    rng = random.Random(seed)  # noqa: S311 (bench data)
    ids = list(Programme.objects.values_list("pk", flat=True))
    times, queries = [], 0

    class Undo(Exception):
        pass

    for i in range(count + 1):
        programme = Programme.objects.get(pk=rng.choice(ids))
        funding = parse_funding(
            {
                "currency": "EUR",
                "participants": [
                    {"role": "funding", "name": f"Donor agency {rng.randint(0, 19)}"},
                    {"role": "funding", "name": "A new donor"},
                ],
                "budget_lines": [
                    {
                        "period_start": f"{2025 + j}-01-01",
                        "period_end": f"{2025 + j}-12-31",
                        "amount": str(rng.randint(10_000, 5_000_000)),
                    }
                    for j in range(3)
                ],
            }
        )
        try:
            with transaction.atomic():
                started = time.perf_counter()
                with CaptureQueriesContext(connection) as captured:
                    write_funding(programme=programme, funding=funding)
                if i:  # the first warms the code
                    times.append((time.perf_counter() - started) * 1000)
                    queries = len(captured)
                raise Undo
        except Undo:
            pass
    times.sort()
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    print(
        f"one programme's funding write: p50 {statistics.median(times):.1f} ms, "
        f"p95 {p95:.1f} ms, {queries} queries ({count} writes, rolled back)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--programmes", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--database-url", default="sqlite:////tmp/cbm-bench-funding.sqlite3"
    )
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument(
        "--writes",
        type=int,
        default=0,
        help="also time N funding writes of one programme each (rolled back)",
    )
    parser.add_argument(
        "--load-only",
        action="store_true",
        help="load the data and stop (load under nice, measure with --reuse)",
    )
    parser.add_argument(
        "--no-export", action="store_true", help="the coordination view only"
    )
    parser.add_argument(
        "--export-only",
        action="store_true",
        help="measure the IATI export only (the coordination view is still "
        "requested once, as a warm-up)",
    )
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    if args.database_url.startswith("sqlite:///") and not args.reuse:
        Path(args.database_url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from matchmaking.models import BudgetLine
    from matchmaking.models import Programme

    if not (args.reuse and Programme.objects.exists()):
        load(args.programmes, args.lines, args.seed)
    print(
        f"{Programme.objects.count()} programmes, "
        f"{BudgetLine.objects.count()} budget lines ({connection.vendor})"
    )
    if args.load_only:
        return
    client = Client()
    client.get("/roundtable/coordination/")  # warm the code, not the figures
    connection.queries_log.clear()
    times, cpu = [], []
    for _ in range(0 if args.export_only else args.repeat):
        cache.clear()
        started, started_cpu = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/roundtable/coordination/")
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"coordination view answered {response.status_code}")
    if times:
        times.sort()
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        print(
            f"coordination view, cold: p50 {statistics.median(times):.0f} ms, "
            f"p95 {p95:.0f} ms, {len(queries)} queries "
            f"(this process's CPU: p50 {statistics.median(cpu):.0f} ms)"
        )
    if args.writes:
        write_times(args.writes, args.seed)
    if args.no_export:
        return

    # Each request's own peak, measured the same way: warm (a process's first
    # catalogue page builds the collation table, 11 MB it keeps), tracemalloc
    # started afresh (what the page left is not the export's), and DEBUG off
    # as in production (with it on, Django keeps each query's SQL, up to
    # 9,000, about 1 KB each, and the export makes 1,400 queries).
    settings.DEBUG = False
    client.get("/programmes/")
    tracemalloc.start()
    client.get("/programmes/")
    _, page_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    tracemalloc.start()
    started = time.perf_counter()
    response = client.get("/open-data/iati-activities.xml")
    size, digest = 0, hashlib.sha256()
    for i, chunk in enumerate(response.streaming_content):
        size += len(chunk)
        if i:  # the first is the header, with the time of generation
            digest.update(chunk)
    _, export_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"IATI export: {size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s, "
        f"peak {export_peak / 1e6:.2f} MB allocated while streaming "
        f"(one catalogue page: {page_peak / 1e6:.2f} MB); "
        f"activities sha256 {digest.hexdigest()[:16]}"
    )


if __name__ == "__main__":
    main()
