"""T13: the session lifecycle: rotation at login, end at logout, password change
and deactivation (ModelBackend and CuratorBackend)."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from matchmaking.accounts.tokens import create_token
from matchmaking.models import TokenScope
from tests.factories import UserFactory
from tests.factories.matchmaking import TEST_PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-much-longer-passphrase-2027"


def test_login_rotates_the_session_key(client):
    UserFactory(username="ada")
    session = client.session
    session["seen_banner"] = True
    session.save()
    client.cookies["sessionid"] = session.session_key
    before = session.session_key
    response = client.post(
        reverse("login"), {"username": "ada", "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    after = client.cookies["sessionid"].value
    assert after != before
    # The pre-login key is gone: a planted (fixated) key buys nothing.
    assert not Session.objects.filter(session_key=before).exists()
    assert Session.objects.get(session_key=after).get_decoded()["seen_banner"] is True


def test_logout_ends_the_session_and_the_old_cookie_opens_nothing(client):
    client.force_login(UserFactory(username="ada"))
    old_key = client.cookies["sessionid"].value
    assert client.get(reverse("profile")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert not Session.objects.filter(session_key=old_key).exists()
    replay = Client()
    replay.cookies["sessionid"] = old_key
    response = replay.get(reverse("profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_logout_by_get_is_refused(client):
    client.force_login(UserFactory(username="ada"))
    assert client.get(reverse("logout")).status_code == 405
    assert client.get(reverse("profile")).status_code == 200


def test_password_change_ends_the_other_sessions_and_keeps_this_one():
    user = UserFactory(username="ada")
    here, elsewhere = Client(), Client()
    here.force_login(user)
    elsewhere.force_login(user)
    response = here.post(
        reverse("password_change"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert here.get(reverse("profile")).status_code == 200
    assert elsewhere.get(reverse("profile")).status_code == 302
    assert elsewhere.get("/api/v1/tokens/").status_code == 401


def test_a_deactivated_users_live_session_is_refused_on_the_next_request():
    user = UserFactory(username="ada")
    client = Client()
    client.force_login(user)
    assert client.get(reverse("profile")).status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get(reverse("profile")).status_code == 302
    assert client.get("/api/v1/tokens/").status_code == 401


def test_a_deactivated_curator_loses_the_curator_pages_admin_and_permissions():
    curator = UserFactory(username="cur", is_curator=True, is_staff=True)
    client = Client()
    client.force_login(curator)
    assert client.get(reverse("curator-review")).status_code == 200
    assert client.get("/admin/matchmaking/need/").status_code == 200
    assert curator.has_perm("matchmaking.change_need") is True
    curator.is_active = False
    curator.save(update_fields=["is_active"])
    curator = type(curator).objects.get(pk=curator.pk)  # no cached permissions
    assert client.get(reverse("curator-review")).status_code == 302
    assert client.get("/admin/matchmaking/need/").status_code == 302
    # CuratorBackend grants nothing to an inactive user ...
    assert curator.has_perm("matchmaking.change_need") is False
    # ... and never restores a session by itself.
    from matchmaking.accounts.backends import CuratorBackend

    assert CuratorBackend().get_user(curator.pk) is None


def test_a_deactivated_users_api_token_is_refused():
    user = UserFactory(username="ada")
    _token, key = create_token(user=user, name="script", scope=TokenScope.READ)
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/tokens/").status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get("/api/v1/tokens/").status_code == 401
