"""Curators' allocation slates: asked for on a page, computed by the task worker.

A web process never builds a matching index, so the allocation page stores
the request and queues it (``tasks.allocation_task``); the page shows the
slate once the worker has stored it, and reuses a slate asked for since the
engine's last refresh.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Max

from matchmaking.models import AllocationSlate
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.tasks import schedule_allocation


def _last_refresh() -> dt.datetime | None:
    """When the engine last stored results (needs or programmes)."""
    times = [
        Need.objects.aggregate(m=Max("matched_at"))["m"],
        Programme.objects.aggregate(m=Max("matched_at"))["m"],
    ]
    return max((t for t in times if t is not None), default=None)


def slate_for(*, fairness: bool, need_limit: int) -> AllocationSlate:
    """The slate with these options asked for since the last refresh, else a new one.

    A new one is queued for the task worker; until it has run, its
    ``computed_at`` is empty (the page says it is being computed).
    """
    slates = AllocationSlate.objects.filter(fairness=fairness, need_limit=need_limit)
    since = _last_refresh()
    if since is not None:
        slates = slates.filter(requested_at__gte=since)
    slate = slates.order_by("-requested_at", "-id").first()
    if slate is None:
        slate = AllocationSlate.objects.create(fairness=fairness, need_limit=need_limit)
        schedule_allocation(slate_id=slate.pk)
    return slate
