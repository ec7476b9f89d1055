"""A web worker at scale (not a test): start-up, memory, the engine's results read.

    .venv/bin/python bench/web_worker.py \
        --database-url postgres://cbm:cbm@127.0.0.1:5432/cbm_bench [--repeat 20]

Needs a database already loaded and matched (``bench/rematch.py`` leaves one).
Web workers build no matching index: they read what the task worker stored.

1. gunicorn as deployed (``deploy/gunicorn.conf.py``, 1 worker x 2 threads,
   DEBUG off): seconds from the start until the worker answers ``/health/``
   and the home page; then the public key pages over HTTP, and the worker's
   resident memory (VmRSS).
2. One web process (this one), with the index's constructor made to raise,
   serving every key page and the engine's results in either direction as the
   role that uses them through Django's full stack (``bench/pages.py``'s pages,
   plus near misses, the gap advisor, a programme's advice, the allocation
   page and the API's matches, near misses and advice): p50/p95 per page, and
   its resident memory after serving them all.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
# The project's modules and bench/pages.py (whose helpers import models) are
# imported inside the functions: only after django.setup() has run.


# The project's packages, compiled before gunicorn starts.
PACKAGES = ("config", "matchmaking", "roundtable")


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process now (VmRSS), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_start(env: dict, public: list[str], venv: Path) -> None:
    """Start-up time and memory of one gunicorn worker serving public pages."""
    # As a deployment does at install (deploy/README.md): the service cannot
    # write bytecode beside the code, and neither can Python here when
    # PYTHONDONTWRITEBYTECODE is set; uncompiled, a worker compiles the
    # project's modules at every start (about a third more CPU).
    subprocess.run(  # noqa: S603 - our own interpreter with fixed arguments
        [str(venv / "bin/python"), "-m", "compileall", "-q", *PACKAGES],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn with fixed arguments
        [
            str(venv / "bin/gunicorn"),
            "config.wsgi",
            "-c",
            str(ROOT / "deploy/gunicorn.conf.py"),
            "-b",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "2",
        ],
        cwd=ROOT,
        env={**env, "GUNICORN_ACCESSLOG": "off", "GUNICORN_LOGLEVEL": "warning"},
    )

    def get(path: str) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            connection.request("GET", path, headers={"X-Forwarded-Proto": "https"})
            answer = connection.getresponse()
            answer.read()
            return answer.status
        finally:
            connection.close()

    try:
        ready = None
        while time.perf_counter() - started < 120:
            try:
                if get("/health/") == 200:
                    ready = time.perf_counter() - started
                    break
            except OSError:
                time.sleep(0.05)
        if ready is None or get("/") != 200:
            raise SystemExit("gunicorn did not serve the home page")
        home = time.perf_counter() - started
        statuses = [get(path) for path in public]
        if any(status != 200 for status in statuses):
            raise SystemExit(f"public pages answered {statuses}")
        children = (
            Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        )
        worker = children[0] if children else str(server.pid)
        print(
            f"gunicorn        ready (/health/ 200) {ready:.2f} s after start, home "
            f"page {home:.2f} s; worker RSS after {len(public)} public pages "
            f"{rss_mb(worker):.0f} MB (master {rss_mb(server.pid):.0f} MB)"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


def key_pages(found) -> list[tuple[str, str | None, str]]:
    """bench/pages.py's key pages plus every page or endpoint of engine results."""
    import pages as page_bench
    from django.urls import reverse

    need, programme = found["need"], found["programme"]
    return [
        *page_bench.pages(found),
        ("near misses", "focal", reverse("need-near-misses", args=[need.ref])),
        (
            "programme (advice)",
            "provider",
            reverse("programme-detail", args=[programme.ref]),
        ),
        ("gap advice", None, reverse("gap-advice")),
        ("gap advice (curator)", "curator", reverse("gap-advice")),
        ("allocation", "curator", reverse("allocation") + "?need_limit=1&run=1"),
        ("api matches", "focal", f"/api/v1/needs/{need.ref}/matches/"),
        ("api near misses", "focal", f"/api/v1/needs/{need.ref}/near-misses/"),
        ("api advice", "provider", f"/api/v1/programmes/{programme.ref}/advice/"),
    ]


def in_process(repeat: int, *, allow_index: bool = False) -> int:
    """Every key page through this process, the index forbidden; RSS after."""
    import pages as page_bench
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from matchmaking.engine.index import MatchingIndex

    def refuse(*args, **kwargs):
        raise AssertionError("a web request built a matching index")

    if not allow_index:
        MatchingIndex.__init__ = refuse  # type: ignore[method-assign]
    found = page_bench.actors()
    clients: dict[str | None, Client] = {None: Client()}
    for role in ("focal", "provider", "curator"):
        client = clients[role] = Client()
        client.force_login(found[role])
        if role == "curator":
            # As after the real sign-in's code step (curators use two-factor).
            device, _ = TOTPDevice.objects.get_or_create(
                user=found[role], name="bench", defaults={"confirmed": True}
            )
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
    failures = 0
    print(f"{'page':24} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for label, role, path in key_pages(found):
        client = clients[role]
        client.get(path, secure=True)
        times, status = [], 200
        for _ in range(repeat):
            start = time.perf_counter()
            response = client.get(path, secure=True)
            times.append((time.perf_counter() - start) * 1000)
            status = response.status_code
        q = statistics.quantiles(times, n=20, method="inclusive")
        flag = "" if status == 200 else f"  HTTP {status}"
        failures += status != 200
        print(
            f"{label:24} {statistics.median(times):8.1f} {q[18]:8.1f} "
            f"{max(times):8.1f}{flag}"
        )
    print(f"web process     RSS after serving every key page {rss_mb():.0f} MB")
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--venv",
        type=Path,
        default=ROOT / ".venv",
        help="the environment gunicorn runs from (default .venv, with the dev "
        "tools; one made with `pip install .` alone is as deployed)",
    )
    parser.add_argument(
        "--allow-index",
        action="store_true",
        help="let requests build the index (to measure code from before this)",
    )
    args = parser.parse_args()
    env = dict(os.environ)
    env.update(
        DATABASE_URL=args.database_url,
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="False",
        DJANGO_SECRET_KEY="bench-only-" + "x" * 50,
        DJANGO_ALLOWED_HOSTS="testserver,127.0.0.1",
        DJANGO_BEHIND_TLS_PROXY="true",
        DJANGO_STATIC_MANIFEST="False",
        DJANGO_LOG_LEVEL="WARNING",
        # Queued, never run here: this process is a web worker.
        DJANGO_TASKS_BACKEND="django.tasks.backends.dummy.DummyBackend",
    )
    os.environ.update(env)
    print(f"--- load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    started = time.perf_counter()
    import django

    django.setup()
    print(f"django.setup    {time.perf_counter() - started:.2f} s")
    import pages as page_bench

    found = page_bench.actors()
    public = [path for _label, role, path in key_pages(found) if role is None]
    gunicorn_start(env, public, args.venv.resolve())
    return in_process(args.repeat, allow_index=args.allow_index)


if __name__ == "__main__":
    sys.exit(main())
