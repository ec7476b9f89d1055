"""The worker's side of the outbox: deliver new events, sweep forgotten ones."""

from __future__ import annotations

from django.tasks import task

from matchmaking.notifications import dispatch


@task
def deliver_events_task(event_ids: list[int]) -> int:
    """Deliver events just recorded, then any a crash left behind."""
    delivered = dispatch.deliver(event_ids)
    dispatch.sweep()
    return delivered


@task
def sweep_events_task() -> int:
    """Deliver every event still undelivered (run periodically)."""
    return dispatch.sweep()
