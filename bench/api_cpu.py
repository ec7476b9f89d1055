"""CPU time per request of bench/api_load.py's endpoints, in one process (not a test).

    DATABASE_URL=postgres://cbm:cbm@127.0.0.1:5432/cbm_bench \\
        .venv/bin/python bench/api_cpu.py [--requests 60] [--profile matches]

On a loaded machine wrk's throughputs move with the other jobs; the CPU a
request costs the server does not. This serves, through Django's full stack
(middleware, token authentication, throttles, the view, rendering) with DEBUG
off and the API read cache off (``API_CACHE_SECONDS=0``), the mixed load's two
endpoints (a need's matches, 70 %; a page of the programme list, 30 %) and the
trivial API root, as the same curator token as bench/api_load.py, and prints
the CPU time (this thread) and the queries per request, then the throughput
ratio the CPU times give: root / (0.7 matches + 0.3 programmes), issue 21's
">= 0.4" read on one core. ``--profile LABEL`` prints a pyinstrument profile
of that endpoint (``pip install pyinstrument``). Needs a database already
loaded and matched (bench/rematch.py or bench/api_load.py leaves one).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(log_level: str = "WARNING") -> None:
    """Django in this process as the API serves uncached (DEBUG off, no
    throttling or read cache, tasks not run), on ``DATABASE_URL``. Also used by
    ``api_answers.py``."""
    os.environ.setdefault(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cbm_bench"
    )
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="False",
        DJANGO_SECRET_KEY="bench-only-" + "x" * 50,
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_SECURE_SSL_REDIRECT="False",
        DJANGO_API_ANON_RATE="1000000/min",
        DJANGO_API_USER_RATE="1000000/min",
        DJANGO_LOG_LEVEL=log_level,
        DJANGO_TASKS_BACKEND="django.tasks.backends.dummy.DummyBackend",
        API_CACHE_SECONDS="0",
    )
    import django

    django.setup()


MIX = {"matches": 0.7, "programmes": 0.3}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60, help="per endpoint")
    parser.add_argument(
        "--profile", choices=["matches", "programmes", "root"], help="profile one"
    )
    args = parser.parse_args()
    setup_django()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from matchmaking.accounts.tokens import create_token
    from matchmaking.models import Need
    from matchmaking.models import Programme
    from matchmaking.models import TokenScope
    from matchmaking.models import User

    user, _ = User.objects.get_or_create(username="bench", is_curator=True)
    TOTPDevice.objects.get_or_create(user=user, name="bench", confirmed=True)
    _token, key = create_token(user=user, name="bench-cpu", scope=TokenScope.READ)
    refs = list(
        Need.objects.filter(matches__isnull=False)
        .distinct()
        .order_by("ref")
        .values_list("ref", flat=True)[:2000]
    )
    pages = max(1, min(20, math.ceil(Programme.objects.count() / 25)))
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    rnd = random.Random(1)  # noqa: S311 - the same requests before and after
    paths = {
        "matches": [
            f"/api/v1/needs/{rnd.choice(refs)}/matches/" for _ in range(args.requests)
        ],
        "programmes": [
            f"/api/v1/programmes/?page={rnd.randint(1, pages)}"
            for _ in range(args.requests)
        ],
        "root": ["/api/v1/"] * args.requests,
    }
    print(
        f"--- load average {os.getloadavg()[0]:.1f}; {connection.settings_dict['NAME']}"
        f", {len(refs)} needs with matches, {pages} programme pages"
    )
    cpu: dict[str, float] = {}
    for label, urls in paths.items():
        for url in urls[:5]:  # warm-up: templates, translations, connections
            assert client.get(url).status_code == 200, url  # noqa: S101
        times, walls, counts = [], [], []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                wall, start = time.perf_counter(), time.thread_time()
                response = client.get(url)
                times.append((time.thread_time() - start) * 1000)
                walls.append((time.perf_counter() - wall) * 1000)
            counts.append(len(queries))
            if response.status_code != 200:
                raise SystemExit(f"{url}: HTTP {response.status_code}")
        cpu[label] = statistics.mean(times)
        print(
            f"{label:11} CPU mean {cpu[label]:6.1f} ms, p50 "
            f"{statistics.median(times):6.1f} ms; wall p50 "
            f"{statistics.median(walls):6.1f} ms; queries {min(counts)}-{max(counts)}"
        )
    mixed = sum(share * cpu[label] for label, share in MIX.items())
    print(
        f"mixed CPU {mixed:.1f} ms, root {cpu['root']:.1f} ms: throughput ratio "
        f"on CPU {cpu['root'] / mixed:.2f} (target >= 0.4)"
    )
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        with profiler:
            for url in paths[args.profile] * 3:
                client.get(url)
        print(profiler.output_text(unicode=False, color=False, show_all=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
