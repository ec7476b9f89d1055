"""T4: every API operation, called as every role, answers what the matrix says.

One world for all the operations, made once for the module
(tests/shared_data.py); each operation runs in a savepoint of it, and each
role's call in a savepoint of that, rolled back afterwards, so one role's
successful write never changes what the next role or operation sees.
The payload is minimal (empty): an allowed role may get a 400 naming the
missing fields, which counts as allowed; a denial must be exactly the code of
the matrix.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from matchmaking import invitations
from matchmaking.accounts import tokens
from matchmaking.models import ApiToken
from matchmaking.models import EventKind
from matchmaking.models import Invitation
from matchmaking.models import JoinKind
from matchmaking.models import JoinRequest
from matchmaking.models import JoinStatus
from matchmaking.models import Membership
from matchmaking.models import Message
from matchmaking.models import Notification
from matchmaking.models import OutboxEvent
from matchmaking.models import Provider
from matchmaking.models import TokenScope
from matchmaking.models import User
from matchmaking.savedsearches import services as saved
from matchmaking.webhooks import delivery as webhooks
from roundtable.enums import MeetingState
from roundtable.enums import PitchState
from roundtable.enums import SessionKind
from roundtable.models import CallForPitches
from roundtable.models import Commitment
from roundtable.models import Meeting
from roundtable.models import Pitch
from roundtable.models import SessionReport
from tests.factories import EventFactory
from tests.factories import SessionFactory
from tests.factories import UserFactory
from tests.matchmaking.admin_forms import admin_form_data
from tests.matchmaking.api.conftest import client_for
from tests.roundtable import pdfs

from . import authz_matrix as matrix

pytestmark = pytest.mark.django_db
DENIALS = {401, 403, 404, 405}


@pytest.fixture(scope="module")
def _targets(_module_world, django_db_blocker, tmp_path_factory):
    """The targets, made once for the module inside the transaction of its
    cast (conftest._module_world), with the slides' media folder."""
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media"))
    with media, django_db_blocker.unblock():
        yield make_targets(_module_world)


@pytest.fixture
def world(shared_world):
    """The API cast, made once for this module (conftest.shared_world)."""
    return shared_world


@pytest.fixture
def targets(_targets, world):
    return _targets


