"""End-to-end matching benchmark: the engine driven through the database.

    .venv/bin/python bench/rematch.py --needs 10000 --programmes 10000 \
        [--database-url postgres://cbm:cbm@127.0.0.1:5432/cbm_bench]

Creates (or reuses) the benchmark database, loads a synthetic ``cbm-dataset/1``
of the given size with ``generate_dataset`` + ``import_dataset`` (unless
``--skip-load``), then times, with peak memory and CPU time: a cold full
rematch (load, rank, store) and the task queued after it (near misses, advice),
a warm one (the next rematch in the worker), the suggestions of one need after
an edit and then its near misses and advice (the background tasks' work), a
programme edit, and a capacity-aware allocation. It never touches the
project's own database unless you point ``--database-url`` at it.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def peak_mb() -> str:
    """Peak resident memory so far: this process, and its largest child (the
    forked ranking workers), in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return f"peak RSS {own:.0f} MB (largest worker {child:.0f} MB)"


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (load-independent-ish)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def ensure_postgres_database(url: str) -> None:
    """Create the benchmark database when it does not exist yet."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--needs", type=int, default=1000)
    parser.add_argument("--programmes", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url",
        default="postgres://cbm:cbm@127.0.0.1:5432/cbm_bench",
        help="benchmark database (created if missing; its data is replaced)",
    )
    parser.add_argument("--edits", type=int, default=20, help="need edits to time")
    parser.add_argument(
        "--skip-load", action="store_true", help="reuse the data already loaded"
    )
    parser.add_argument(
        "--rematches", type=int, default=2, help="full rematches to time (cold, warm)"
    )
    parser.add_argument(
        "--no-allocation", action="store_true", help="leave the allocation out"
    )
    parser.add_argument(
        "--no-derived",
        action="store_true",
        help="leave out the near misses and advice (the tasks after the suggestions)",
    )
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Work is timed here, not queued: run tasks nowhere during the load.
    os.environ["DJANGO_TASKS_BACKEND"] = "django.tasks.backends.dummy.DummyBackend"
    sys.path.insert(0, str(ROOT))
    if args.database_url.startswith("postgres"):
        ensure_postgres_database(args.database_url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from matchmaking import suggestions
    from matchmaking.models import Match
    from matchmaking.models import Need
    from matchmaking.models import Programme

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    if not args.skip_load:
        name = f"cbm-bench-{args.needs}x{args.programmes}-{args.seed}.json"
        dataset = Path(tempfile.gettempdir()) / name
        if not dataset.exists():
            subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
                [
                    sys.executable,
                    str(ROOT / "manage.py"),
                    "generate_dataset",
                    "--needs",
                    str(args.needs),
                    "--programmes",
                    str(args.programmes),
                    "--seed",
                    str(args.seed),
                    "--output",
                    str(dataset),
                ],
                check=True,
                env=os.environ,
            )
        call_command("import_dataset", str(dataset), verbosity=0)
    database = args.database_url.rsplit("/", 1)[1]
    print(f"database        {connection.vendor}, {database}")
    print(
        f"data            {Need.objects.count()} needs x "
        f"{Programme.objects.count()} programmes "
        f"(import {time.perf_counter() - started:.1f} s)"
    )

    suggestions.reset_engine()
    for n in range(args.rematches):
        # The second is what the task worker does on the next rematch: a new
        # index, the texts' analyses kept (only changed texts are analysed).
        label = "full rematch" if n == 0 else "again (warm)"
        cpu = cpu_seconds()
        report = suggestions.rematch_all()
        total = report.seconds_load + report.seconds_rank + report.seconds_store
        print(
            f"{label:<15} {total:.1f} s (load+encode {report.seconds_load:.1f}, "
            f"rank {report.seconds_rank:.1f}, store {report.seconds_store:.1f}; "
            f"CPU {cpu_seconds() - cpu:.1f} s); "
            f"{report.suggestions} suggestions, {report.unmet} unmet; {peak_mb()}",
            flush=True,
        )
        if args.no_derived:
            continue
        # The task queued after it, run here.
        cpu = cpu_seconds()
        done = suggestions.refresh_derived()
        spent = done.seconds_load + done.seconds_near_misses + done.seconds_advice
        print(
            f"  then its task {spent:.1f} s (near misses "
            f"{done.seconds_near_misses:.1f}, advice {done.seconds_advice:.1f}; "
            f"CPU {cpu_seconds() - cpu:.1f} s): {done.near_misses} near misses, "
            f"{done.changes} advised changes; {peak_mb()}",
            flush=True,
        )

    needs = list(Need.objects.order_by("pk").values_list("pk", flat=True)[: args.edits])
    timings, after = [], []
    for pk in needs:
        need = Need.objects.get(pk=pk)
        need.description += " Training for the national CSIRT is also wanted."
        need.save(update_fields=["description", "updated_at"])
        t0 = time.perf_counter()
        suggestions.refresh_need_suggestions(need_id=pk)
        t1 = time.perf_counter()
        if not args.no_derived:
            suggestions.refresh_need_derived(need_id=pk)
        timings.append((t1 - t0) * 1000)
        after.append((time.perf_counter() - t1) * 1000)
    print(
        f"need edit       refresh p50 {statistics.median(timings):.0f} ms, "
        f"p95 {statistics.quantiles(timings, n=20)[-1]:.0f} ms "
        f"({len(timings)} edits, rank + store); its near misses and advice "
        f"p50 {statistics.median(after):.0f} ms, "
        f"p95 {statistics.quantiles(after, n=20)[-1]:.0f} ms",
        flush=True,
    )

    programme = Programme.objects.order_by("pk").first()
    programme.title += " (updated)"
    programme.save(update_fields=["title", "updated_at"])
    t0 = time.perf_counter()
    reranked = suggestions.refresh_programme_suggestions(programme_id=programme.pk)
    t1 = time.perf_counter()
    if not args.no_derived:
        suggestions.refresh_programme_derived(
            programme_id=programme.pk, need_ids=reranked
        )
    print(
        f"programme edit  {t1 - t0:.2f} s ({len(reranked)} needs re-ranked), "
        f"then its near misses and advice {time.perf_counter() - t1:.2f} s",
        flush=True,
    )

    if not args.no_allocation:
        t0 = time.perf_counter()
        slate = suggestions.propose_allocation(fairness=True)
        print(
            f"allocation      {time.perf_counter() - t0:.1f} s (candidates "
            f"{slate.seconds_candidates:.1f} s, solve {slate.seconds_solve:.2f} s); "
            f"{len(slate.pairs)} pairs for {slate.needs_considered} needs, "
            f"status {slate.status}"
        )
    print(f"matches stored  {Match.objects.count()}; {peak_mb()}")
    if connection.vendor == "postgresql":
        # Left as production's autovacuum would leave it: the serving benches
        # (web_worker.py, api_load.py, pages.py) read this database, and a
        # server with autovacuum off (this machine's) keeps the load's dead
        # rows and no statistics (a page's count took 385 ms instead of 0.2).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return 0


if __name__ == "__main__":
    sys.exit(main())
