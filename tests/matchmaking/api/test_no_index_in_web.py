"""Web requests never build a matching index: they read what the task worker stored.

The worker's work (a full rematch) runs first; then the index's constructor
and the engine state are made to raise, and every key page and API endpoint
that shows the engine's results (either direction, near misses, the gap
advisor) is walked as the role that uses it.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from matchmaking import suggestions
from matchmaking.engine.index import MatchingIndex
from matchmaking.models import NearMiss
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.models import Region
from tests.factories import ProgrammeFactory
from tests.factories import UserFactory

PAGES = [
    ("anon", "/"),
    ("anon", "/programmes/"),
    ("anon", "/programmes/?q=programme"),
    ("anon", "/programmes/prog-p/"),
    ("anon", "/providers/prov-p/"),
    ("anon", "/needs/"),
    ("anon", "/needs/need-a/"),
    ("anon", "/gaps/"),
    ("anon", "/gaps/advice/"),
    ("anon", "/gaps/advice/?region=202"),
    ("ms_a", "/needs/need-a/"),
    ("ms_a", "/needs/need-a/near-misses/"),
    ("ms_a", "/my/needs/"),
    ("prov_p", "/programmes/prog-p/"),
    ("prov_p", "/programmes/prog-p/matches/"),
    ("prov_p", "/my/programmes/"),
    ("curator", "/needs/need-a/"),
    ("curator", "/needs/need-a/near-misses/"),
    ("curator", "/programmes/prog-p/"),
    ("curator", "/curation/"),
    ("curator", "/curation/matches/"),
    ("curator", "/gaps/advice/"),
    # Queued for the worker (its task runs after the commit, never here).
    ("curator", "/curation/allocation/?need_limit=1&run=1"),
]

API = [
    ("ms_a", "/api/v1/needs/"),
    ("ms_a", "/api/v1/needs/need-a/"),
    ("ms_a", "/api/v1/needs/need-a/matches/"),
    ("ms_a", "/api/v1/needs/need-a/near-misses/"),
    ("prov_p", "/api/v1/programmes/"),
    ("prov_p", "/api/v1/programmes/prog-p/"),
    ("prov_p", "/api/v1/programmes/prog-p/advice/"),
    ("prov_p", "/api/v1/matches/"),
    ("curator", "/api/v1/needs/need-a/near-misses/"),
    ("curator", "/api/v1/programmes/prog-p/advice/"),
]


@pytest.fixture
def worked(world):
    """The world, a programme need A narrowly misses, and the worker's rematch."""
    world.users["curator"] = UserFactory(username="the-curator", is_curator=True)
    asia = ProgrammeFactory(ref="asia-only", provider=world.provider_p, title="Asia")
    asia.eligible_regions.set([Region.objects.get(code="142")])
    suggestions.rematch_all()
    suggestions.refresh_derived()  # queued after the rematch
    return world


