"""Fault benchmark (not a test): Redis goes away for 60 s under load; 0 errors.

    .venv/bin/python bench/redis_outage.py                       # 1,000 x 1,000
    .venv/bin/python bench/redis_outage.py --skip-load --mode freeze
    .venv/bin/python bench/redis_outage.py --needs 300 --programmes 300 \\
        --before 5 --outage 10 --after 5                          # quick check

Steps: recreate the database named in DATABASE_URL (default cbm_redis_outage
on the local PostgreSQL), ``generate_dataset`` + ``import_dataset`` +
``rematch``, a curator token, ``collectstatic``; start a PRIVATE redis-server
on a free port (no persistence; the shared one is never touched) and gunicorn
(2 workers x 2 threads, DEBUG off, ``CACHE_URL`` naming that Redis, the API
read cache and the statistics cache on as deployed, throttles on with
budgets no client reaches). ``--clients`` keep-alive clients then request a
mix of API lists, matches, statistics and pages (``/gaps/``, the catalogue,
the sign-in page) for
``--before`` s, Redis goes away for ``--outage`` s (``stop``: the process is
terminated, connections are refused; ``freeze``: SIGSTOP, connections hang
until the socket timeouts), comes back (a fresh, empty server; or SIGCONT),
and the load goes on for ``--after`` s. ``/health/`` is polled every 0.5 s.

Prints, for before / during / after: requests, errors (any answer but 200, or
no answer), p50 / p95 / p99 and req/s; when ``/health/`` said ``degraded`` and
``ok`` again; the data size and the machine's load. Exit status 0 when there
was no error, health reported the outage, and it reported recovery.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
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
PORT = 8766
GUNICORN_CONFIG = Path(__file__).with_name("gunicorn_warm.py")

FIXTURE_SCRIPT = (
    "import django, json; django.setup();"
    "from matchmaking.models import User, Need, Programme, Match, TokenScope;"
    "from matchmaking.accounts.tokens import create_token;"
    "u, _ = User.objects.get_or_create(username='bench', is_curator=True);"
    "t, key = create_token(user=u, name='bench', scope=TokenScope.READ);"
    "refs = list(Need.objects.filter(matches__isnull=False).distinct()"
    ".values_list('ref', flat=True)[:2000]);"
    "print(json.dumps({'key': key, 'refs': refs,"
    " 'needs': Need.objects.count(), 'programmes': Programme.objects.count(),"
    " 'matches': Match.objects.count()}))"
)


def run(*args: str, env: dict, **kwargs) -> subprocess.CompletedProcess:
    print("+", " ".join(args), flush=True)
    return subprocess.run(args, cwd=ROOT, env=env, check=True, **kwargs)  # noqa: S603


def prepare(env: dict, needs: int, programmes: int) -> None:
    """Fresh database with the synthetic dataset, ranked."""
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
    os.unlink(path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server of the bench's own (never the shared one)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.directory = tempfile.mkdtemp(prefix="cbm-redis-outage-")
        self.process: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.process = subprocess.Popen(  # noqa: S603
            [binary, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", self.directory],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)  # in case it is frozen
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def freeze(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)


def wait_until_up(timeout: float = 300) -> None:
    """Until gunicorn answers (its workers build their engine index first)."""
    stop = time.monotonic() + timeout
    while time.monotonic() < stop:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
            conn.request("GET", "/health/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("gunicorn did not come up")


def drive(paths, key: str, clients: int, until: float, rows: list) -> None:
    """Keep-alive clients until ``until``; (wall time, label, ms, ok) per request."""
    lock = threading.Lock()

    def worker(seed: int) -> None:
        rnd = random.Random(seed)  # noqa: S311
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        local = []
        while time.time() < until:
            label, path = paths(rnd)
            headers = (
                {"Authorization": f"Token {key}"} if path.startswith("/api") else {}
            )
            at = time.time()
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
                if not ok:
                    print(f"  {response.status} {path}", flush=True)
            except (OSError, http.client.HTTPException) as error:
                ok = False
                print(f"  no answer {path}: {error}", flush=True)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            local.append((at, label, (time.perf_counter() - start) * 1000, ok))
        with lock:
            rows.extend(local)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def poll_health(until: float, seen: list) -> None:
    """``/health/`` every 0.5 s: (wall time, status code, body status)."""
    while time.time() < until:
        at = time.time()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
            conn.request("GET", "/health/")
            response = conn.getresponse()
            body = json.loads(response.read())
            seen.append((at, response.status, body.get("status")))
        except (OSError, http.client.HTTPException, ValueError):
            seen.append((at, 0, "no answer"))
        time.sleep(max(0.0, 0.5 - (time.time() - at)))


def summary(label: str, rows: list, seconds: float) -> int:
    times = sorted(ms for _at, _label, ms, _ok in rows)
    errors = sum(1 for *_rest, ok in rows if not ok)
    if len(times) > 1:
        q = statistics.quantiles(times, n=100)
        p50, p95, p99 = q[49], q[94], q[98]
    else:
        p50 = p95 = p99 = times[0] if times else 0.0
    print(
        f"{label:8} n={len(rows):6} errors={errors:3} p50={p50:7.1f} ms "
        f"p95={p95:7.1f} ms p99={p99:7.1f} ms {len(rows) / seconds:6.1f} req/s"
    )
    return errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--needs", type=int, default=1000)
    parser.add_argument("--programmes", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--before", type=float, default=15, help="seconds")
    parser.add_argument("--outage", type=float, default=60, help="seconds")
    parser.add_argument("--after", type=float, default=20, help="seconds")
    parser.add_argument(
        "--mode",
        choices=["stop", "freeze"],
        default="stop",
        help="stop: terminate Redis (refused connections), start a fresh one; "
        "freeze: SIGSTOP it (hanging connections), then SIGCONT",
    )
    parser.add_argument("--skip-load", action="store_true", help="reuse the DB")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker")
    args = parser.parse_args()

    env = dict(os.environ)
    env.setdefault("DATABASE_URL", "postgres://cbm:cbm@127.0.0.1:5432/cbm_redis_outage")
    redis = PrivateRedis()
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="False",
        DJANGO_SECRET_KEY="bench-only-" + "x" * 50,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="False",
        # Throttles run (their histories are in the cache) but never refuse.
        DJANGO_API_ANON_RATE="1000000/min",
        DJANGO_API_USER_RATE="1000000/min",
        DJANGO_LOG_LEVEL="WARNING",
        API_CACHE_SECONDS="60",
        STATS_CACHE_SECONDS="60",
        CACHE_URL=redis.url,
        # Hashed static names as in production, collected for this run.
        DJANGO_STATIC_ROOT=os.path.join(redis.directory, "static"),
    )
    if not args.skip_load:
        prepare(env, args.needs, args.programmes)
    run(PY, "manage.py", "collectstatic", "--noinput", "-v", "0", env=env)
    out = run(PY, "-c", FIXTURE_SCRIPT, env=env, capture_output=True, text=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    key, refs = data["key"], data["refs"]
    pages = max(1, min(20, data["programmes"] // 25))
    if not refs:
        print("no need has matches: is the engine wired in?")
        return 1

    def mixed(rnd):
        draw = rnd.random()
        if draw < 0.35:
            return "matches", f"/api/v1/needs/{rnd.choice(refs)}/matches/"
        if draw < 0.55:
            return "api-list", f"/api/v1/programmes/?page={rnd.randint(1, pages)}"
        if draw < 0.65:
            return "api-list", f"/api/v1/needs/?page={rnd.randint(1, pages)}"
        if draw < 0.72:
            return "api-stats", "/api/v1/stats/coverage/"
        if draw < 0.85:
            return "gaps", "/gaps/"
        if draw < 0.95:
            return "pages", f"/programmes/?page={rnd.randint(1, pages)}"
        return "pages", "/accounts/login/"

    redis.start()
    server = subprocess.Popen(  # noqa: S603
        [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{PORT}",
         "-w", str(args.workers), "--threads", str(args.threads),
         "--worker-connections", str(-(-args.clients // args.workers) + 2),
         "--log-level", "warning", "-c", str(GUNICORN_CONFIG)],
        cwd=ROOT, env=env,
    )  # fmt: skip
    load_start = os.getloadavg()
    try:
        wait_until_up()
        warm: list = []
        drive(mixed, key, 4, time.time() + 5, warm)  # every worker warmed
        print(
            f"--- {data['needs']} needs, {data['programmes']} programmes, "
            f"{data['matches']} matches; PostgreSQL; gunicorn {args.workers} "
            f"workers x {args.threads} threads; {args.clients} clients; "
            f"{os.cpu_count()} cores, load average before "
            f"{load_start[0]:.2f} (1 min)"
        )
        t0 = time.time()
        down_at = t0 + args.before
        up_at = down_at + args.outage
        end = up_at + args.after
        rows: list = []
        health: list = []
        load = threading.Thread(
            target=drive, args=(mixed, key, args.clients, end, rows)
        )
        probe = threading.Thread(target=poll_health, args=(end, health))
        load.start()
        probe.start()
        time.sleep(max(0.0, down_at - time.time()))
        print(f"--- t={time.time() - t0:5.1f} s: Redis {args.mode}", flush=True)
        redis.stop() if args.mode == "stop" else redis.freeze()
        time.sleep(max(0.0, up_at - time.time()))
        print(f"--- t={time.time() - t0:5.1f} s: Redis back", flush=True)
        redis.start() if args.mode == "stop" else redis.thaw()
        load.join()
        probe.join()
        load_end = os.getloadavg()

        print(f"--- Redis {args.mode} from {args.before:.0f} s to "
              f"{args.before + args.outage:.0f} s of {end - t0:.0f} s")  # fmt: skip
        phases = {
            "before": [r for r in rows if r[0] < down_at],
            "during": [r for r in rows if down_at <= r[0] < up_at],
            "after": [r for r in rows if r[0] >= up_at],
        }
        seconds = {"before": args.before, "during": args.outage, "after": args.after}
        errors = sum(summary(k, v, seconds[k]) for k, v in phases.items())
        for label in sorted({r[1] for r in rows}):
            print(f"  {label}:")
            for phase, found in phases.items():
                summary(
                    f"  {phase}", [r for r in found if r[1] == label], seconds[phase]
                )
        degraded = [
            at - down_at for at, _code, s in health if at >= down_at and s == "degraded"
        ]
        recovered = [at - up_at for at, _code, s in health if at >= up_at and s == "ok"]
        codes = sorted({code for _at, code, _s in health})
        print(
            f"/health/: codes {codes}; 'degraded' "
            f"{degraded[0]:.1f} s after the outage began"
            if degraded
            else f"/health/: codes {codes}; never said 'degraded'"
        )
        print(
            f"/health/: 'ok' again {recovered[0]:.1f} s after Redis came back"
            if recovered
            else "/health/: never 'ok' again"
        )
        print(
            f"load average (1 min) before {load_start[0]:.2f}, "
            f"after {load_end[0]:.2f} on {os.cpu_count()} cores"
        )
        good = errors == 0 and bool(degraded) and bool(recovered) and codes == [200]
        print("verdict: " + ("0 errors, health told the truth" if good else "FAILED"))
        return 0 if good else 1
    finally:
        server.terminate()
        server.wait(30)
        redis.stop()
        shutil.rmtree(redis.directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
