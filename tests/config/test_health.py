"""The health endpoint: each dependency the app needs, for load balancers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import OperationalError
from django.db import connection
from django.tasks import task_backends
from django.utils import timezone
from django.utils.connection import Local
from django_tasks_db.models import DBTaskResult

pytestmark = pytest.mark.django_db


def without_latency(body: dict) -> dict:
    """The body with each check's latency (a positive number) taken out."""
    found = {}
    for name, value in body.items():
        if isinstance(value, dict):
            assert value["latency_ms"] >= 0
            value = {k: v for k, v in value.items() if k != "latency_ms"}
        found[name] = value
    return found


def test_health_reports_the_database_ok(client):
    response = client.get("/health/")
    assert response.status_code == 200
    # Local-memory cache and in-process tasks: the database is the one
    # dependency outside the process.
    assert without_latency(response.json()) == {
        "status": "ok",
        "database": {"status": "ok"},
    }
    assert "no-cache" in response["Cache-Control"]


def test_health_is_503_when_the_database_is_unreachable(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused: password=hunter2 host=db")

    monkeypatch.setattr(connection, "ensure_connection", refuse)
    response = client.get("/health/")
    assert response.status_code == 503
    assert without_latency(response.json()) == {
        "status": "error",
        "database": {"status": "unavailable"},
    }
    assert response["Retry-After"] == "5"
    # Nothing about the failure leaks to the caller.
    assert b"hunter2" not in response.content
    assert b"refused" not in response.content


def test_health_needs_no_login_is_not_throttled_and_is_not_language_prefixed(
    client, settings
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "anon": "2/min",
            "user": "2/min",
            "dataset": "1/min",
        },
    }
    statuses = {client.get("/health/").status_code for _ in range(20)}
    assert statuses == {200}
    assert client.get("/fr/health/").status_code == 404


def test_health_answers_get_only(client):
    assert client.post("/health/").status_code == 405


def _use_tasks_backend(settings, backend: str) -> None:
    settings.TASKS = {"default": {"BACKEND": backend}}
    # django.tasks caches its backends; drop them so the new setting applies.
    task_backends._settings = None
    task_backends.__dict__.pop("settings", None)
    task_backends._connections = Local(task_backends.thread_critical)


@pytest.fixture
def database_tasks(settings):
    _use_tasks_backend(settings, "django_tasks_db.DatabaseBackend")
    yield
    _use_tasks_backend(settings, "django.tasks.backends.immediate.ImmediateBackend")


def _queue(*, waited: dt.timedelta) -> None:
    now = timezone.now()
    task = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="matchmaking.tasks.refresh_need_task",
        backend_name="default",
        run_after=now,
    )
    DBTaskResult.objects.filter(pk=task.pk).update(enqueued_at=now - waited)


def test_health_reports_the_task_queue_when_a_worker_is_needed(client, database_tasks):
    assert without_latency(client.get("/health/").json()) == {
        "status": "ok",
        "database": {"status": "ok"},
        "tasks": {"status": "ok", "waiting": 0, "oldest_wait_seconds": 0},
    }
    _queue(waited=dt.timedelta(seconds=30))
    assert client.get("/health/").json()["tasks"]["status"] == "ok"
    # A task ready for longer than HEALTH_TASK_WAIT_SECONDS: no worker takes
    # them. Pages and API still answer, so the balancer keeps the server.
    _queue(waited=dt.timedelta(minutes=10))
    response = client.get("/health/")
    assert response.status_code == 200
    body = without_latency(response.json())
    assert body["status"] == "degraded"
    assert body["tasks"]["status"] == "delayed"
    assert body["tasks"]["waiting"] == 2
    assert 600 <= body["tasks"]["oldest_wait_seconds"] < 660
