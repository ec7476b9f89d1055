"""The lease on django-tasks-db's tasks: a task whose worker stopped beating
goes back to the queue; a live worker's, or a fresh claim, stays."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from matchmaking import taskqueue
from matchmaking.models import TaskWorker
from tests.matchmaking.test_tasks import database_backend  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

LEASE = timedelta(seconds=60)


def _running(worker_ids, started_ago):
    return DBTaskResult.objects.create(
        status="RUNNING",
        args_kwargs={"args": [], "kwargs": {}},
        task_path="matchmaking.notifications.tasks.sweep_events_task",
        backend_name="default",
        run_after=timezone.now(),
        worker_ids=worker_ids,
        started_at=timezone.now() - started_ago,
    )


def test_requeue_abandoned_takes_back_only_the_tasks_of_silent_workers():
    now = timezone.now()
    TaskWorker.objects.create(worker_id="alive", beat_at=now - timedelta(seconds=5))
    TaskWorker.objects.create(worker_id="silent", beat_at=now - timedelta(minutes=5))
    of_alive = _running(["alive"], timedelta(minutes=10))
    of_silent = _running(["silent"], timedelta(minutes=10))
    # Retried before by a worker now dead: the last claim is the one that counts.
    of_gone = _running(["alive", "gone"], timedelta(minutes=10))
    just_claimed = _running(["silent"], timedelta(seconds=10))

    requeued = taskqueue.requeue_abandoned(lease=LEASE, now=now)

    assert sorted(requeued) == sorted([str(of_silent.pk), str(of_gone.pk)])
    status = dict(DBTaskResult.objects.values_list("id", "status"))
    assert status == {
        of_alive.pk: "RUNNING",
        of_silent.pk: "READY",
        of_gone.pk: "READY",
        just_claimed.pk: "RUNNING",
    }
    # Back as never started, the dead worker still named.
    of_silent.refresh_from_db()
    assert (of_silent.started_at, of_silent.worker_ids) == (None, ["silent"])
    # Asked again: nothing more to do.
    assert taskqueue.requeue_abandoned(lease=LEASE, now=now) == []


def test_heartbeats_of_long_gone_workers_are_dropped():
    now = timezone.now()
    TaskWorker.objects.create(worker_id="old", beat_at=now - timedelta(days=2))
    TaskWorker.objects.create(worker_id="new", beat_at=now)
    taskqueue.requeue_abandoned(lease=LEASE, now=now)
    assert list(TaskWorker.objects.values_list("worker_id", flat=True)) == ["new"]


def test_task_worker_runs_a_dead_workers_task_once_and_leaves_no_heartbeat(
    database_backend,  # noqa: F811 (the fixture)
    monkeypatch,
):
    TaskWorker.objects.create(
        worker_id="killed", beat_at=timezone.now() - timedelta(minutes=5)
    )
    stranded = _running(["killed"], timedelta(minutes=5))
    monkeypatch.setattr(connection, "close", lambda: None)
    call_command(
        "task_worker",
        "--batch",
        "--no-startup-delay",
        "--no-reload",
        "--worker-id",
        "survivor",
        verbosity=0,
    )
    stranded.refresh_from_db()
    assert (stranded.status, stranded.worker_ids) == (
        "SUCCESSFUL",
        ["killed", "survivor"],
    )
    assert not TaskWorker.objects.filter(worker_id="survivor").exists()
