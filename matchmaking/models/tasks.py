"""The task workers' heartbeats: the lease on the tasks they run.

django-tasks-db marks a task RUNNING when a worker claims it and never looks
at it again, so a task whose worker was killed stayed RUNNING for ever.
Each worker (``manage.py task_worker``) keeps a row here fresh while it lives;
a task still RUNNING whose worker has not beaten for the lease goes back to
the queue (``matchmaking.taskqueue``).
"""

from __future__ import annotations

from django.db import models


class TaskWorker(models.Model):
    """One task worker process, by the id it claims tasks with."""

    # django-tasks-db's worker ids are at most 64 characters.
    worker_id = models.CharField(max_length=64, unique=True)
    started_at = models.DateTimeField(auto_now_add=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.worker_id
