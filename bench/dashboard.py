"""Gap dashboard and statistics endpoints: latency and query counts at scale.

    .venv/bin/python bench/dashboard.py --needs 10000 --programmes 10000 \
        --database-url postgres://postgres@127.0.0.1:5432/cbm_bench_dashboard \
        [--repeat 30] [--reuse]

Recreates the database (unless ``--reuse`` and it already holds the data),
loads a synthetic ``cbm-dataset/1`` with ``generate_dataset`` +
``import_dataset``, runs the engine (``rematch_all``: suggestions and each
need's unmet reason), then spreads the needs' posting dates over two years and
moves one match in ten through agreed / in delivery / completed with their
history rows, so every statistic has data, and runs ``VACUUM ANALYZE`` (what
autovacuum does after a bulk load: planner statistics and the visibility map
that lets the statistics read the match, need and programme tables through
their covering indexes; with ``--reuse`` too). It then requests each page and
endpoint in-process (Django's test client, no network or web server) as an
anonymous visitor and as a curator, with and without filters, and prints p50
and p95 in milliseconds, cold (the statistics cache emptied before each
request: every figure computed from the database) and warm (served from the
cache, as most visitors are), and the number of SQL queries per cold request
(which must not change with the data's size). Targets: p95 <= 200 ms at
10,000 x 10,000, cold (the cache is an extra, not what meets the target).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FILTERED = "theme=incident-management-cip&region=002&start=2025-06&end=2026-10"
TARGETS = [
    ("dashboard", "/gaps/"),
    ("dashboard, filtered, topics", f"/gaps/?{FILTERED}&rows=topic&columns=subregion"),
    ("heatmap.csv", "/gaps/heatmap.csv"),
    ("api stats/heatmap", "/api/v1/stats/heatmap/"),
    ("api stats/heatmap, filtered", f"/api/v1/stats/heatmap/?{FILTERED}"),
    ("api stats/coverage", "/api/v1/stats/coverage/"),
    ("api stats/unmet-needs", "/api/v1/stats/unmet-needs/"),
    ("api stats/timeline", "/api/v1/stats/timeline/"),
    ("api stats/providers", "/api/v1/stats/providers/"),
    ("api stats/map", "/api/v1/stats/map/"),
]  # fmt: skip
CURATOR_ONLY = [("review queue (duplicates)", "/curation/")]


def recreate_postgres_database(url: str) -> None:
    """Drop and create the benchmark database."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def load(needs: int, programmes: int, seed: int) -> None:
    """Synthetic data, the engine's suggestions, dates and match history."""
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from matchmaking import suggestions
    from matchmaking.enums import MatchStatus
    from matchmaking.models import Match
    from matchmaking.models import MatchEvent
    from matchmaking.models import Need

    call_command("migrate", verbosity=0)
    name = f"cbm-bench-{needs}x{programmes}-{seed}.json"
    dataset = Path(tempfile.gettempdir()) / name
    if not dataset.exists():
        subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "generate_dataset",
                "--needs",
                str(needs),
                "--programmes",
                str(programmes),
                "--seed",
                str(seed),
                "--output",
                str(dataset),
            ],
            check=True,
            env=os.environ,
        )
    started = time.perf_counter()
    call_command("import_dataset", str(dataset), verbosity=0)
    suggestions.reset_engine()
    report = suggestions.rematch_all()
    print(
        f"loaded          {Need.objects.count()} needs, {report.suggestions} "
        f"suggestions, {report.unmet} unmet ({time.perf_counter() - started:.0f} s)"
    )
    rnd = random.Random(seed)  # noqa: S311 - not for security
    now = timezone.now()
    batch = list(Need.objects.only("pk"))
    for need in batch:
        need.created_at = now - timedelta(days=rnd.randrange(730))
    Need.objects.bulk_update(batch, ["created_at"], batch_size=2000)
    matches = list(Match.objects.only("pk", "status").order_by("pk")[::10])
    steps = [MatchStatus.AGREED, MatchStatus.IN_DELIVERY, MatchStatus.COMPLETED]
    events = []
    for match in matches:
        reached = steps[: rnd.randrange(1, 4)]
        match.status = reached[-1]
        previous = MatchStatus.SUGGESTED
        for status in reached:
            events.append(
                MatchEvent(match=match, from_status=previous, to_status=status)
            )
            previous = status
    Match.objects.bulk_update(matches, ["status"], batch_size=2000)
    created = MatchEvent.objects.bulk_create(events, batch_size=2000)
    for event in created:
        event.at = now - timedelta(days=rnd.randrange(700))
    MatchEvent.objects.bulk_update(created, ["at"], batch_size=2000)
    print(f"history         {len(matches)} matches moved, {len(created)} events")
    if connection.vendor == "postgresql":
        vacuum_analyze()


