"""A lease on django-tasks-db's tasks: a killed worker's task runs again elsewhere.

django-tasks-db claims a task by marking it RUNNING with the worker's id and
never looks at it again: a worker killed mid-task (SIGKILL, a lost machine,
the OOM killer) left its task RUNNING for ever, and nobody ran it. Here each
worker (``manage.py task_worker``) keeps a heartbeat row fresh from a thread
of its own, even while a long task runs, and every worker puts back in the
queue the tasks still RUNNING whose worker has not beaten for the lease
(``TASKS_LEASE_SECONDS``): another worker then runs them. The library is not
changed: its rows are only moved from RUNNING back to READY, as if never
claimed (the dead worker's id stays in ``worker_ids``, the next one is added).

A task may therefore start twice (once in the dead worker, rolled back or cut
short, then again): every task of this project is idempotent for that
(docs/operations.md, "The task worker and its lease").
"""

from __future__ import annotations

import contextlib
import logging
import threading
from datetime import datetime
from datetime import timedelta

from django.db import connection
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from matchmaking.models import TaskWorker

logger = logging.getLogger(__name__)

RUNNING = "RUNNING"
READY = "READY"
# Rows of workers gone this long are dropped (each process has a fresh id).
FORGET_AFTER = timedelta(days=1)


def beat(*, worker_id: str, now: datetime | None = None) -> None:
    """Say this worker is alive."""
    TaskWorker.objects.update_or_create(
        worker_id=worker_id, defaults={"beat_at": now or timezone.now()}
    )


def forget(*, worker_id: str) -> None:
    """This worker stops (its tasks are finished): drop its heartbeat."""
    TaskWorker.objects.filter(worker_id=worker_id).delete()


def requeue_abandoned(*, lease: timedelta, now: datetime | None = None) -> list[str]:
    """Put back in the queue every task still RUNNING whose worker has not
    beaten for ``lease`` (or has no heartbeat at all); their ids.

    A task claimed less than ``lease`` ago is left alone whoever holds it.
    Two workers doing this at once requeue each task once: the rows are
    locked, and one already back to READY no longer matches.
    """
    now = now or timezone.now()
    cutoff = now - lease
    alive = set(
        TaskWorker.objects.filter(beat_at__gte=cutoff).values_list(
            "worker_id", flat=True
        )
    )
    requeued = []
    with transaction.atomic():
        rows = (
            DBTaskResult.objects.select_for_update(skip_locked=True)
            .filter(status=RUNNING, started_at__lt=cutoff)
            .order_by("started_at")
            .only("id", "status", "started_at", "worker_ids", "task_path")
        )
        for row in rows:
            owner = row.worker_ids[-1] if row.worker_ids else None
            if owner in alive:
                continue
            logger.warning(
                "task %s (%s) of worker %s, silent for over %s s: back in the queue",
                row.id,
                row.task_path,
                owner,
                int(lease.total_seconds()),
            )
            row.status = READY
            row.started_at = None
            row.save(update_fields=["status", "started_at"])
            requeued.append(str(row.id))
    TaskWorker.objects.filter(beat_at__lt=now - FORGET_AFTER).delete()
    return requeued


class Heartbeat(threading.Thread):
    """Beats for one worker every quarter of the lease and requeues the tasks
    of workers that stopped beating; on its own database connection."""

    def __init__(self, *, worker_id: str, lease: timedelta) -> None:
        super().__init__(name=f"task-lease-{worker_id}", daemon=True)
        self.worker_id = worker_id
        self.lease = lease
        self.stopped = threading.Event()

    def run(self) -> None:
        every = self.lease.total_seconds() / 4
        try:
            while not self.stopped.wait(every):
                try:
                    beat(worker_id=self.worker_id)
                    requeue_abandoned(lease=self.lease)
                except Exception:
                    # Never let the thread die while the worker lives (it would
                    # be taken for dead): a database outage is met by the
                    # worker's own loop, which exits; a new connection next time.
                    logger.exception("task lease: heartbeat failed")
                    with contextlib.suppress(Exception):
                        connection.close()
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=10)
