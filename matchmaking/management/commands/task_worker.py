"""``manage.py task_worker``: django-tasks-db's ``db_worker`` with a lease.

The same worker and options, plus ``--lease`` (``TASKS_LEASE_SECONDS``, 60 s
by default; 0: no lease, as ``db_worker``): the worker beats while it lives,
and puts back in the queue the tasks of workers silent for that long, so a
task whose worker was killed runs again on another (``matchmaking.taskqueue``).
"""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.conf import settings
from django_tasks_db.management.commands.db_worker import Command as DbWorker
from django_tasks_db.management.commands.db_worker import valid_interval

from matchmaking import taskqueue


class Command(DbWorker):
    help = (
        "Run the task worker (django-tasks-db's db_worker) with a lease: the "
        "tasks of a worker that stopped beating go back to the queue."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--lease",
            type=valid_interval,
            default=settings.TASKS_LEASE_SECONDS,
            help="Seconds without a heartbeat after which a worker's running "
            "tasks go back to the queue; 0: no lease (default: %(default)r)",
        )

    def handle(self, *args: Any, lease: float, **options: Any) -> None:
        worker_id = options["worker_id"]
        if not lease:
            super().handle(*args, **options)
            return
        window = timedelta(seconds=lease)
        # Alive before the first claim; and what dead workers left is
        # queued again before this one starts taking tasks.
        taskqueue.beat(worker_id=worker_id)
        taskqueue.requeue_abandoned(lease=window)
        heartbeat = None
        if not options["batch"]:
            heartbeat = taskqueue.Heartbeat(worker_id=worker_id, lease=window)
            heartbeat.start()
        try:
            super().handle(*args, **options)
        finally:
            if heartbeat is not None:
                heartbeat.stop()
            taskqueue.forget(worker_id=worker_id)
