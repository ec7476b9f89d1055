"""Load and fault benchmark of the production setup (not a test; loopback only).

    .venv/bin/python bench/hardening.py --needs 300 --programmes 300 \\
        --users 50 --duration 20 --fault-duration 20 --outage 10   # quick check
    .venv/bin/python bench/hardening.py --needs 10000 --programmes 10000  # full run

Needs root and Debian's PostgreSQL (postgresql-common). So as not to disturb
the main cluster, it creates its OWN cluster (``<version>/cbmbench`` on port
5433, trust authentication on loopback only) and only ever restarts or stops
that one. Then:

1. fresh database with ``generate_dataset`` + ``import_dataset`` + ``rematch``,
   ``collectstatic``, a curator with a read token and a read-write token;
2. the app as in production: gunicorn with ``deploy/gunicorn.conf.py``
   (2 workers x 4 threads, DEBUG off, persistent connections with health
   checks) and the task worker (``manage.py task_worker``);
3. **load**: locust headless (``bench/locustfile.py``), N users (200) for
   ``--duration`` s (60): 70 % match queries, 20 % lists, 10 % writes; prints
   p50/p95/p99, req/s and failures (must be 0);
4. **restart**: 50 users for ``--fault-duration`` s (40); PostgreSQL restarts
   at 15 s; prints each failure's time relative to the restart, checks that
   failures fall only inside the restart window (restart start to 5 s after
   it returns), that the app serves again without being restarted, and that
   no error response carries a traceback;
5. **outage**: PostgreSQL stopped for ``--outage`` s (30) while /health/ and
   an API list are polled every 0.25 s; checks /health/ answers 503 within
   2 s of the stop and 200 within 10 s of the start, with generic errors.

Everything is bounded in time (each phase has a hard timeout) and stops by
itself; the bench cluster is stopped at the end (``--drop-cluster`` removes
it). Exit status 0 when every criterion holds. Locust and the app share the
machine's cores, so latencies are pessimistic.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
BIN = ROOT / ".venv" / "bin"
CLUSTER = "cbmbench"
HOST = "127.0.0.1"

FIXTURE_SCRIPT = """
import django, json, math; django.setup()
from matchmaking.models import User, Need, Programme, TokenScope
from matchmaking.accounts.tokens import create_token
user, _ = User.objects.get_or_create(username="bench-curator", is_curator=True)
_t, read_key = create_token(user=user, name="bench read", scope=TokenScope.READ)
_t, write_key = create_token(
    user=user, name="bench write", scope=TokenScope.READ_WRITE
)
refs = list(Need.objects.filter(matches__isnull=False).distinct()
            .values_list("ref", flat=True)[:2000])
pages = max(1, min(20, math.ceil(Programme.objects.count() / 25)))
print(json.dumps({"read_key": read_key, "write_key": write_key,
                  "refs": refs, "pages": pages}))
