"""Load benchmark of the API (not a test): gunicorn on 127.0.0.1 over PostgreSQL.

    .venv/bin/python bench/api_load.py --needs 10000 --programmes 10000 --duration 60
    .venv/bin/python bench/api_load.py --needs 300 --programmes 300 --duration 10
    .venv/bin/python bench/api_load.py --skip-load --duration 60   # reuse the DB
    .venv/bin/python bench/api_load.py --skip-load --think 1.0     # paced users

Steps: recreate the database named in DATABASE_URL (default cbm_bench), migrate,
``generate_dataset`` + ``import_dataset`` + ``rematch``, make a curator token,
start gunicorn (2 workers x 2 threads, each taking at most an equal share of
the clients, since gthread workers otherwise accept greedily; DEBUG off,
throttles raised, the API read cache on as deployed; each worker
builds its engine index in ``post_worker_init`` before taking requests, since
the index is per process), warm up, then drive ``/api/v1/needs/{ref}/matches/``
(70 %) and ``/api/v1/programmes/?page=N`` (30 %) with ``--clients`` keep-alive
connections for ``--duration`` seconds, then the trivial API root for a third
of it. Prints requests, errors, p50/p95/p99 and req/s per phase, the verdict
against the target (0 errors, p95 <= 150 ms) and the throughput ratio
mixed / trivial.

The load generator is ``wrk`` (``apt-get install wrk``: two event-loop threads,
far lighter on the two shared cores than Python threads) when it is installed,
else Python threads (``--tool python``), whose figures are pessimistic.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import re
import shutil
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
PORT = int(os.environ.get("CBM_BENCH_PORT", "8765"))
P95_TARGET_MS = 150.0
GUNICORN_CONFIG = Path(__file__).with_name("gunicorn_warm.py")


def run(*args: str, env: dict, **kwargs) -> subprocess.CompletedProcess:
    print("+", " ".join(args), flush=True)
    return subprocess.run(args, cwd=ROOT, env=env, check=True, **kwargs)  # noqa: S603


def prepare(env: dict, needs: int, programmes: int) -> None:
    """Fresh database with the synthetic dataset."""
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
    # As production's autovacuum would leave it (a server with autovacuum off
    # keeps the load's dead rows and no statistics: plans go wrong).
    quiet = "SET client_min_messages = error"  # the catalogs are not ours
    run("psql", env["DATABASE_URL"], "-q", "-c", quiet, "-c", "VACUUM ANALYZE", env=env)


FIXTURE_SCRIPT = (
    "import django, json; django.setup();"
    "from matchmaking.models import User, Need, Programme, TokenScope;"
    "from matchmaking.accounts.tokens import create_token;"
    "from django_otp.plugins.otp_totp.models import TOTPDevice;"
    "u, _ = User.objects.get_or_create(username='bench', is_curator=True);"
    # Curators make tokens once two-factor is on.
    "TOTPDevice.objects.get_or_create(user=u, name='bench', confirmed=True);"
    "t, key = create_token(user=u, name='bench', scope=TokenScope.READ);"
    "refs = list(Need.objects.filter(matches__isnull=False).distinct()"
    ".values_list('ref', flat=True)[:2000]);"
    "print(json.dumps({'key': key, 'refs': refs,"
    " 'programmes': Programme.objects.count()}))"
)


def fixtures(env: dict) -> tuple[str, list[str], int]:
    """A curator token, need refs with matches, and the programme list's pages."""
    out = run(PY, "-c", FIXTURE_SCRIPT, env=env, capture_output=True, text=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    pages = max(1, min(20, math.ceil(data["programmes"] / 25)))
    return data["key"], data["refs"], pages


def drive(
    paths, key: str, clients: int, seconds: float, think: float = 0.0
) -> dict[str, list]:
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
            if think:
                # A user reads the answer before the next request.
                time.sleep(
                    max(
                        0.0, min(rnd.uniform(0.5, 1.5) * think, stop - time.monotonic())
                    )
                )
        with lock:
            for label, rows in local.items():
                results.setdefault(label, []).extend(rows)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


WRK_SCRIPT = """
local refs = {%(refs)s}
local pages = %(pages)d
local mode = "%(mode)s"
wrk.headers["Authorization"] = "Token %(key)s"
math.randomseed(%(seed)d)
request = function()
  local path = "/api/v1/"
  if mode == "mixed" then
    if math.random() < 0.7 then
      path = "/api/v1/needs/" .. refs[math.random(#refs)] .. "/matches/"
    else
      path = "/api/v1/programmes/?page=" .. math.random(pages)
    end
  end
  return wrk.format("GET", path)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK %%d %%d %%d %%.3f %%.3f %%.3f\\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000))
end
"""


def drive_wrk(
    mode: str, key: str, refs: list[str], pages: int, clients: int, seconds: float
) -> dict[str, float]:
    """One wrk phase; its figures (latencies in ms)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(
            WRK_SCRIPT
            % {
                "refs": ", ".join(json.dumps(r) for r in refs),
                "pages": pages,
                "mode": mode,
                "key": key,
                "seed": 1,
            }
        )
    done = subprocess.run(  # noqa: S603
        [
            shutil.which("wrk") or "wrk", "-t", "2", "-c", str(clients),
            "-d", f"{seconds:.0f}s", "--timeout", "30s", "-s", lua.name, f"http://127.0.0.1:{PORT}",
        ],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    os.unlink(lua.name)
    number = r"([\d.]+)"
    found = re.search(rf"^WRK {' '.join([number] * 6)}$", done.stdout, re.M)
    if found is None:
        raise RuntimeError(done.stdout + done.stderr)
    n, micros, errors = (int(float(found.group(i))) for i in (1, 2, 3))
    p50, p95, p99 = (float(found.group(i)) for i in (4, 5, 6))
    return {
        "n": n,
        "errors": errors,
        "p50": p50,
        "p95": p95,
        "p99": p99,
        "rate": n / (micros / 1e6),
    }


def show(label: str, figures: dict[str, float]) -> None:
    print(
        f"{label:12} n={figures['n']:7.0f} errors={figures['errors']:4.0f} "
        f"p50={figures['p50']:7.1f} ms p95={figures['p95']:7.1f} ms "
        f"p99={figures['p99']:7.1f} ms {figures['rate']:8.1f} req/s"
    )


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
    parser.add_argument(
        "--tool",
        choices=["wrk", "python"],
        default="wrk" if shutil.which("wrk") else "python",
        help="load generator (default: wrk when installed)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker")
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean seconds each client waits between requests (0: saturate); "
        "implies --tool python, since wrk cannot pace its connections",
    )
    parser.add_argument(
        "--api-cache",
        type=int,
        default=60,
        help="API_CACHE_SECONDS of the server (default 60, as deployed; "
        "0: every answer computed from the database)",
    )
    parser.add_argument(
        "--cache-url",
        default="",
        help="CACHE_URL of the server, e.g. redis://127.0.0.1:6379/15 (emptied "
        "first); default: local memory in each gunicorn process",
    )
    parser.add_argument(
        "--worker-class", default="gthread", help="gunicorn worker class"
    )
    parser.add_argument(
        "--worker-connections",
        type=int,
        default=0,
        help="gunicorn's limit of simultaneous clients per worker (default: "
        "an equal share of --clients; 1000 is gunicorn's own default)",
    )
    args = parser.parse_args()
    if not args.worker_connections:
        # gthread workers accept greedily: without a limit one worker took 48
        # of 50 keep-alive connections and left the other core idle.
        args.worker_connections = math.ceil(args.clients / args.workers)
    if args.think:
        args.tool = "python"
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cbm_bench")
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="False",
        DJANGO_SECRET_KEY="bench-only-" + "x" * 50,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="False",
        DJANGO_API_ANON_RATE="1000000/min",
        DJANGO_API_USER_RATE="1000000/min",
        DJANGO_LOG_LEVEL="WARNING",
        API_CACHE_SECONDS=str(args.api_cache),
        CACHE_URL=args.cache_url,
    )
    if args.cache_url:
        import redis

        redis.Redis.from_url(args.cache_url).flushdb()  # no answer kept before
    if not args.skip_load:
        prepare(env, args.needs, args.programmes)
    key, refs, pages = fixtures(env)
    if not refs:
        print("no need has matches: is the engine wired in?")
        return 1
    server = subprocess.Popen(  # noqa: S603
        [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{PORT}",
         "-w", str(args.workers), "--threads", str(args.threads),
         "-k", args.worker_class,
         "--worker-connections", str(args.worker_connections),
         "--log-level", "warning",
         "-c", str(GUNICORN_CONFIG)],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        wait_until_up()

        def mixed(rnd):
            if rnd.random() < 0.7:
                return "matches", f"/api/v1/needs/{rnd.choice(refs)}/matches/"
            return "programmes", f"/api/v1/programmes/?page={rnd.randint(1, pages)}"

        short = max(args.duration / 3, 5)
        print(
            f"--- load generator: {args.tool}; gunicorn {args.workers} "
            f"{args.worker_class} workers x {args.threads} threads, at most "
            f"{args.worker_connections} clients each; "
            f"API_CACHE_SECONDS={args.api_cache}; "
            f"cache: {args.cache_url or 'local memory per process'}"
        )
        # Warm-up: every worker thread serves a few of each kind of request.
        drive(mixed, key, 8, 3)
        print(f"--- {args.clients} clients, {args.duration:.0f} s, mixed")
        if args.tool == "wrk":
            load = drive_wrk("mixed", key, refs, pages, args.clients, args.duration)
            show("mixed", load)
            print(f"--- {args.clients} clients, {short:.0f} s, trivial")
            root = drive_wrk("trivial", key, refs, pages, args.clients, short)
            show("root", root)
            errors, p95, rate = load["errors"], load["p95"], load["rate"]
            trivial_rate = root["rate"]
        else:
            results = drive(mixed, key, args.clients, args.duration, args.think)
            rates = report(results, args.duration)
            rows = [row for rows in results.values() for row in rows]
            times = sorted(t for t, _ok in rows)
            errors = sum(1 for _t, ok in rows if not ok)
            p95 = statistics.quantiles(times, n=100)[94] if len(times) > 1 else 0.0
            rate = sum(rates.values())
            print(f"--- {args.clients} clients, {short:.0f} s, trivial")
            trivial = report(
                drive(
                    lambda rnd: ("root", "/api/v1/"),
                    key,
                    args.clients,
                    short,
                    args.think,
                ),
                short,
            )
            trivial_rate = trivial["root"]
        if not args.think:
            # Little's law: N saturating connections wait N / throughput on
            # average, so p95 <= target needs at least N / target req/s.
            needed = args.clients / (P95_TARGET_MS / 1000)
            print(
                f"saturating {args.clients} connections: p95 <= "
                f"{P95_TARGET_MS:.0f} ms needs >= {needed:.0f} req/s"
            )
        verdict = "met" if errors == 0 and p95 <= P95_TARGET_MS else "NOT met"
        print(
            f"target (0 errors, p95 <= {P95_TARGET_MS:.0f} ms): {verdict} "
            f"({errors:.0f} errors, p95 {p95:.1f} ms)"
        )
        print(
            f"throughput: mixed {rate:.1f} req/s, trivial {trivial_rate:.1f} req/s, "
            f"ratio mixed / trivial {rate / trivial_rate:.2f}"
        )
    finally:
        server.terminate()
        server.wait(10)
    return 0


def wait_until_up(timeout: float = 120) -> None:
    """Until gunicorn answers (its workers build their engine index first)."""
    stop = time.monotonic() + timeout
    while time.monotonic() < stop:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
            conn.request("GET", "/api/v1/")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("gunicorn did not come up")


if __name__ == "__main__":
    sys.exit(main())
