"""Background work: keeping engine suggestions fresh after an edit.

Tasks go through Django's ``django.tasks`` API. The default backend runs them
in-process right after the transaction commits; production uses
django-tasks-db (``DJANGO_TASKS_BACKEND=django_tasks_db.DatabaseBackend``) and a
``manage.py db_worker`` process, so a request never waits for the engine and
web processes never build its index: matching runs here only.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.tasks import task

from matchmaking.suggestions import compute_allocation_slate
from matchmaking.suggestions import refresh_need_suggestions
from matchmaking.suggestions import refresh_programme_suggestions
from matchmaking.suggestions import rematch_all


@task
def refresh_need_task(need_id: int) -> None:
    """Recompute the suggestions of one need."""
    refresh_need_suggestions(need_id=need_id)


@task
def refresh_programme_task(programme_id: int) -> None:
    """Recompute the suggestions that involve one programme."""
    refresh_programme_suggestions(programme_id=programme_id)


@task
def rematch_task() -> None:
    """Recompute every active need's suggestions (after a bulk import)."""
    rematch_all()


@task
def allocation_task(slate_id: int) -> None:
    """Compute a capacity-aware slate a curator asked for."""
    compute_allocation_slate(slate_id=slate_id)


def schedule_allocation(*, slate_id: int) -> None:
    """Queue a slate's computation once the current transaction commits."""
    transaction.on_commit(partial(allocation_task.enqueue, slate_id))


def schedule_rematch() -> None:
    """Queue a full rematch once the current transaction commits."""
    transaction.on_commit(rematch_task.enqueue)


def schedule_need_refresh(*, need_id: int) -> None:
    """Queue a refresh of one need once the current transaction commits."""
    transaction.on_commit(partial(refresh_need_task.enqueue, need_id))


def schedule_programme_refresh(*, programme_id: int) -> None:
    """Queue a refresh for one programme once the current transaction commits."""
    transaction.on_commit(partial(refresh_programme_task.enqueue, programme_id))