"""


def sh(*args: str, env: dict | None = None, timeout: float = 600, **kwargs):
    """Run a command (fixed argv, no shell), failing loudly."""
    print("+", " ".join(args), flush=True)
    return subprocess.run(  # noqa: S603
        args, cwd=ROOT, env=env, check=True, timeout=timeout, **kwargs
    )


def pg_version() -> str:
    return sorted(os.listdir("/etc/postgresql"), key=float)[-1]


def ctl(version: str, action: str) -> tuple[float, float]:
    """pg_ctlcluster on the bench cluster only; (start, end) wall-clock times."""
    start = time.time()
    sh(
        "pg_ctlcluster", "--skip-systemctl-redirect", version, CLUSTER, action,
        timeout=120,
    )  # fmt: skip
    return start, time.time()


def ensure_cluster(version: str, port: int) -> None:
    """Create (once) and start the bench cluster; wait until it accepts."""
    listing = subprocess.run(
        ["pg_lsclusters", "-h"],  # noqa: S607
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rows = [line.split() for line in listing.splitlines()]
    if not any(r[0] == version and r[1] == CLUSTER for r in rows):
        sh(
            "pg_createcluster", version, CLUSTER, "--port", str(port),
            "-o", "max_connections=200",  # listens on localhost only (default)
            "--", "--auth-host=trust", "--auth-local=trust",
        )  # fmt: skip
    elif any(r[0] == version and r[1] == CLUSTER and r[3] == "online" for r in rows):
        return
    ctl(version, "start")
    wait_for_postgres(port, 60)


def wait_for_postgres(port: int, seconds: float) -> None:
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        ready = subprocess.run(  # noqa: S603
            ["pg_isready", "-q", "-h", HOST, "-p", str(port)],  # noqa: S607
            check=False,
        )
        if ready.returncode == 0:
            return
        time.sleep(0.2)
    raise RuntimeError("the bench cluster did not come up")


def prepare(env: dict, port: int, needs: int, programmes: int) -> None:
    """A fresh database with the synthetic dataset, ranked."""
    admin = f"postgres://postgres@{HOST}:{port}/postgres"
    sh("psql", admin, "-q", "-c", "DROP DATABASE IF EXISTS cbm_hardening WITH (FORCE)")
    sh("psql", admin, "-q", "-c", "CREATE DATABASE cbm_hardening")
    sh(PY, "manage.py", "migrate", "--noinput", "-v", "0", env=env)
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        path = out.name
    sh(
        PY, "manage.py", "generate_dataset", "--needs", str(needs),
        "--programmes", str(programmes), "--seed", "1", "-o", path, env=env,
    )  # fmt: skip
    sh(PY, "manage.py", "import_dataset", path, env=env, timeout=1800)
    sh(PY, "manage.py", "rematch", env=env, timeout=1800)
    os.unlink(path)


def get(port: int, path: str, token: str | None = None) -> tuple[int, str]:
    """One request; (status, body head), or (0, error) when no answer."""
    try:
        conn = http.client.HTTPConnection(HOST, port, timeout=5)
        headers = {"Authorization": f"Token {token}"} if token else {}
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read(2000).decode(errors="replace")
        conn.close()
        return response.status, body
    except OSError as error:
        return 0, str(error)


def wait_until_up(port: int, seconds: float = 300) -> None:
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        if get(port, "/health/")[0] == 200:
            return
        time.sleep(0.5)
    raise RuntimeError("gunicorn did not come up")


def locust(
    fixtures: Path, events: Path, port: int, users: int, seconds: int, csv_prefix: Path
) -> subprocess.Popen:
    env = {
        **os.environ,
        "CBM_BENCH_FIXTURES": str(fixtures),
        "CBM_BENCH_EVENTS": str(events),
    }
    return subprocess.Popen(  # noqa: S603
        [
            str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"),
            "--headless", "-u", str(users), "-r", str(max(1, min(users, 50))),
            "-t", f"{seconds}s", "--stop-timeout", "5", "--only-summary",
            "--host", f"http://{HOST}:{port}", "--csv", str(csv_prefix),
            "--loglevel", "WARNING",
        ],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip


def stats(csv_prefix: Path) -> dict[str, dict[str, float]]:
    """Locust's summary rows: name -> figures (latencies in ms)."""
    rows = {}
    with Path(f"{csv_prefix}_stats.csv").open() as handle:
        for row in csv.DictReader(handle):
            rows[row["Name"]] = {
                "n": float(row["Request Count"]),
                "failures": float(row["Failure Count"]),
                "p50": float(row["50%"] or 0),
                "p95": float(row["95%"] or 0),
                "p99": float(row["99%"] or 0),
                "rps": float(row["Requests/s"]),
            }
    return rows


def show(rows: dict[str, dict[str, float]]) -> None:
    for name, f in rows.items():
        print(
            f"  {name[:34]:34} n={f['n']:7.0f} failures={f['failures']:5.0f} "
            f"p50={f['p50']:6.0f} p95={f['p95']:6.0f} p99={f['p99']:6.0f} ms "
            f"{f['rps']:7.1f} req/s"
        )


def leaks(text: str) -> bool:
    return any(word in text for word in ("Traceback", 'File "', "psycopg", "SELECT "))


