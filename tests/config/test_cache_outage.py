"""A Redis outage makes answers slower, never errors (issue 14, finding 5).

Each test starts its own redis-server on a free port (never the shared one),
stops it mid-test and starts it again. CI installs redis-server and sets
REQUIRE_REDIS, so these fail there instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import redis
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from config.api import router
from config.cache import Breaker
from config.cache import redacted
from matchmaking.accounts import tokens
from matchmaking.models import Country
from matchmaking.models import TokenScope
from tests.factories import MatchFactory
from tests.factories import MembershipFactory
from tests.factories import MemberStateFactory
from tests.factories import NeedFactory
from tests.factories import ProgrammeFactory
from tests.factories import UserFactory
from tests.factories.matchmaking import TEST_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.one_database_pass]

REDIS_SERVER = shutil.which("redis-server")
if REDIS_SERVER is None and os.environ.get("REQUIRE_REDIS"):
    raise RuntimeError("REQUIRE_REDIS is set but redis-server is not installed")
requires_redis = pytest.mark.skipif(
    REDIS_SERVER is None, reason="redis-server is not installed"
)
RETRY_SECONDS = 0.2  # the breaker's pause, short for the tests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server of this test's own, on a free port, without persistence."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 (fixed arguments)
            [
                str(REDIS_SERVER),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = self.client()
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def freeze(self) -> None:
        """SIGSTOP: connections are accepted by the kernel, never answered."""
        if self.process is not None:
            self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_timeout=1)

    def stored(self) -> list[str]:
        return sorted(k.decode() for k in self.client().keys("*"))


@pytest.fixture
def private_redis(tmp_path, settings):
    server = PrivateRedis(tmp_path)
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": "cbm",
            "OPTIONS": {"RETRY_SECONDS": RETRY_SECONDS},
        }
    }
    yield server
    server.stop()


@pytest.fixture
def world(db):
    senegal = MemberStateFactory(country=Country.objects.get(iso3="SEN"))
    focal = UserFactory(username="focal")
    MembershipFactory(user=focal, member_state=senegal)
    need = NeedFactory(ref="need-a", member_state=senegal, title="A public need")
    programme = ProgrammeFactory(ref="prog-p", title="P programme")
    MatchFactory(need=need, programme=programme, score=0.9, rank=1)
    _token, key = tokens.create_token(user=focal, name="read", scope=TokenScope.READ)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def api_paths() -> list[str]:
    """Every API path without a parameter (lists, export), and a few details."""
    paths = [
        "/api/v1/" + url.pattern.regex.pattern.strip("^$").removesuffix("\\Z")
        for url in router.urls
        if not url.pattern.regex.groups and "format" not in url.name
    ]
    details = ["needs/need-a/", "needs/need-a/matches/", "programmes/prog-p/"]
    return [*paths, *("/api/v1/" + path for path in details)]


def answers(api, client) -> dict[str, int]:
    found = {path: api.get(path).status_code for path in api_paths()}
    for path in ("/gaps/", "/programmes/", "/needs/", reverse("login")):
        found[path] = client.get(path).status_code
    return found


@pytest.fixture
def redis_attempts(monkeypatch):
    """Count the calls the breaker lets through to Redis from now on, with a
    pause long enough that a slow machine's clock cannot open it again."""

    def start() -> list[bool]:
        asked: list[bool] = []
        allows = Breaker.allows

        def counting(self: Breaker) -> bool:
            allowed = allows(self)
            if allowed:
                asked.append(allowed)
            return allowed

        monkeypatch.setattr(Breaker, "allows", counting)
        cache.breaker.retry_seconds = 600
        return asked

    yield start
    cache.breaker.retry_seconds = RETRY_SECONDS


def reopen_soon() -> None:
    """Back to the tests' short pause: the next call after it probes Redis."""
    cache.breaker.retry_seconds = RETRY_SECONDS
    if cache.breaker.open_until:
        cache.breaker.open_until = time.monotonic() + RETRY_SECONDS


