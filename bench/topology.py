"""Several servers on one machine, checked for consistency (not a unit test).

    .venv/bin/python bench/topology.py                      # 60 s, then 20 s
    .venv/bin/python bench/topology.py --duration 10 --after 5 --clients 4
    .venv/bin/python bench/topology.py --skip-load          # reuse the database

The deployment of deploy/README.md "Scaling out", on 127.0.0.1: two app
servers (gunicorn with ``deploy/gunicorn.conf.py``, DEBUG off, on two ports),
two task workers (``manage.py task_worker``: django-tasks-db's ``db_worker``
with the project's lease, ``--lease`` seconds), Redis as the
shared cache (``--cache-url``, default ``redis://127.0.0.1:6379/12``; a key
prefix of this run's own, so nothing else in that Redis is touched) and one
PostgreSQL database (``--database-url``, default
``postgres://cbm:cbm@127.0.0.1:5432/cbm_topology``, recreated with the demo
data unless ``--skip-load``).

1. Throttles across servers: an anonymous client asks ``--anon-limit`` + 10
   times, alternating servers, under an anonymous rate of ``--anon-limit`` a
   minute: exactly ``--anon-limit`` answers, then 429s (each server counting
   alone would let twice as many through).
2. ``--duration`` seconds of mixed load: ``--clients`` clients, each a focal
   point with its own read-write token, alternating servers request by
   request. A quarter of requests write (create a need, or rename one of its
   own, each queueing a matching refresh task); after every acknowledged
   write the client reads the need back from the other server, then from the
   same one: both must show what was written (read-your-writes across
   servers). The rest read (the needs and programme lists, a need, its
   matches).
3. Then server B and worker 2 are killed (SIGKILL) and the load goes on for
   ``--after`` seconds: a client whose request to B fails moves to A (as a
   load balancer would); an unanswered write is not acknowledged. Worker 2
   is killed in the middle of a task: a probe task (``topology_probe.py``,
   8 s long, counting its starts and finishes in Redis) is queued
   until worker 2 has started one, and the kill comes then.
4. Afterwards, once the task queue has drained: every acknowledged write is
   read back from server A (no lost writes), every need created exists once,
   and every task succeeded, claimed by one worker only (run exactly once),
   but for the tasks worker 2 was running when it died: worker 1 put them
   back in the queue once worker 2's lease ran out and ran them, once (the
   probe: started by worker 2, then by worker 1, finished once, by worker 1).

Prints the figures and a verdict; the exit status is 0 only if every check
holds. ``tests/bench/test_topology.py`` runs a short version on PostgreSQL.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse

import redis

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
sys.path.insert(0, str(ROOT))

COUNTRY = "KEN"  # the member state the clients act for
RUN = uuid.uuid4().hex[:12]  # marks this run's needs and tasks
WRITE_SHARE = 0.25
TASK_DRAIN_SECONDS = 90
TIMEOUT = 60  # seconds a client waits for an answer (the app's own limit: 30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(database_url: str, cache_url: str, anon_limit: int) -> dict:
    """The settings every process of the topology shares."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        CACHE_URL=cache_url,
        # This run's own keys: other users of that Redis are left alone.
        CACHE_KEY_PREFIX=f"cbm-topology-{uuid.uuid4().hex[:8]}",
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="False",
        DJANGO_SECRET_KEY="topology-only-" + "x" * 50,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        DJANGO_STATIC_MANIFEST="False",
        DJANGO_LOG_LEVEL="WARNING",
        # Plain HTTP on the loopback (a TLS proxy would stand in front).
        DJANGO_SECURE_SSL_REDIRECT="False",
        DJANGO_TASKS_BACKEND="django_tasks_db.DatabaseBackend",
        DJANGO_API_ANON_RATE=f"{anon_limit}/min",
        DJANGO_API_USER_RATE="1000000/min",
        GUNICORN_ACCESSLOG="off",
        # As behind nginx's upstream keep-alive pool: idle connections stay open.
        GUNICORN_KEEPALIVE="30",
        GUNICORN_LOGLEVEL="warning",
    )
    return env