def run_load(args, fixtures: Path, work: Path) -> bool:
    print(f"\n== load: {args.users} users for {args.duration} s")
    prefix, events = work / "load", work / "load-events.json"
    proc = locust(fixtures, events, args.app_port, args.users, args.duration, prefix)
    proc.wait(timeout=args.duration + 120)
    rows = stats(prefix)
    show(rows)
    total = rows["Aggregated"]
    ok = total["failures"] == 0
    print(
        f"RESULT load: {total['n']:.0f} requests, {total['failures']:.0f} failed, "
        f"p50 {total['p50']:.0f} ms, p95 {total['p95']:.0f} ms, "
        f"p99 {total['p99']:.0f} ms, {total['rps']:.1f} req/s -> "
        f"{'PASS' if ok else 'FAIL'}"
    )
    return ok


def run_restart(args, version: str, fixtures: Path, work: Path) -> bool:
    users, seconds, at = 50, args.fault_duration, min(15, args.fault_duration // 2)
    print(f"\n== restart: {users} users for {seconds} s, PostgreSQL restart at {at} s")
    prefix, events = work / "restart", work / "restart-events.json"
    began = time.time()
    proc = locust(fixtures, events, args.app_port, users, seconds, prefix)
    time.sleep(at)
    start, end = ctl(version, "restart")
    proc.wait(timeout=seconds + 120)
    show(stats(prefix))
    data = json.loads(events.read_text())
    window = (start, end + 5)
    failures = data["failures"]
    inside = [f for f in failures if window[0] <= f["at"] <= window[1]]
    outside = [f for f in failures if not window[0] <= f["at"] <= window[1]]
    print(
        f"  restart began at +{start - began:.1f} s and took {end - start:.2f} s; "
        f"window +{window[0] - began:.1f}..+{window[1] - began:.1f} s"
    )
    if failures:
        first, last = failures[0]["at"] - start, failures[-1]["at"] - start
        statuses = sorted({f["status"] for f in failures})
        print(
            f"  failures: {len(failures)} (statuses {statuses}), from {first:+.2f} s "
            f"to {last:+.2f} s relative to the restart"
        )
    after = {
        int(s): c for s, c in data["seconds"].items() if int(s) > window[1]
    }  # seconds after the window: all served?
    served_after = sum(c[0] for c in after.values())
    failed_after = sum(c[1] for c in after.values())
    generic = not any(leaks(f["body"]) for f in failures)
    ok = not outside and served_after > 0 and failed_after == 0 and generic
    print(
        f"RESULT restart: {len(inside)} failures inside the window, "
        f"{len(outside)} outside; {served_after} requests served after it "
        f"({failed_after} failed), no app restart; error bodies generic: "
        f"{generic} -> {'PASS' if ok else 'FAIL'}"
    )
    for f in outside[:5]:
        print(f"  outside: {f}")
    return ok


def run_outage(args, version: str, token: str) -> bool:
    print(f"\n== outage: PostgreSQL stopped for {args.outage} s")
    samples: list[tuple[float, str, int, str]] = []
    stop_polling = threading.Event()

    def poll() -> None:
        while not stop_polling.is_set():
            for path, key in (("/health/", None), ("/api/v1/programmes/", token)):
                status, body = get(args.app_port, path, key)
                samples.append((time.time(), path, status, body))
            time.sleep(0.25)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    time.sleep(3)
    stop_start, stop_end = ctl(version, "stop")
    time.sleep(args.outage)
    start_start, start_end = ctl(version, "start")
    time.sleep(15)
    stop_polling.set()
    poller.join(timeout=10)

    def first(path: str, status: int, since: float) -> float | None:
        for at, p, s, _body in samples:
            if p == path and at >= since and s == status:
                return at - since
        return None

    down = first("/health/", 503, stop_start)
    up = first("/health/", 200, start_end)
    api_up = first("/api/v1/programmes/", 200, start_end)
    during = [
        (s, body)
        for at, p, s, body in samples
        if p == "/api/v1/programmes/" and stop_end + 1 <= at <= start_start
    ]
    api_statuses = sorted({s for s, _ in during})
    health_during = sorted(
        {
            s
            for at, p, s, _ in samples
            if p == "/health/" and stop_end + 1 <= at <= start_start
        }
    )
    generic = not any(leaks(body) for _, body in during)
    ok = (
        down is not None
        and down <= 2
        and up is not None
        and up <= 10
        and health_during == [503]
        and generic
    )

    def fmt(value: float | None) -> str:
        return "never" if value is None else f"{value:.2f} s"

    print(
        f"  stop took {stop_end - stop_start:.2f} s, "
        f"start {start_end - start_start:.2f} s"
    )
    print(
        f"RESULT outage: /health/ 503 after {fmt(down)} (limit 2 s), statuses while "
        f"down {health_during}; back to 200 {fmt(up)} after the start (limit 10 s); "
        f"API statuses while down {api_statuses}, back to 200 after {fmt(api_up)}; "
        f"error bodies generic: {generic} -> {'PASS' if ok else 'FAIL'}"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--needs", type=int, default=10000)
    parser.add_argument("--programmes", type=int, default=10000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--fault-duration", type=int, default=40)
    parser.add_argument("--outage", type=int, default=30)
    parser.add_argument("--pg-port", type=int, default=5433)
    parser.add_argument("--app-port", type=int, default=8766)
    parser.add_argument("--skip-load", action="store_true", help="reuse the data")
    parser.add_argument("--drop-cluster", action="store_true")
    args = parser.parse_args()
    if os.geteuid() != 0 or shutil.which("pg_createcluster") is None:
        print("needs root and Debian's postgresql-common (pg_createcluster)")
        return 2
    version = pg_version()
    ensure_cluster(version, args.pg_port)
    work = Path(tempfile.mkdtemp(prefix="cbm-hardening-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"postgres://postgres@{HOST}:{args.pg_port}/cbm_hardening"
        "?connect_timeout=2",
        "DJANGO_DEBUG": "False",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_SECURE_SSL_REDIRECT": "False",  # plain HTTP on loopback
        "DJANGO_STATIC_ROOT": str(work / "static"),
        "DJANGO_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "DJANGO_API_ANON_RATE": "1000000/min",
        "DJANGO_API_USER_RATE": "1000000/min",
        "DJANGO_LOG_LEVEL": "ERROR",
        "GUNICORN_BIND": f"{HOST}:{args.app_port}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "4",
        "GUNICORN_ACCESSLOG": "off",
        "GUNICORN_LOGLEVEL": "warning",
    }
    if not args.skip_load:
        prepare(env, args.pg_port, args.needs, args.programmes)
    sh(PY, "manage.py", "collectstatic", "--noinput", "-v", "0", env=env)
    out = sh(PY, "-c", FIXTURE_SCRIPT, env=env, capture_output=True, text=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    if not data["refs"]:
        print("no need has matches: nothing to query")
        return 1
    fixtures = work / "fixtures.json"
    fixtures.write_text(json.dumps(data))
    logs = (work / "app.log").open("w")
    app = subprocess.Popen(  # noqa: S603
        [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT, env=env, stdout=logs, stderr=subprocess.STDOUT,
    )  # fmt: skip
    worker = subprocess.Popen(  # noqa: S603
        [PY, "manage.py", "task_worker", "--interval", "0.5"],
        cwd=ROOT, env=env, stdout=logs, stderr=subprocess.STDOUT,
    )  # fmt: skip
    results = {}
    try:
        wait_until_up(args.app_port)
        app_pid = app.pid
        results["load"] = run_load(args, fixtures, work)
        results["restart"] = run_restart(args, version, fixtures, work)
        results["outage"] = run_outage(args, version, data["read_key"])
        results["no app restart"] = app.poll() is None and app.pid == app_pid
        code = worker.poll()
        print(
            "\ntask worker: "
            + (
                "still running after the faults"
                if code is None
                else f"exited during the faults (status {code}); in production "
                "systemd restarts it (deploy/systemd/cbm-worker.service)"
            )
        )
    finally:
        for proc in (app, worker):
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        logs.close()
        ctl(version, "stop")
        if args.drop_cluster:
            sh("pg_dropcluster", version, CLUSTER)
        print(f"app and worker logs: {work / 'app.log'}")
    print(
        "\n" + ", ".join(f"{k}: {'PASS' if v else 'FAIL'}" for k, v in results.items())
    )
    return 0 if results and all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
