"""A task for bench/topology.py's kill: it runs for a while and counts its runs.

Each run records in Redis (``CACHE_URL``) when it starts and when it finishes,
with the worker that ran it, under the key it is given: a run cut short by a
killed worker shows as a start without a finish, and a task run twice to the
end shows as two finishes.
"""

from __future__ import annotations

import os
import time

import redis
from django.tasks import TaskContext
from django.tasks import task


@task(takes_context=True, priority=50)
def probe_task(context: TaskContext, key: str, seconds: float) -> str:
    """Record the start, sleep ``seconds``, record the finish; the worker's id."""
    worker = context.task_result.worker_ids[-1]
    client = redis.Redis.from_url(os.environ["CACHE_URL"])
    client.rpush(f"{key}:started", worker)
    time.sleep(seconds)
    client.rpush(f"{key}:finished", worker)
    return worker