def _forbid_the_index(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("a web request built a matching index")

    monkeypatch.setattr(MatchingIndex, "__init__", refuse)
    monkeypatch.setattr(suggestions, "engine_state", refuse)
    suggestions.reset_engine()


def test_no_page_or_endpoint_builds_a_matching_index(worked, monkeypatch, as_role):
    assert NearMiss.objects.filter(need=worked.need_a).exists()
    _forbid_the_index(monkeypatch)
    answers = {}
    for role, url in PAGES:
        client = Client()
        if role != "anon":
            client.force_login(worked.users[role])
        answers[(role, url)] = client.get(url).status_code
        if url.endswith("near-misses/"):
            partial = client.get(url, headers={"HX-Request": "true"})
            answers[(role, url + " (htmx)")] = partial.status_code
    for role, url in API:
        answers[(role, url)] = as_role(role).get(url).status_code
    assert {key: code for key, code in answers.items() if code != 200} == {}


def test_stored_near_misses_and_advice_are_served_to_their_readers(
    worked, monkeypatch, as_role
):
    _forbid_the_index(monkeypatch)
    found = as_role("ms_a").get("/api/v1/needs/need-a/near-misses/").json()
    assert [(m["programme"], m["rule"]) for m in found["results"]] == [
        ("asia-only", "geography")
    ]
    assert as_role("ms_b").get("/api/v1/needs/need-a/near-misses/").status_code == 403


def test_pages_say_when_a_refresh_is_pending(worked, client):
    need = Need.objects.get(ref="need-a")
    computed = need.matched_at
    assert computed is not None
    client.force_login(worked.users["ms_a"])
    page = client.get("/needs/need-a/").content.decode()
    assert "data-refresh-pending" not in page
    # An edit the worker has not caught up with yet (its task still queued):
    # the last computation was before it.
    computed = need.updated_at - dt.timedelta(minutes=5)
    Need.objects.filter(pk=need.pk).update(matched_at=computed)
    page = client.get("/needs/need-a/").content.decode()
    assert "data-refresh-pending" in page
    assert "Suggestions are being updated" in page
    shown = timezone.localtime(computed)
    assert f"{shown.day} {shown:%B %Y %H:%M}" in page
    # The worker's refresh catches up: the notice goes.
    suggestions.refresh_need_suggestions(need_id=need.pk)
    assert "data-refresh-pending" not in client.get("/needs/need-a/").content.decode()
    # A programme's page tells its provider the same about its advice.
    programme = Programme.objects.get(ref="prog-p")
    Programme.objects.filter(pk=programme.pk).update(
        matched_at=programme.updated_at - dt.timedelta(minutes=5)
    )
    client.force_login(worked.users["prov_p"])
    page = client.get("/programmes/prog-p/").content.decode()
    assert "Suggestions are being updated" in page
    reranked = suggestions.refresh_programme_suggestions(programme_id=programme.pk)
    # Its advice follows in a task of its own: pending until that has run.
    page = client.get("/programmes/prog-p/").content.decode()
    assert "data-refresh-pending" in page
    suggestions.refresh_programme_derived(programme_id=programme.pk, need_ids=reranked)
    page = client.get("/programmes/prog-p/").content.decode()
    assert "data-refresh-pending" not in page


def test_near_misses_and_advice_say_pending_until_their_task_has_run(world, client):
    """A rematch stores suggestions only: the near misses and the advice
    that follow in their own task are pending until it has run."""
    asia = ProgrammeFactory(ref="asia-only", provider=world.provider_p, title="Asia")
    asia.eligible_regions.set([Region.objects.get(code="142")])
    suggestions.rematch_all()
    assert not NearMiss.objects.exists()
    client.force_login(world.users["ms_a"])
    assert "data-refresh-pending" not in client.get("/needs/need-a/").content.decode()
    page = client.get("/needs/need-a/near-misses/").content.decode()
    assert "data-refresh-pending" in page
    assert "data-refresh-pending" in client.get("/gaps/advice/").content.decode()
    client.force_login(world.users["prov_p"])
    page = client.get("/programmes/prog-p/").content.decode()
    assert "data-refresh-pending" in page
    report = suggestions.refresh_derived()
    assert report.near_misses == NearMiss.objects.count() > 0
    assert "data-refresh-pending" not in client.get("/gaps/advice/").content.decode()
    page = client.get("/programmes/prog-p/").content.decode()
    assert "data-refresh-pending" not in page
    client.force_login(world.users["ms_a"])
    page = client.get("/needs/need-a/near-misses/").content.decode()
    assert "data-refresh-pending" not in page
    assert "Asia" in page


def test_an_edit_through_the_api_is_caught_up_by_the_queued_refresh(
    worked, as_role, django_capture_on_commit_callbacks
):
    # The edit queues a refresh once it commits; run here as the worker would
    # run it (the immediate backend): the stored results follow the edit.
    with django_capture_on_commit_callbacks(execute=True):
        answer = as_role("prov_p").patch(
            "/api/v1/programmes/asia-only/", {"eligible_regions": []}, format="json"
        )
    assert answer.status_code == 200, answer.json()
    assert not NearMiss.objects.filter(programme__ref="asia-only").exists()
    programme = Programme.objects.get(ref="asia-only")
    assert programme.matched_at >= programme.updated_at
    found = as_role("ms_a").get("/api/v1/needs/need-a/matches/").json()
    assert "asia-only" in [m["programme"] for m in found["results"]]


# What a web process loads at start-up and when it resolves its first URL: the
# engine's heavy parts (numpy, scipy, the stemmers, the index) stay in the task
# worker. Checked in a fresh interpreter, since this one has loaded them all.
STARTUP = """
import sys
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

get_wsgi_application()
get_resolver().url_patterns
heavy = ("numpy", "scipy", "snowballstemmer", "matchmaking.suggestions",
         "matchmaking.engine.index", "matchmaking.engine.text.analyser")
print(sorted(name for name in sys.modules if name.split(".")[0] in heavy
             or name in heavy))
"""


@pytest.mark.slow(15)
def test_a_web_process_starts_without_the_engines_heavy_modules():
    found = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", STARTUP],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        cwd=settings.BASE_DIR,
    )
    assert found.stdout.strip() == "[]", found.stderr
