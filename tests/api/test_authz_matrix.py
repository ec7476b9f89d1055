"""T4: every API operation, called as every role, answers what the matrix says.

One world per operation; each role's call runs in a savepoint rolled back
afterwards, so one role's successful write never changes what the next sees.
The payload is minimal (empty): an allowed role may get a 400 naming the
missing fields, which counts as allowed; a denial must be exactly the code of
the matrix.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from matchmaking.models import ApiToken
from roundtable.enums import MeetingState, PitchState, SessionKind
from roundtable.models import CallForPitches, Meeting, Pitch, SessionReport
from tests.api.conftest import client_for
from tests.factories import EventFactory, SessionFactory
from tests.roundtable import pdfs

from . import authz_matrix as matrix

pytestmark = pytest.mark.django_db
DENIALS = {401, 403, 404, 405}


@pytest.fixture
def targets(world, settings, tmp_path):
    """The objects the object routes are called on (see authz_matrix.py)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    now = timezone.now()
    event = EventFactory(slug="authz-event")
    CallForPitches.objects.create(
        event=event,
        opens_at=now - dt.timedelta(days=30),
        closes_at=now - dt.timedelta(days=1),
        decisions_released_at=now - dt.timedelta(hours=1),
    )
    breakout = SessionFactory(
        event=event,
        kind=SessionKind.BREAKOUT,
        starts_at=now + dt.timedelta(days=30),
        ends_at=now + dt.timedelta(days=30, hours=1),
        capacity=10,
    )
    SessionReport.objects.create(
        session=breakout,
        rapporteur=world.users["ms_a"],
        summary="Agreed next steps.",
        published_at=now,
    )
    pitch = Pitch.objects.create(
        event=event,
        provider=world.provider_p,
        presenter_name="P presenter",
        title="P's pitch",
        abstract="Three minutes.",
        state=PitchState.ACCEPTED,
    )
    pitch.programmes.set([world.prog_p])
    pitch.slide_deck.save("deck.pdf", ContentFile(pdfs.pdf(1)), save=False)
    pitch.slide_count = 1
    pitch.save()
    meeting = Meeting.objects.create(
        pitch=pitch,
        member_state=world.state_a,
        requested_by=world.users["ms_a"],
        state=MeetingState.REQUESTED,
        expires_at=now + dt.timedelta(days=2),
    )
    read_token = ApiToken.objects.get(user=world.users["ms_a"], name="read")
    return {
        "iso3": "SEN",
        "code": "002",
        "slug": event.slug,
        "/providers/{ref}/": "prov-p",
        "/needs/{ref}/": world.need_a.ref,
        "/programmes/{ref}/": world.prog_p.ref,
        "/matches/{id}/": world.match_a_p.pk,
        "/tokens/{id}/": read_token.pk,
        "/sessions/{id}/": breakout.pk,
        "/pitches/{id}/": pitch.pk,
        "/meetings/{id}/": meeting.pk,
    }


def concrete(path: str, targets: dict) -> str:
    """The OpenAPI path with the target objects' keys filled in."""
    for marker, value in targets.items():
        if marker.startswith("/") and marker in path:
            param = marker.split("{")[1].split("}")[0]
            path = path.replace("{" + param + "}", str(value))
    for param in ("iso3", "code", "slug"):
        path = path.replace("{" + param + "}", str(targets[param]))
    assert "{" not in path, path
    return path


def outcome(status_code: int) -> object:
    assert status_code < 500, status_code
    return status_code if status_code in DENIALS else matrix.OK


@pytest.mark.parametrize(
    ("path", "method"), sorted(matrix.API), ids=lambda value: str(value)
)
def test_every_role_gets_the_matrix_answer(world, targets, path, method):
    url = concrete(path, targets)
    _name, expected = matrix.API[(path, method)]
    found = {}
    for role in matrix.ROLES:
        cache.clear()  # throttles are not under test here
        client = client_for(world, role)
        savepoint = transaction.savepoint_create()
        try:
            if method == "PUT" and url.endswith("/slides/"):
                response = client.put(url, {}, format="multipart")
            elif method in ("POST", "PUT", "PATCH"):
                response = getattr(client, method.lower())(url, {}, format="json")
            else:
                response = getattr(client, method.lower())(url)
            found[role] = outcome(response.status_code)
        finally:
            transaction.savepoint_rollback(savepoint)
    assert found == expected


def test_anonymous_is_never_allowed_to_write():
    for (_path, method), (_name, cells) in matrix.API.items():
        if method != "GET":
            assert cells["anon"] in (401, 404), (_path, method)
            assert cells["read_token"] != matrix.OK, (_path, method)


EXTRA_URLS = {
    ("api:schema", "GET"): "/api/v1/schema/",
    ("api:docs", "GET"): "/api/v1/docs/",
    ("api:api-root", "GET"): "/api/v1/",
    ("api/v1/^", "GET"): "/api/v1/no-such-thing/",
    ("api/v1/^", "POST"): "/api/v1/no-such-thing/",
}


@pytest.mark.parametrize("key", sorted(matrix.API_EXTRA), ids=str)
def test_routes_outside_the_schema_answer_the_matrix(world, key):
    found = {}
    for role in matrix.ROLES:
        cache.clear()
        client = client_for(world, role)
        response = getattr(client, key[1].lower())(EXTRA_URLS[key])
        found[role] = outcome(response.status_code)
    assert found == matrix.API_EXTRA[key]
