"""Background work: keeping engine suggestions fresh after an edit.

Tasks go through Django's ``django.tasks`` API. The default backend runs them
in-process right after the transaction commits; production uses
django-tasks-db (``DJANGO_TASKS_BACKEND=django_tasks_db.DatabaseBackend``) and a
``manage.py task_worker`` process (django-tasks-db's ``db_worker`` with a lease:
``matchmaking.taskqueue``), so a request never waits for the engine and
web processes never build its index: matching runs here only. Near misses and
the gap advisor's advice are tasks of their own, queued when the suggestions
they follow are stored, so a rematch is only the ranking and its suggestions.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.tasks import task

# The engine is imported inside each task, not here: web processes import this
# module to queue tasks they never run, and importing ``suggestions`` would load
# the engine (numpy, scipy, the stemmers) into every web worker at start-up.


@task
def refresh_need_task(need_id: int) -> None:
    """Recompute the suggestions of one need, then queue its near misses and advice."""
    from matchmaking.suggestions import refresh_need_suggestions

    refresh_need_suggestions(need_id=need_id)
    refresh_need_derived_task.enqueue(need_id)


@task
def refresh_need_derived_task(need_id: int) -> None:
    """Recompute one need's near misses and advice (after its suggestions)."""
    from matchmaking.suggestions import refresh_need_derived

    refresh_need_derived(need_id=need_id)


@task
def refresh_programme_task(programme_id: int) -> None:
    """Recompute the suggestions that involve one programme, then queue the rest."""
    from matchmaking.suggestions import refresh_programme_suggestions

    reranked = refresh_programme_suggestions(programme_id=programme_id)
    refresh_programme_derived_task.enqueue(programme_id, list(reranked))


@task
def refresh_programme_derived_task(programme_id: int, need_ids: list[int]) -> None:
    """The near misses and advice a programme's refresh changed."""
    from matchmaking.suggestions import refresh_programme_derived

    refresh_programme_derived(programme_id=programme_id, need_ids=need_ids)


@task
def rematch_task() -> None:
    """Recompute every active need's suggestions (after a bulk import), then
    queue the near misses and advice: a rematch stores suggestions only."""
    from matchmaking.suggestions import rematch_all

    rematch_all()
    derived_task.enqueue()


@task
def derived_task() -> None:
    """Recompute every near miss and the gap advisor's changes."""
    from matchmaking.suggestions import refresh_derived

    refresh_derived()


@task
def allocation_task(slate_id: int) -> None:
    """Compute a capacity-aware slate a curator asked for."""
    from matchmaking.suggestions import compute_allocation_slate

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