FIXTURE_SCRIPT = """
import json, sys
import django
django.setup()
from matchmaking.accounts.tokens import create_token
from matchmaking.models import Country, Membership, MemberState, TokenScope, User
state, _ = MemberState.objects.get_or_create(country=Country.objects.get(iso3=%(c)r))
keys = []
for i in range(%(n)d):
    user, _ = User.objects.get_or_create(username=f"topology-{i}")
    Membership.objects.get_or_create(user=user, member_state=state)
    _token, key = create_token(
        user=user, name=f"topology {i}", scope=TokenScope.READ_WRITE
    )
    keys.append(key)
print(json.dumps(keys))
"""


def prepare_database(env: dict) -> None:
    """Recreate the database with the demo data."""
    url = urlparse(env["DATABASE_URL"])
    name = url.path.lstrip("/")
    admin = f"{url.scheme}://{url.netloc}/postgres"
    for sql in (
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'CREATE DATABASE "{name}"',
    ):
        subprocess.run(["psql", admin, "-q", "-c", sql], check=True)  # noqa: S603, S607
    for args in (("migrate", "--noinput", "-v", "0"), ("load_demo",)):
        subprocess.run(  # noqa: S603
            [PY, "manage.py", *args], cwd=ROOT, env=env, check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip


def make_tokens(env: dict, clients: int) -> list[str]:
    """One focal point (and read-write token) per client."""
    done = subprocess.run(  # noqa: S603
        [PY, "-c", FIXTURE_SCRIPT % {"c": COUNTRY, "n": clients}],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    port: int | None = None

    def kill(self) -> None:
        """SIGKILL the process and its children (its own process group)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=30)


def start_server(
    env: dict, name: str, port: int, workers: int, threads: int
) -> Process:
    server_env = {
        **env,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_THREADS": str(threads),
    }
    popen = subprocess.Popen(  # noqa: S603
        [PY, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT, env=server_env, start_new_session=True,
    )  # fmt: skip
    return Process(name, popen, port)


def start_worker(env: dict, name: str, lease: float) -> Process:
    popen = subprocess.Popen(  # noqa: S603
        [
            PY, "manage.py", "task_worker", "--worker-id", name, "--interval", "0.2",
            "--no-startup-delay", "--lease", str(lease), "-v", "0",
        ],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    return Process(name, popen)


def wait_healthy(port: int, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/health/")
            if conn.getresponse().status in (200, 503):
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server on port {port} did not start")


class Client:
    """Keep-alive connections to every server, one request at a time."""

    def __init__(self, ports: list[int], key: str | None) -> None:
        self.ports = ports
        self.key = key
        self.conns: dict[int, http.client.HTTPConnection] = {}

    def request(
        self, port: int, method: str, path: str, body: dict | None = None
    ) -> tuple[int, dict | None]:
        reused = port in self.conns
        try:
            return self._send(port, method, path, body)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            if not reused:
                raise
            # The server closed the idle keep-alive connection as the request
            # went out (it never read it): once more on a new connection. The
            # final check counts every created need, so a duplicate would show.
            return self._send(port, method, path, body)

    def _send(
        self, port: int, method: str, path: str, body: dict | None
    ) -> tuple[int, dict | None]:
        conn = self.conns.get(port)
        if conn is None:
            conn = self.conns[port] = http.client.HTTPConnection(
                "127.0.0.1", port, timeout=TIMEOUT
            )
        headers = {"Accept": "application/json", "Host": "127.0.0.1"}
        if self.key:
            headers["Authorization"] = f"Token {self.key}"
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            self.conns.pop(port, None)
            raise
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = None
        return response.status, payload


@dataclass
class Tally:
    """What the clients saw."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    stale_reads: list[str] = field(default_factory=list)
    failovers: int = 0
    unanswered_writes: list[str] = field(default_factory=list)
    acknowledged: dict[str, str] = field(default_factory=dict)  # ref -> title
    maybe: dict[str, set[str]] = field(default_factory=dict)  # unanswered renames
    created: list[str] = field(default_factory=list)
    per_server: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, phase: str, port: int, ms: float) -> None:
        with self.lock:
            self.latencies.setdefault(phase, []).append(ms)
            self.per_server[(phase, port)] += 1


class Topology:
    """The servers and workers, and which of them are still up."""

    def __init__(self, servers: list[Process], workers: list[Process]) -> None:
        self.servers = servers
        self.workers = workers
        self.down: set[int] = set()
        self.phase = "both servers"
        self.stop = 0.0  # when the clients stop (moved on at the kill)

    def alive(self) -> list[int]:
        return [s.port for s in self.servers if s.port not in self.down]


def client_loop(topology: Topology, key: str, seed: int, tally: Tally) -> None:
    """One focal point: alternate servers, write a quarter of the time."""
    rnd = random.Random(seed)  # noqa: S311
    client = Client([s.port for s in topology.servers], key)
    own: list[str] = []
    turn = seed

    def call(method: str, path: str, body: dict | None = None, *, other: int = 0):
        """Send to the next server in turn (``other``: skip that many); move
        to a live one if it is down. Returns (status, payload, port)."""
        nonlocal turn
        while True:
            ports = topology.alive()
            turn += 1
            port = ports[(turn + other) % len(ports)]
            start = time.perf_counter()
            try:
                status, payload = client.request(port, method, path, body)
            except (OSError, http.client.HTTPException):
                if port in topology.down or method != "GET":
                    with tally.lock:
                        tally.failovers += 1
                    if method != "GET":
                        raise  # a write without an answer: not acknowledged
                    continue
                raise ConnectionError(f"{method} {path} on :{port}") from None
            tally.add(topology.phase, port, (time.perf_counter() - start) * 1000)
            return status, payload, port

    def check(ok: bool, what: str) -> None:
        if not ok:
            with tally.lock:
                tally.errors.append(what)

    while time.monotonic() < topology.stop:
        try:
            if rnd.random() < WRITE_SHARE:
                title = f"Topology need {seed}-{uuid.uuid4().hex[:10]}"
                if own and rnd.random() < 0.6:
                    ref = rnd.choice(own)
                    try:
                        status, payload, port = call(
                            "PATCH", f"/api/v1/needs/{ref}/", {"title": title}
                        )
                    except (OSError, http.client.HTTPException):
                        with tally.lock:
                            tally.unanswered_writes.append(f"rename {ref}")
                            # It may have been written before B died.
                            tally.maybe.setdefault(ref, set()).add(title)
                        continue
                    check(status == 200, f"PATCH {ref}: {status} {payload}")
                else:
                    body = {
                        "country": COUNTRY,
                        "title": title,
                        "summary": f"Written by bench/topology.py, run {RUN}.",
                        "topics": ["csirt-establishment"],
                        "languages": ["en"],
                        "publish": True,
                    }
                    try:
                        status, payload, port = call("POST", "/api/v1/needs/", body)
                    except (OSError, http.client.HTTPException):
                        with tally.lock:
                            tally.unanswered_writes.append(f"create {title}")
                        continue
                    check(status == 201, f"POST need: {status} {payload}")
                    if status != 201:
                        continue
                    ref = payload["ref"]
                    own.append(ref)
                    with tally.lock:
                        tally.created.append(ref)
                if status not in (200, 201):
                    continue
                with tally.lock:
                    tally.acknowledged[ref] = title
                # Read it back: from the other server, then from the same one.
                for other in (0, 1):
                    status, payload, port = call(
                        "GET", f"/api/v1/needs/{ref}/", other=other
                    )
                    seen = (payload or {}).get("title")
                    if status != 200 or seen != title:
                        with tally.lock:
                            tally.stale_reads.append(
                                f"{ref} on :{port}: {status} {seen!r} != {title!r}"
                            )
            else:
                pick = rnd.random()
                if own and pick < 0.3:
                    path = f"/api/v1/needs/{rnd.choice(own)}/"
                elif own and pick < 0.5:
                    path = f"/api/v1/needs/{rnd.choice(own)}/matches/"
                elif pick < 0.75:
                    path = f"/api/v1/needs/?page_size={rnd.randint(5, 25)}"
                else:
                    path = f"/api/v1/programmes/?page_size={rnd.randint(5, 25)}"
                status, payload, port = call("GET", path)
                check(status == 200, f"GET {path} on :{port}: {status}")
        except (OSError, http.client.HTTPException) as error:
            check(False, f"connection: {error!r}")


def throttle_check(ports: list[int], limit: int) -> tuple[int, int, list[int]]:
    """Anonymous requests alternating servers: (200s, 429s, other statuses)."""
    client = Client(ports, None)
    ok = refused = 0
    other = []
    for i in range(limit + 10):
        status, _payload = client.request(
            ports[i % len(ports)], "GET", "/api/v1/programmes/?page_size=1"
        )
        if status == 200:
            ok += 1
        elif status == 429:
            refused += 1
        else:
            other.append(status)
    return ok, refused, other


PROBE_SCRIPT = """
import json, os, sys, time
import django
django.setup()
import redis
from django_tasks_db.models import DBTaskResult
from bench.topology_probe import probe_task
runs = redis.Redis.from_url(os.environ["CACHE_URL"])
prefix, seconds, victim = sys.argv[1], float(sys.argv[2]), sys.argv[3]
deadline = time.monotonic() + float(sys.argv[4])
probes = []
while time.monotonic() < deadline:
    key = f"{prefix}:{len(probes)}"
    result = probe_task.enqueue(key, seconds)
    probes.append({"id": str(result.id), "key": key})
    owner = None
    while owner is None and time.monotonic() < deadline:
        row = DBTaskResult.objects.filter(pk=result.id).values_list(
            "status", "worker_ids"
        ).first()
        if row and row[0] != "READY" and row[1]:
            owner = row[1][-1]
        else:
            time.sleep(0.05)
    probes[-1]["first"] = owner
    # The victim's claim is not enough: the kill must come while the task
    # runs (a kill between its claim and its start left the probe started by
    # worker 1 only, and the check failed although nothing ran twice).
    while owner == victim and time.monotonic() < deadline:
        if victim.encode() in runs.lrange(f"{key}:started", 0, -1):
            break
        time.sleep(0.05)
    # One line per probe, at once: the bench kills on reading the victim's.
    print(json.dumps(probes[-1]), flush=True)
    if owner == victim:
        break
"""


def probe_until_running_on(
    env: dict, prefix: str, victim: str, seconds: float, within: float
) -> list[dict]:
    """Queue probe tasks until ``victim`` is running one (the others took
    the earlier ones); the probes queued, each with the worker that took it.
    Returns as soon as the victim's is known (its run lasts ``seconds``)."""
    helper = subprocess.Popen(  # noqa: S603
        [PY, "-c", PROBE_SCRIPT, prefix, str(seconds), victim, str(within)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    probes = []
    assert helper.stdout is not None  # noqa: S101 (stdout=PIPE)
    for line in helper.stdout:
        if line.startswith("{"):
            probes.append(json.loads(line))
            if probes[-1]["first"] == victim:
                break
    threading.Thread(target=helper.wait, daemon=True).start()
    return probes


def probe_runs(env: dict, probes: list[dict]) -> list[dict]:
    """Each probe's starts and finishes (the workers that ran it), from Redis."""
    client = redis.Redis.from_url(env["CACHE_URL"])

    def runs(key: str) -> list[str]:
        return [worker.decode() for worker in client.lrange(key, 0, -1)]

    return [
        {
            **probe,
            "started": runs(f"{probe['key']}:started"),
            "finished": runs(f"{probe['key']}:finished"),
        }
        for probe in probes
    ]


TASKS_SCRIPT = """
import json, sys
import django
django.setup()
from collections import Counter
from datetime import datetime
from django_tasks_db.models import DBTaskResult
from matchmaking.models import Need
since = datetime.fromisoformat(sys.argv[1])
rows = list(
    DBTaskResult.objects.filter(enqueued_at__gte=since).values_list(
        "status", "worker_ids", "task_path"
    )
)
print(json.dumps({
    "needs": Need.objects.filter(summary__endswith=sys.argv[2] + ".").count(),
    "total": len(rows),
    "status": Counter(status for status, _w, _p in rows),
    "claims": Counter(len(w) for _s, w, _p in rows),
    "by_worker": Counter(w[0] for _s, w, _p in rows if w),
    "paths": Counter(p.rsplit(".", 1)[-1] for _s, _w, p in rows),
    "stranded": [w for s, w, _p in rows if s == "RUNNING"],
    "reclaimed": [w for _s, w, _p in rows if len(w) > 1],
}))
"""


def task_figures(env: dict, since: str) -> dict:
    """This run's tasks (enqueued since ``since``) and needs, from the database."""
    done = subprocess.run(  # noqa: S603
        [PY, "-c", TASKS_SCRIPT, since, f"run {RUN}"], cwd=ROOT, env=env,
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def drain(env: dict, since: str, seconds: float) -> dict:
    """Wait until no task is waiting or running (the killed worker's come back
    to the queue when its lease runs out)."""
    deadline = time.monotonic() + seconds
    while True:
        figures = task_figures(env, since)
        waiting = figures["status"].get("READY", 0)
        if (not waiting and not figures["stranded"]) or time.monotonic() > deadline:
            return figures
        time.sleep(1)


def quantile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


@dataclass
class Result:
    passed: bool
    lines: list[str]
    figures: dict


def run_topology(
    env: dict,
    keys: list[str],
    *,
    duration: float,
    after: float,
    anon_limit: int,
    workers_per_server: int = 2,
    threads: int = 2,
    lease: float = 5,
    probe_seconds: float = 8,
) -> Result:
    """Start the topology, drive it, kill half of it, check; then stop it."""
    servers = [
        start_server(env, name, free_port(), workers_per_server, threads)
        for name in ("A", "B")
    ]
    workers = [start_worker(env, name, lease) for name in ("worker-1", "worker-2")]
    lines: list[str] = []
    figures: dict = {}
    since = datetime.now(UTC).isoformat()
    try:
        for server in servers:
            wait_healthy(server.port)
        ports = [s.port for s in servers]
        ok, refused, other = throttle_check(ports, anon_limit)
        figures["throttle"] = {"ok": ok, "refused": refused, "other": other}
        topology = Topology(servers, workers)
        tally = Tally()
        started = time.monotonic()
        topology.stop = started + duration + after
        threads_ = [
            threading.Thread(
                target=client_loop, args=(topology, key, i, tally), daemon=True
            )
            for i, key in enumerate(keys)
        ]
        for thread in threads_:
            thread.start()
        time.sleep(max(0.0, started + duration - time.monotonic()))
        # Half the topology goes: server B and worker 2, without warning;
        # worker 2 in the middle of a task. The load goes on meanwhile.
        topology.stop = float("inf")
        probes = probe_until_running_on(
            env, f"{env['CACHE_KEY_PREFIX']}:probe", "worker-2", probe_seconds, 60
        )
        topology.phase = "after the kill"
        topology.down.add(servers[1].port)
        servers[1].kill()
        workers[1].kill()
        killed_at = time.monotonic() - started
        # The load goes on for ``after`` seconds from the kill (finding a
        # probe on worker 2 took some of the first phase's time).
        topology.stop = time.monotonic() + after
        for thread in threads_:
            thread.join(timeout=after + 60)
        figures["tasks"] = drain(env, since, TASK_DRAIN_SECONDS)
        figures["probes"] = probe_runs(env, probes)
        # No lost writes: every acknowledged write, read back from server A.
        reader = Client([servers[0].port], keys[0])
        lost = []
        for ref, title in sorted(tally.acknowledged.items()):
            status, payload = reader.request(
                servers[0].port, "GET", f"/api/v1/needs/{ref}/"
            )
            seen = (payload or {}).get("title")
            if status != 200 or seen not in {title, *tally.maybe.get(ref, ())}:
                lost.append(ref)
        figures.update(
            errors=tally.errors,
            stale_reads=tally.stale_reads,
            lost=lost,
            acknowledged=len(tally.acknowledged),
            created=len(tally.created),
            # Needs of this run in the database beyond the acknowledged ones:
            # at most the creates left unanswered when B died.
            duplicates=figures["tasks"]["needs"] - len(set(tally.created)),
            unanswered_creates=sum(
                w.startswith("create") for w in tally.unanswered_writes
            ),
            unanswered=tally.unanswered_writes,
            failovers=tally.failovers,
            killed_at=killed_at,
        )
        for phase, values in tally.latencies.items():
            seconds = killed_at if phase == "both servers" else after
            per_server = {
                port: n for (p, port), n in tally.per_server.items() if p == phase
            }
            figures.setdefault("phases", {})[phase] = {
                "requests": len(values),
                "per_server": per_server,
                "p50": quantile(values, 50),
                "p95": quantile(values, 95),
                "rps": len(values) / seconds,
            }
    finally:
        for process in [*servers, *workers]:
            process.kill()
    tasks = figures["tasks"]
    stranded = [w for w in tasks["stranded"] if w]
    probes = figures.get("probes", [])
    killed_probes = [p for p in probes if p.get("first") == "worker-2"]
    checks = {
        "0 errors": not figures["errors"],
        "read-your-writes across servers": not figures["stale_reads"],
        "no acknowledged write lost": not figures["lost"],
        "every created need stored once": (
            0 <= figures["duplicates"] <= figures["unanswered_creates"]
        ),
        # Claimed twice only when the first claim was the killed worker's
        # (its lease ran out and worker 1 took the task back).
        "every task run once, none twice": (
            set(tasks["claims"]) <= {"1", "2"}
            and all(w == ["worker-2", "worker-1"] for w in tasks["reclaimed"])
            and tasks["status"].get("SUCCESSFUL", 0) == tasks["total"]
        ),
        "the killed worker's task run by the other, exactly once": (
            len(killed_probes) == 1
            and killed_probes[0]["started"] == ["worker-2", "worker-1"]
            and killed_probes[0]["finished"] == ["worker-1"]
            and all(
                p["finished"] == [p["first"]] for p in probes if p not in killed_probes
            )
        ),
        "both workers took tasks": len(tasks["by_worker"]) == 2,
        "throttle counted across servers": (
            figures["throttle"]["ok"] == anon_limit
            and figures["throttle"]["refused"] == 10
        ),
        "server A carried on after the kill": (
            figures.get("phases", {}).get("after the kill", {}).get("requests", 0) > 0
        ),
    }
    figures["checks"] = checks
    lines.append(
        f"throttle: {anon_limit}/min anonymous, {anon_limit + 10} requests "
        f"alternating servers: {figures['throttle']['ok']} answered, "
        f"{figures['throttle']['refused']} refused (429)"
    )
    for phase, row in figures.get("phases", {}).items():
        spread = ", ".join(f":{p} {n}" for p, n in sorted(row["per_server"].items()))
        lines.append(
            f"{phase}: {row['requests']} requests ({spread}), "
            f"p50 {row['p50']:.0f} ms, p95 {row['p95']:.0f} ms, {row['rps']:.1f} req/s"
        )
    lines.append(
        f"writes acknowledged: {figures['acknowledged']} needs "
        f"({figures['created']} created; needs of this run in the database beyond "
        f"them: {figures['duplicates']}), "
        f"unanswered when B died: {len(figures['unanswered'])}, "
        f"requests moved to A: {figures['failovers']}, "
        f"stale reads: {len(figures['stale_reads'])}, lost: {len(figures['lost'])}, "
        f"errors: {len(figures['errors'])}"
    )
    lines.append(
        f"tasks: {tasks['total']} ({dict(tasks['paths'])}), status "
        f"{dict(tasks['status'])}, claims per task {dict(tasks['claims'])}, by "
        f"worker {dict(tasks['by_worker'])}; the killed worker's taken back by "
        f"the other after its {lease:g} s lease: {len(tasks['reclaimed'])}; left "
        f"running: {len(stranded)}"
    )
    lines.extend(
        f"probe {p['id'][:8]}: taken by {p['first']}, started by "
        f"{', '.join(p['started']) or 'nobody'}, finished by "
        f"{', '.join(p['finished']) or 'nobody'}"
        for p in probes
    )
    for name, ok in checks.items():
        lines.append(f"  {'ok  ' if ok else 'FAIL'} {name}")
    lines.extend(
        f"  ! {what}" for what in (*figures["errors"][:5], *figures["stale_reads"][:5])
    )
    return Result(all(checks.values()), lines, figures)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--after", type=float, default=20)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--anon-limit", type=int, default=20)
    parser.add_argument(
        "--database-url", default="postgres://cbm:cbm@127.0.0.1:5432/cbm_topology"
    )
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--skip-load", action="store_true", help="reuse the DB")
    parser.add_argument(
        "--lease", type=float, default=5, help="the workers' lease, seconds"
    )
    args = parser.parse_args()
    env = environment(args.database_url, args.cache_url, args.anon_limit)
    if not args.skip_load:
        prepare_database(env)
    keys = make_tokens(env, args.clients)
    print(
        f"--- topology: 2 app servers x 2 workers x 2 threads, 2 task workers "
        f"(lease {args.lease:g} s), Redis "
        f"{args.cache_url}, PostgreSQL; {args.clients} clients, {args.duration:.0f} s "
        f"+ {args.after:.0f} s after killing server B and worker 2; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        flush=True,
    )
    result = run_topology(
        env,
        keys,
        duration=args.duration,
        after=args.after,
        anon_limit=args.anon_limit,
        lease=args.lease,
    )
    print("\n".join(result.lines))
    print(
        f"verdict: {'PASS' if result.passed else 'FAIL'}; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
