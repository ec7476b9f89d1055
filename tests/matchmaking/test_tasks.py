"""Suggestions are refreshed in the background, also with a real worker backend."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.tasks import task_backends
from django.utils.connection import Local
from django_tasks_db.models import DBTaskResult

from matchmaking import services
from matchmaking.models import Country
from matchmaking.models import Match
from tests.factories import MembershipFactory
from tests.factories import MemberStateFactory
from tests.factories import ProgrammeFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _use_backend(settings, backend: str) -> None:
    settings.TASKS = {"default": {"BACKEND": backend}}
    # django.tasks caches its backends; drop them so the new setting applies.
    task_backends._settings = None
    task_backends.__dict__.pop("settings", None)
    task_backends._connections = Local(task_backends.thread_critical)


@pytest.fixture
def database_backend(settings):
    _use_backend(settings, "django_tasks_db.DatabaseBackend")
    yield
    _use_backend(settings, "django.tasks.backends.immediate.ImmediateBackend")


def test_a_need_edit_is_queued_for_the_worker_then_refreshed(
    database_backend, django_capture_on_commit_callbacks, monkeypatch
):
    ProgrammeFactory(ref="csirt", languages=["fr"])
    senegal = MemberStateFactory(country=Country.objects.get(iso3="SEN"))
    focal = UserFactory(username="focal")
    MembershipFactory(user=focal, member_state=senegal)
    with django_capture_on_commit_callbacks(execute=True):
        need = services.create_record(
            user=focal,
            owner=senegal,
            data={
                "title": "CSIRT national",
                "description": "Créer l'équipe nationale de réponse aux incidents.",
                "topics": ["csirt-establishment"],
                "languages": ["fr"],
            },
            publish=True,
        )
    # The request only queued the work: nothing is ranked yet. (The outbox's
    # delivery of the new need, for saved searches, is queued beside it.)
    assert list(
        DBTaskResult.objects.exclude(
            task_path="matchmaking.notifications.tasks.deliver_events_task"
        ).values_list("task_path", "status")
    ) == [("matchmaking.tasks.refresh_need_task", "READY")]
    assert not Match.objects.exists()
    # The worker closes its connection when done; inside the test's transaction
    # that would end the test's database session on PostgreSQL.
    monkeypatch.setattr(connection, "close", lambda: None)
    call_command(
        "db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0
    )
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert list(Match.objects.values_list("need_id", "programme__ref")) == [
        (need.pk, "csirt")
    ]