def vacuum_analyze() -> None:
    """What autovacuum does soon after a bulk load: planner statistics, and a
    visibility map so that index-only scans skip the table (the statistics
    read the match table through its (need, status, id) index). Done by hand
    because the load is faster than autovacuum and some clusters turn it off.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def measure(
    client, path: str, repeat: int, *, cold: bool
) -> tuple[list[float], set[int]]:
    """Timings (ms) and query counts of ``repeat`` requests after two warm-ups.

    Cold: the statistics cache is emptied before each request, so every figure
    is computed from the database; warm: the cache is kept.
    """
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings, queries = [], set()
    for index in range(repeat + 2):
        if cold:
            cache.clear()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(path)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
            elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
        if index >= 2:
            timings.append(elapsed)
            queries.add(len(captured))
    return timings, queries


def p95(timings: list[float]) -> float:
    return statistics.quantiles(timings, n=20)[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--needs", type=int, default=1000)
    parser.add_argument("--programmes", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/cbm_bench_dashboard",
        help="benchmark database (recreated unless --reuse)",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database if it has data"
    )
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DJANGO_TASKS_BACKEND"] = "django.tasks.backends.dummy.DummyBackend"
    # Throttling is not what is measured here.
    os.environ["DJANGO_API_ANON_RATE"] = "1000000/min"
    os.environ["DJANGO_API_USER_RATE"] = "1000000/min"
    sys.path.insert(0, str(ROOT))
    postgres = args.database_url.startswith("postgres")
    if postgres and not args.reuse:
        recreate_postgres_database(args.database_url)

    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from matchmaking.models import Need
    from matchmaking.models import User

    if not args.reuse or not Need.objects.exists():
        load(args.needs, args.programmes, args.seed)
    elif connection.vendor == "postgresql":
        vacuum_analyze()
    curator, _ = User.objects.get_or_create(
        username="bench-curator", defaults={"is_curator": True}
    )
    anonymous, signed_in = Client(), Client()
    signed_in.force_login(curator)
    print(
        f"database        {connection.vendor}, "
        f"{args.database_url.rsplit('/', 1)[1]}; {args.repeat} requests each"
    )
    print(
        f"{'page or endpoint':40} {'viewer':8} {'cold p50':>8} {'p95':>7} "
        f"{'warm p50':>8} {'p95':>7} queries (cold)"
    )
    worst = 0.0
    for viewer, client, targets in (
        ("public", anonymous, TARGETS),
        ("curator", signed_in, TARGETS + CURATOR_ONLY),
    ):
        for label, path in targets:
            cold, queries = measure(client, path, args.repeat, cold=True)
            warm, _queries = measure(client, path, args.repeat, cold=False)
            figures = [
                statistic(timings)
                for timings in (cold, warm)
                for statistic in (statistics.median, p95)
            ]
            worst = max(worst, figures[1])
            counts = "/".join(str(q) for q in sorted(queries))
            print(
                f"{label:40} {viewer:8} {figures[0]:8.1f} {figures[1]:7.1f} "
                f"{figures[2]:8.1f} {figures[3]:7.1f} {counts}"
            )
    print(f"worst cold p95  {worst:.1f} ms (target 200 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
