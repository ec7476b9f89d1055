"""Load benchmark of the API (not a test): gunicorn on 127.0.0.1 over PostgreSQL.

    .venv/bin/python bench/api_load.py --needs 1000 --programmes 1000 --duration 60

Steps: recreate the database named in DATABASE_URL (default cbm_bench), migrate,
``generate_dataset`` + ``import_dataset`` + ``rematch``, make a curator token,
start gunicorn (2 workers x 4 threads, DEBUG off, throttles raised), then drive
``/api/v1/needs/{ref}/matches/`` and ``/api/v1/programmes/`` with N concurrent
keep-alive clients for the given time, then the trivial API root for a third
of it. Prints p50/p95/p99, errors and req/s per endpoint. The load generator is
Python threads on the same 2 cores, so absolute numbers are pessimistic.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
PORT = 8765


def run(*args: str, env: dict, **kwargs) -> subprocess.CompletedProcess:
    print("+", " ".join(args), flush=True)
    return subprocess.run(args, cwd=ROOT, env=env, check=True, **kwargs)  # noqa: S603


def prepare(env: dict, needs: int, programmes: int) -> tuple[str, list[str]]:
    """Fresh database with the synthetic dataset; returns a token and need refs."""
    url = urlparse(env["DATABASE_URL"])
    name = url.path.lstrip("/")
    admin = f"{url.scheme}://{url.netloc}/postgres"
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    run("psql", admin, "-q", "-c", drop, env=env)
    run("psql", admin, "-q", "-c", f'CREATE DATABASE "{name}"', env=env)
    run(PY, "manage.py", "migrate", "--noinput", "-v", "0", env=env)
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        path = out.name
    run(
        PY, "manage.py", "generate_dataset", "--needs", str(needs),
        "--programmes", str(programmes), "--seed", "1", "-o", path, env=env,
    )  # fmt: skip
    run(PY, "manage.py", "import_dataset", path, env=env)
    run(PY, "manage.py", "rematch", env=env)
    script = (
        "import django, json; django.setup();"
        "from matchmaking.models import User, Need, TokenScope;"
        "from matchmaking.tokens import create_token;"
        "u, _ = User.objects.get_or_create(username='bench', is_curator=True);"
        "t, key = create_token(user=u, name='bench', scope=TokenScope.READ);"
        "refs = list(Need.objects.filter(matches__isnull=False).distinct()"
        ".values_list('ref', flat=True)[:2000]);"
        "print(json.dumps({'key': key, 'refs': refs}))"
    )
    out = run(PY, "-c", script, env=env, capture_output=True, text=True).stdout
    data = json.loads(out.strip().splitlines()[-1])
    return data["key"], data["refs"]


def drive(paths, key: str, clients: int, seconds: float) -> dict[str, list]:
    """N keep-alive clients for a while; latencies (ms) and errors per label."""
    results: dict[str, list] = {}
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(seed: int) -> None:
        rnd = random.Random(seed)  # noqa: S311
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        local: dict[str, list] = {}
        while time.monotonic() < stop:
            label, path = paths(rnd)
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Authorization": f"Token {key}"})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            elapsed = (time.perf_counter() - start) * 1000
            local.setdefault(label, []).append((elapsed, ok))
        with lock:
            for label, rows in local.items():
                results.setdefault(label, []).extend(rows)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def report(results: dict[str, list], seconds: float) -> dict[str, float]:
    rates = {}
    for label, rows in sorted(results.items()):
        times = sorted(t for t, _ok in rows)
        errors = sum(1 for _t, ok in rows if not ok)
        q = statistics.quantiles(times, n=100) if len(times) > 1 else times * 99
        rates[label] = len(rows) / seconds
        print(
            f"{label:12} n={len(rows):6} errors={errors:4} "
            f"p50={q[49]:7.1f} ms p95={q[94]:7.1f} ms p99={q[98]:7.1f} ms "
            f"{rates[label]:7.1f} req/s"
        )
    return rates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--needs", type=int, default=1000)
    parser.add_argument("--programmes", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--skip-load", action="store_true", help="reuse the DB")
    args = parser.parse_args()
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cbm_bench")
    env.update(
        DJANGO_DEBUG="False",
        DJANGO_SECRET_KEY="bench-only-" + "x" * 50,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="False",
        DJANGO_API_ANON_RATE="1000000/min",
        DJANGO_API_USER_RATE="1000000/min",
        DJANGO_LOG_LEVEL="WARNING",
    )
    if args.skip_load:
        env_key = subprocess.run(  # noqa: S603
            [PY, "-c", "import django; django.setup();"
             "from matchmaking.models import User, Need, TokenScope;"
             "from matchmaking.tokens import create_token;import json;"
             "u, _ = User.objects.get_or_create(username='bench', is_curator=True);"
             "t, k = create_token(user=u, name='bench', scope=TokenScope.READ);"
             "print(json.dumps({'key': k, 'refs': list(Need.objects.filter("
             "matches__isnull=False).distinct().values_list('ref', flat=True)"
             "[:2000])}))"],
            cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        data = json.loads(env_key.strip().splitlines()[-1])
        key, refs = data["key"], data["refs"]
    else:
        env["DJANGO_SETTINGS_MODULE"] = "config.settings"
        key, refs = prepare(env, args.needs, args.programmes)
    if not refs:
        print("no need has matches: is the engine wired in?")
        return 1
    server = subprocess.Popen(  # noqa: S603
        [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{PORT}",
         "-w", "2", "--threads", "4", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        time.sleep(3)

        def mixed(rnd):
            if rnd.random() < 0.7:
                return "matches", f"/api/v1/needs/{rnd.choice(refs)}/matches/"
            return "programmes", f"/api/v1/programmes/?page={rnd.randint(1, 20)}"

        print(f"--- {args.clients} clients, {args.duration:.0f} s, mixed")
        drive(mixed, key, 4, 3)  # warm-up
        rates = report(drive(mixed, key, args.clients, args.duration), args.duration)
        short = max(args.duration / 3, 5)
        print(f"--- {args.clients} clients, {short:.0f} s, trivial")
        trivial = report(
            drive(lambda rnd: ("root", "/api/v1/"), key, args.clients, short), short
        )
        total = sum(rates.values())
        print(f"throughput ratio (mixed / trivial): {total / trivial['root']:.2f}")
    finally:
        server.terminate()
        server.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