def make_targets(world) -> dict:
    """The objects the object routes are called on (see authz_matrix.py)."""
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
    commitment = Commitment.objects.create(
        provider=world.provider_p,
        title="P's commitment",
        in_kind="Training places",
        due_on=now.date() + dt.timedelta(days=365),
        next_report_due=now.date() + dt.timedelta(days=180),
    )
    read_token = ApiToken.objects.get(user=world.users["ms_a"], name="read")
    join_request = JoinRequest.objects.create(
        kind=JoinKind.PROVIDER,
        status=JoinStatus.PENDING,
        contact_name="Ama Owusu",
        email="ama@example.org",
        position="Director",
        organisation_name="Accra Cyber Lab",
        stakeholder_group=world.provider_p.stakeholder_group,
    )
    webhook, _secret = webhooks.create_endpoint(
        user=world.users["ms_a"],
        url="https://hooks.example.org/cbm",
        event_types=["saved_search.match"],
    )
    search = saved.create_saved_search(
        user=world.users["ms_a"], name="Mine", scope="needs", query="q=forensics"
    )
    notification = Notification.objects.create(
        user=world.users["ms_a"],
        event=OutboxEvent.objects.create(
            kind=EventKind.MATCH_INTEREST,
            subject_type="match",
            subject_id=world.match_a_p.pk,
        ),
    )
    message = Message.objects.create(
        match=world.match_a_p, author=world.users["ms_a"], side="state", body="Hi"
    )
    return {
        "iso3": "SEN",
        "code": "002",
        "slug": event.slug,
        "/providers/{ref}/": "prov-p",
        "/needs/{ref}/": world.need_a.ref,
        "/programmes/{ref}/": world.prog_p.ref,
        "/programme-funding/{ref}/": world.prog_p.ref,
        "/commitments/{ref}/": commitment.ref,
        "/matches/{id}/": world.match_a_p.pk,
        "/tokens/{id}/": read_token.pk,
        "/join-requests/{id}/": join_request.pk,
        "/webhooks/{id}/": webhook.pk,
        "/saved-searches/{id}/": search.pk,
        "/sessions/{id}/": breakout.pk,
        "/pitches/{id}/": pitch.pk,
        "/meetings/{id}/": meeting.pk,
        "/notifications/{id}/": notification.pk,
        "/messages/{message_id}/": message.pk,
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
    ("api:not-found", "GET"): "/api/v1/no-such-thing/",
    ("api:not-found", "POST"): "/api/v1/no-such-thing/",
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


# --- who may change what: accounts, tokens, organisations, verification ------------

PASSWORD = "a-password-chosen-by-someone-9"
# Bookkeeping that moves on any request, not data a denial could change.
_VOLATILE = {"last_login", "last_used_at", "updated_at"}


@pytest.fixture
def cast(world):
    """The account table's extra cast and targets (see authz_matrix.ACCOUNTS)."""
    curator = world.users["curator"]
    get_user_model().objects.filter(pk=curator.pk).update(is_staff=True)
    curator.is_staff = True
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    other_curator = UserFactory(username="curator2", is_curator=True, is_staff=True)
    # Superusers get tokens once two-factor is on.
    TOTPDevice.objects.create(user=root, name="app", confirmed=True)
    root_token, _key = tokens.create_token(user=root, name="root", scope="read")
    revoked, _key = tokens.create_token(
        user=world.users["ms_a"], name="old", scope=TokenScope.READ
    )
    tokens.revoke_token(user=world.users["ms_a"], token=revoked)
    _invitation, invitation_token = invitations.invite_user(
        user=curator,
        email=world.users["ms_a"].email.upper(),
        member_state=world.state_b,
        role="focal_point",
        accept_url=lambda t: f"https://example.org/invitations/{t}/",
    )
    return {
        "root": root,
        "other_curator": other_curator,
        "read_token": ApiToken.objects.get(user=world.users["ms_a"], name="read"),
        "root_token": root_token,
        "revoked": revoked,
        "invitation": invitation_token,
    }


def _snapshot():
    """Accounts, tokens, organisations, memberships, invitations: every field."""
    return {
        model.__name__: [
            {k: v for k, v in row.items() if k not in _VOLATILE}
            for row in model.objects.order_by("pk").values()
        ]
        for model in (User, ApiToken, Provider, Membership, Invitation)
    }


def _page(response) -> object:
    location = response.get("Location", "")
    if response.status_code == 302 and "/login/" in location:
        return matrix.LOGIN
    return outcome(response.status_code)


def _admin_data(url, root, **changes):
    """The admin form as a superuser sees it, posted back with ``changes``."""
    client = Client()
    client.force_login(root)
    return admin_form_data(client.get(url), **changes)


def _done(answer, changed: bool) -> object:
    """An accepted request is OK when the data changed, UNCHANGED otherwise."""
    return answer if answer != matrix.OK else (matrix.OK if changed else "unchanged")


def _user(username):
    return User.objects.get(username=username)


def _act(action, ctx):
    web, api, world, cast = ctx["web"], ctx["api"], ctx["world"], ctx["cast"]
    root = cast["root"]
    ms_b = world.users["ms_b"]
    change_user = lambda u: reverse("admin:matchmaking_user_change", args=[u.pk])  # noqa: E731
    set_password = {
        "password1": PASSWORD,
        "password2": PASSWORD,
        "usable_password": "true",
    }
    if action == "admin: set a plain account's password":
        url = reverse("admin:auth_user_password_change", args=[ms_b.pk])
        answer = _page(web.post(url, set_password))
        return _done(answer, _user("ms_b").check_password(PASSWORD))
    if action == "admin: set a superuser's password":
        url = reverse("admin:auth_user_password_change", args=[root.pk])
        answer = _page(web.post(url, set_password))
        return _done(answer, _user("root").check_password(PASSWORD))
    if action == "admin: rename or deactivate a plain account":
        data = _admin_data(change_user(ms_b), root, first_name="Renamed", is_active="")
        answer = _page(web.post(change_user(ms_b), data))
        after = _user("ms_b")
        return _done(answer, (after.first_name, after.is_active) == ("Renamed", False))
    if action == "admin: change a plain account's e-mail":
        data = _admin_data(change_user(ms_b), root, email="taken@example.org")
        answer = _page(web.post(change_user(ms_b), data))
        return _done(answer, _user("ms_b").email == "taken@example.org")
    if action == "admin: make a plain account curator, staff or superuser":
        data = _admin_data(
            change_user(ms_b), root, is_curator="on", is_staff="on", is_superuser="on"
        )
        answer = _page(web.post(change_user(ms_b), data))
        after = _user("ms_b")
        return _done(answer, after.is_curator or after.is_staff or after.is_superuser)
    if action in (
        "admin: change another curator's account",
        "admin: change a superuser's account",
    ):
        target = cast["other_curator"] if "curator" in action else root
        data = _admin_data(change_user(target), root, first_name="Renamed")
        answer = _page(web.post(change_user(target), data))
        return _done(answer, _user(target.username).first_name == "Renamed")
    if action == "admin: add an account":
        answer = _page(
            web.post(
                reverse("admin:matchmaking_user_add"),
                {
                    "username": "sock",
                    **set_password,
                    "memberships-TOTAL_FORMS": "0",
                    "memberships-INITIAL_FORMS": "0",
                },
            )
        )
        return _done(answer, User.objects.filter(username="sock").exists())
    token = cast["read_token"]
    change_token = reverse("admin:matchmaking_apitoken_change", args=[token.pk])
    if action == "admin: add a token":
        answer = _page(
            web.post(
                reverse("admin:matchmaking_apitoken_add"),
                {"name": "forged", "user": ms_b.pk, "scope": "read_write"},
            )
        )
        return _done(answer, ApiToken.objects.filter(name="forged").exists())
    if action == "admin: reassign a token":
        data = _admin_data(change_token, root, user=root.pk)
        answer = _page(web.post(change_token, data))
        return _done(answer, ApiToken.objects.get(pk=token.pk).user_id == root.pk)
    if action == "admin: un-revoke a revoked token":
        revoked = cast["revoked"]
        url = reverse("admin:matchmaking_apitoken_change", args=[revoked.pk])
        data = _admin_data(url, root, revoked_at_0="", revoked_at_1="")
        answer = _page(web.post(url, data))
        return _done(answer, ApiToken.objects.get(pk=revoked.pk).revoked_at is None)
    if action in (
        "admin: revoke a plain account's token",
        "admin: revoke a superuser's token",
    ):
        target = token if "plain" in action else cast["root_token"]
        answer = _page(
            web.post(
                reverse("admin:matchmaking_apitoken_changelist"),
                {"action": "revoke_tokens", "_selected_action": [target.pk]},
            )
        )
        revoked = ApiToken.objects.get(pk=target.pk).revoked_at is not None
        return _done(answer, revoked)
    if action == "api: revoke ms_a's token":
        return outcome(api.delete(f"/api/v1/tokens/{token.pk}/").status_code)
    if action == "page: revoke ms_a's token":
        return _page(web.post(reverse("api-token-revoke", args=[token.pk])))
    if action == "api: register a provider":
        payload = {"name": "Newly registered", "stakeholder_group": "civil-society"}
        response = api.post("/api/v1/providers/", payload, format="json")
        return outcome(response.status_code)
    if action == "api: edit provider Q's profile":
        payload = {"website": "https://q2.example.org"}
        response = api.patch("/api/v1/providers/prov-q/", payload, format="json")
        return outcome(response.status_code)
    if action == "api: verify provider Q":
        return outcome(api.post("/api/v1/providers/prov-q/verify/").status_code)
    if action == "page: verify provider Q":
        answer = _page(web.post(reverse("provider-verify", args=["prov-q"])))
        return _done(answer, Provider.objects.get(ref="prov-q").is_verified)
    if action == "admin: verify provider Q by its form":
        q = Provider.objects.get(ref="prov-q")
        url = reverse("admin:matchmaking_provider_change", args=[q.pk])
        answer = _page(web.post(url, _admin_data(url, root, is_verified="on")))
        return _done(answer, Provider.objects.get(ref="prov-q").is_verified)
    if action == "admin: verify provider Q by the action":
        q = Provider.objects.get(ref="prov-q")
        answer = _page(
            web.post(
                reverse("admin:matchmaking_provider_changelist"),
                {"action": "mark_verified", "_selected_action": [q.pk]},
            )
        )
        return _done(answer, Provider.objects.get(ref="prov-q").is_verified)
    if action == "page: invite someone":
        payload = {
            "email": "invitee@example.org",
            "state": world.state_a.country_id,
            "role": "focal_point",
        }
        answer = _page(web.post(reverse("invitation-list"), payload))
        created = Invitation.objects.filter(email="invitee@example.org").exists()
        return _done(answer, created)
    if action == "page: accept an invitation sent to ms_a":
        new_account = {"username": "invitee", **set_password}
        url = reverse("invitation-accept", args=[cast["invitation"]])
        answer = _page(web.post(url, new_account))
        accepted = Invitation.objects.filter(accepted_at__isnull=False).exists()
        return _done(answer, accepted)
    if action == "api: read a registered need":
        return outcome(api.get("/api/v1/needs/need-b-registered/").status_code)
    raise AssertionError(f"no action for {action!r}")


def _clients(world, cast, role):
    web = Client()
    if role == "superuser":
        web.force_login(cast["root"])
        api = APIClient()
        api.force_authenticate(cast["root"])
        return web, api
    if role not in ("anon", "read_token"):  # tokens never open a page
        web.force_login(world.users[role])
    return web, client_for(world, role)


@pytest.mark.parametrize("action", sorted(matrix.ACCOUNTS))
def test_who_may_change_what(world, cast, action):
    expected = matrix.ACCOUNTS[action]
    found = {}
    for role in matrix.ACCOUNT_ROLES:
        cache.clear()  # throttles are not under test here
        web, api = _clients(world, cast, role)
        savepoint = transaction.savepoint_create()
        try:
            before = _snapshot()
            ctx = {"web": web, "api": api, "world": world, "cast": cast}
            found[role] = _act(action, ctx)
            if found[role] != matrix.OK:
                assert _snapshot() == before, (action, role)  # nothing written
        finally:
            transaction.savepoint_rollback(savepoint)
    assert found == expected
