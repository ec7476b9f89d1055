"""Locust users of the hardening benchmark (bench/hardening.py runs this headless).

Mix per simulated user: 70 % match queries (a need's ranked programmes), 20 %
lists (programmes and needs pages), 10 % writes (a curator edits a need's
summary through the API, which queues a matching refresh for the task worker).
Reads use a read-only token, writes a read-write one: both API tokens, so no
CSRF or session is involved.

Environment:
    CBM_BENCH_FIXTURES   JSON file with "read_key", "write_key", "refs", "pages"
    CBM_BENCH_EVENTS     where to write per-second counts and every failure
                         (JSON, at the end of the run)
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import defaultdict
from pathlib import Path

from locust import HttpUser
from locust import between
from locust import events
from locust import task

FIXTURES = json.loads(Path(os.environ["CBM_BENCH_FIXTURES"]).read_text())
SECONDS: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # second -> [ok, failed]
FAILURES: list[dict] = []


@events.request.add_listener
def record(request_type, name, response_time, response_length, exception, **kwargs):
    """Count every request per wall-clock second; keep each failure's details."""
    now = time.time()
    SECONDS[int(now)][1 if exception else 0] += 1
    if exception:
        response = kwargs.get("response")
        FAILURES.append(
            {
                "at": now,
                "name": name,
                "status": getattr(response, "status_code", 0),
                "error": str(exception)[:200],
                "body": (getattr(response, "text", "") or "")[:300],
            }
        )


@events.test_stop.add_listener
def dump(environment, **kwargs):
    path = os.environ.get("CBM_BENCH_EVENTS")
    if path:
        with open(path, "w") as out:
            json.dump({"seconds": dict(SECONDS), "failures": FAILURES}, out)


class Visitor(HttpUser):
    """An API client: mostly reads, some writes."""

    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.rnd = random.Random()  # noqa: S311 (load mix, not security)
        self.read = {"Authorization": f"Token {FIXTURES['read_key']}"}
        self.write = {"Authorization": f"Token {FIXTURES['write_key']}"}

    @task(70)
    def match_query(self) -> None:
        ref = self.rnd.choice(FIXTURES["refs"])
        self.client.get(
            f"/api/v1/needs/{ref}/matches/",
            headers=self.read,
            name="/api/v1/needs/[ref]/matches/",
        )

    @task(10)
    def programme_list(self) -> None:
        page = self.rnd.randint(1, FIXTURES["pages"])
        self.client.get(
            f"/api/v1/programmes/?page={page}",
            headers=self.read,
            name="/api/v1/programmes/",
        )

    @task(10)
    def need_list(self) -> None:
        page = self.rnd.randint(1, FIXTURES["pages"])
        self.client.get(
            f"/api/v1/needs/?page={page}", headers=self.read, name="/api/v1/needs/"
        )

    @task(10)
    def edit_need(self) -> None:
        ref = self.rnd.choice(FIXTURES["refs"])
        self.client.patch(
            f"/api/v1/needs/{ref}/",
            json={"summary": f"Benchmark edit {self.rnd.randint(1, 10**9)}."},
            headers=self.write,
            name="/api/v1/needs/[ref]/ PATCH",
        )