@requires_redis
def test_the_backend_serves_from_local_memory_while_redis_is_down(
    private_redis, redis_attempts
):
    cache.set("kept", 1)
    assert private_redis.stored() == ["cbm:1:kept"]
    private_redis.stop()
    asked = redis_attempts()
    # Every operation answers, as a miss or from local memory.
    assert cache.get("kept") is None
    cache.set("during", "x")
    assert cache.get("during") == "x"
    assert cache.add("added", 1) is True
    assert cache.incr("added") == 2
    assert cache.get_many(["during", "added", "nothing"]) == {"during": "x", "added": 2}
    cache.set_many({"a": 1, "b": 2})
    assert cache.has_key("a") is True
    assert cache.touch("a", 60) is True
    cache.delete_many(["a", "b"])
    assert cache.delete("during") is True
    assert cache.get_or_set("made", 7) == 7
    cache.clear()
    assert cache.get("added") is None
    # The breaker keeps the calls from waiting for connection timeouts: only
    # the first one went to Redis.
    assert len(asked) == 1
    assert cache.ping() is False

    reopen_soon()
    private_redis.start()
    time.sleep(RETRY_SECONDS * 2)
    cache.set("after", 2)
    assert cache.get("after") == 2
    assert private_redis.stored() == ["cbm:1:after"]


@requires_redis
def test_a_hung_redis_costs_one_timeout_not_one_per_call(private_redis, redis_attempts):
    cache.set("kept", 1)
    private_redis.freeze()
    asked = redis_attempts()
    answers: list[object] = []

    def reader() -> None:
        answers.extend(cache.get("kept") for _ in range(10))

    # Eight threads (each with its own cache object, as in a threaded
    # server) read at once: the first calls wait for the 0.5 s read timeout,
    # then the breaker sends every call to local memory at once.
    threads = [threading.Thread(target=reader) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 80
    # At most one call per thread waited for Redis; the others were answered
    # from local memory (a miss: the value lives in the frozen Redis).
    assert len(asked) <= 8
    assert set(answers) == {None}
    reopen_soon()
    private_redis.thaw()
    time.sleep(RETRY_SECONDS * 2)
    assert cache.get("kept") == 1  # Redis again: the value it kept


@requires_redis
def test_api_pages_and_sign_in_answer_while_redis_is_stopped(
    private_redis, world, client, settings
):
    # Throttles, API answers and gap statistics all use the cache.
    settings.API_CACHE_SECONDS = 60
    settings.STATS_CACHE_SECONDS = 60
    before = answers(world, client)
    # Every list of the router (it grows with each resource) and the 4 pages.
    assert len(before) == len(api_paths()) + 4 > 30
    # Everything answers; the import and read-all take POST only; requests to join are
    # for curators (this client is not one: 403 with or without the cache).
    assert {p: s for p, s in before.items() if s != 200} == {
        "/api/v1/dataset/import/": 405,
        "/api/v1/join-requests/": 403,
        "/api/v1/notifications/read-all/": 405,
    }
    assert any(key.startswith("cbm:1:throttle_") for key in private_redis.stored())
    assert client.get("/health/").json()["cache"]["status"] == "ok"

    private_redis.stop()
    assert answers(world, client) == before
    health = client.get("/health/")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "degraded"
    assert body["database"]["status"] == "ok"
    assert body["cache"]["status"] == "unavailable"
    # Sign-in works, and so does the lockout (kept in the database).
    signed_in = client.post(
        reverse("login"), {"username": "focal", "password": TEST_PASSWORD}
    )
    assert signed_in.status_code == 302
    assert client.get("/my/needs/").status_code == 200
    client.logout()
    UserFactory(username="ada")
    attempts = [
        client.post(
            reverse("login"), {"username": "ada", "password": f"wrong-{i}"}
        ).status_code
        for i in range(6)
    ]
    assert attempts == [200, 200, 200, 200, 429, 429]

    private_redis.start()
    time.sleep(RETRY_SECONDS * 2)
    assert client.get("/health/").json()["cache"]["status"] == "ok"
    assert client.get("/health/").json()["status"] == "ok"
    assert answers(world, client) == before
    # Answers use Redis again: a fresh server holds the new throttle histories.
    assert any(key.startswith("cbm:1:throttle_") for key in private_redis.stored())


@requires_redis
def test_health_reports_the_cache_it_needs(private_redis, client):
    body = client.get("/health/").json()
    assert sorted(body) == ["cache", "database", "status"]
    assert body["status"] == "ok"
    assert sorted(body["cache"]) == ["latency_ms", "status"]


def test_logged_cache_locations_carry_no_credentials():
    assert redacted("redis://:s3cret@cache.internal:6379/2?password=x") == (
        "redis://cache.internal:6379/2"
    )
    assert redacted("rediss://user:pw@a:6380/0,redis://b:6379/0") == (
        "rediss://a:6380/0,redis://b:6379/0"
    )
    assert redacted("unix:///run/redis.sock?db=1") == "unix:///run/redis.sock"
