"""Health endpoint for load balancers: each dependency the app needs, and how it is.

The body lists each dependency with its status and the time its check took:

- ``database`` (always; required): without it nothing is served, so the
  answer is **503** with ``Retry-After``.
- ``cache`` (when ``CACHE_URL`` names Redis; optional): without it the app
  still answers correctly from the database, a little slower (see
  config/cache.py), so the answer stays **200** and says ``degraded``.
- ``tasks`` (when the task queue is the database backend; optional): the
  ready tasks and how long the oldest has waited; a wait beyond
  ``HEALTH_TASK_WAIT_SECONDS`` means no worker is taking them (``delayed``,
  200: pages and API answer, suggestions are refreshed late).

``status`` is ``ok``, ``degraded`` (an optional dependency is down) or
``error`` (a required one is down). A load balancer takes a server out on the
status code alone; monitoring alerts on ``degraded``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError
from django.db import connection
from django.db.models import Count
from django.db.models import Min
from django.http import HttpRequest
from django.http import JsonResponse
from django.tasks import task_backends
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def check_database() -> dict[str, Any]:
    """A fresh round trip to the database."""
    started = time.perf_counter()
    try:
        # A connection that died since the last request is replaced
        # (CONN_HEALTH_CHECKS) or raises here.
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        # The broken connection is closed at the end of the request (Django
        # does so after a database error), so the next check reconnects.
        logger.warning("health check: database unreachable", exc_info=True)
        return {"status": "unavailable", "latency_ms": _elapsed_ms(started)}
    return {"status": "ok", "latency_ms": _elapsed_ms(started)}


def check_cache() -> dict[str, Any] | None:
    """A ping to the shared cache server; None when the cache is in-process."""
    cache = caches["default"]
    ping = getattr(cache, "ping", None)
    if ping is None:
        return None  # local memory: nothing outside the process to depend on
    started = time.perf_counter()
    status = "ok" if ping() else "unavailable"
    return {"status": status, "latency_ms": _elapsed_ms(started)}


def check_tasks() -> dict[str, Any] | None:
    """The database task queue's backlog; None when tasks run in-process."""
    backend = task_backends["default"]
    if not isinstance(backend, DatabaseBackend):
        return None
    started = time.perf_counter()
    try:
        backlog = (
            DBTaskResult.objects.ready()
            .filter(backend_name=backend.alias)
            .aggregate(waiting=Count("id"), oldest=Min("enqueued_at"))
        )
    except DatabaseError:
        logger.warning("health check: task queue unreadable", exc_info=True)
        return {"status": "unavailable", "latency_ms": _elapsed_ms(started)}
    oldest = backlog["oldest"]
    waited = 0 if oldest is None else int((timezone.now() - oldest).total_seconds())
    limit = settings.HEALTH_TASK_WAIT_SECONDS
    return {
        "status": "delayed" if waited > limit else "ok",
        "waiting": backlog["waiting"],
        "oldest_wait_seconds": waited,
        "latency_ms": _elapsed_ms(started),
    }


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """200 when the app can serve (``ok`` or ``degraded``), 503 without a database.

    No authentication and no throttling (it is a plain Django view, outside
    DRF); it names the dependencies and their state, never an error message.
    """
    checks: dict[str, Any] = {"database": check_database()}
    database_up = checks["database"]["status"] == "ok"
    cache = check_cache()
    if cache is not None:
        checks["cache"] = cache
    tasks = check_tasks()  # "unavailable" with the database
    if tasks is not None:
        checks["tasks"] = tasks
    if not database_up:
        status = "error"
    elif any(check["status"] != "ok" for check in checks.values()):
        status = "degraded"
    else:
        status = "ok"
    response = JsonResponse({"status": status, **checks})
    if not database_up:
        response.status_code = 503
        response["Retry-After"] = "5"
    return response
