"""A short run of bench/topology.py: two app servers, two task workers, Redis
and PostgreSQL, half of them killed mid-load, the worker in the middle of a
task that the other worker then runs, once (see the script's docstring).

PostgreSQL only (the servers and workers are separate processes sharing the
test database); a redis-server of the test's own on a free port.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

import pytest
from django.db import connection

from bench import topology
from matchmaking.accounts.tokens import create_token
from matchmaking.models import Country
from matchmaking.models import MemberState
from matchmaking.models import TokenScope
from tests.factories import MembershipFactory
from tests.factories import UserFactory

REDIS_SERVER = shutil.which("redis-server")
if REDIS_SERVER is None and os.environ.get("REQUIRE_REDIS"):
    raise RuntimeError("REQUIRE_REDIS is set but redis-server is not installed")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the servers share PostgreSQL"
    ),
    pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed"),
]


@pytest.fixture
def redis_url(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(  # noqa: S603 (fixed arguments)
        [
            str(REDIS_SERVER), "--port", str(port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


@pytest.mark.slow(40)
def test_two_servers_and_workers_stay_consistent_when_half_of_them_dies(redis_url):
    state, _ = MemberState.objects.get_or_create(
        country=Country.objects.get(iso3=topology.COUNTRY)
    )
    keys = []
    for _ in range(4):
        user = UserFactory()
        MembershipFactory(user=user, member_state=state)
        keys.append(create_token(user=user, name="t", scope=TokenScope.READ_WRITE)[1])
    db = connection.settings_dict
    url = (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = topology.environment(url, redis_url, anon_limit=10)
    result = topology.run_topology(
        env,
        keys,
        duration=10,
        after=5,
        anon_limit=10,
        workers_per_server=1,
        threads=2,
        lease=10,
    )
    report = "\n".join(result.lines)
    assert result.passed, report
    figures = result.figures
    assert figures["throttle"] == {"ok": 10, "refused": 10, "other": []}, report
    assert figures["acknowledged"] > 0, report
    assert figures["tasks"]["total"] >= figures["acknowledged"], report
    # Worker 2 died running a probe: worker 1 took it back and ran it, once.
    killed = [p for p in figures["probes"] if p["first"] == "worker-2"]
    assert [(p["started"], p["finished"]) for p in killed] == [
        (["worker-2", "worker-1"], ["worker-1"])
    ], report
    assert figures["tasks"]["stranded"] == [], report
