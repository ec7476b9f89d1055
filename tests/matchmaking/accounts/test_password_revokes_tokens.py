"""Issue 14, finding 13: a password change or reset revokes the user's API tokens.

Sessions already end on a password change; a token kept working. Now every
live token of the user is revoked (other users' tokens untouched), the pages
say so beforehand and afterwards, and a security event records it.
"""

from __future__ import annotations

import logging
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from matchmaking.accounts import tokens
from matchmaking.models import ApiToken
from matchmaking.models import TokenScope
from tests.factories import UserFactory
from tests.factories.matchmaking import TEST_PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-much-longer-passphrase-2027"


@pytest.fixture
def ada():
    return UserFactory(username="ada", email="ada@example.org")


@pytest.fixture
def keys(ada):
    """Two live tokens of ada, and one of somebody else."""
    _t, read = tokens.create_token(user=ada, name="read", scope=TokenScope.READ)
    _t, write = tokens.create_token(user=ada, name="write", scope=TokenScope.READ_WRITE)
    _t, other = tokens.create_token(
        user=UserFactory(username="bob"), name="bob", scope=TokenScope.READ
    )
    return {"read": read, "write": write, "other": other}


def api_status(key: str) -> int:
    return Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/tokens/").status_code


def test_the_change_page_says_tokens_will_be_revoked(client, ada):
    client.force_login(ada)
    page = client.get(reverse("password_change"))
    assert "also revokes your API tokens" in page.content.decode()


def test_a_password_change_revokes_the_users_tokens(client, ada, keys, caplog):
    assert [api_status(k) for k in keys.values()] == [200, 200, 200]
    client.force_login(ada)
    with caplog.at_level(logging.WARNING, logger="security"):
        response = client.post(
            reverse("password_change"),
            {
                "old_password": TEST_PASSWORD,
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
            follow=True,
        )
    assert response.status_code == 200
    assert "Your API tokens were revoked" in response.content.decode()
    assert [api_status(k) for k in keys.values()] == [401, 401, 200]
    assert ApiToken.objects.filter(user=ada, revoked_at__isnull=True).count() == 0
    events = [r.security for r in caplog.records if hasattr(r, "security")]
    assert [(e["event"], e["user_id"], e["reason"], e["count"]) for e in events] == [
        ("tokens_revoked", ada.pk, "password_change", "2")
    ]


def test_a_password_reset_revokes_the_users_tokens(client, ada, keys):
    client.post(reverse("password_reset"), {"email": "ada@example.org"})
    link = re.search(r"https?://\S+/reset/\S+/", mail.outbox[0].body).group(0)
    page = client.get(link, follow=True)
    assert "also revokes your API tokens" in page.content.decode()
    response = client.post(
        page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert response.status_code == 200
    assert "Your API tokens were revoked" in response.content.decode()
    assert [api_status(k) for k in keys.values()] == [401, 401, 200]


def test_a_failed_change_revokes_nothing(client, ada, keys):
    client.force_login(ada)
    client.post(
        reverse("password_change"),
        {
            "old_password": "not-my-password",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert [api_status(k) for k in keys.values()] == [200, 200, 200]


def test_a_superuser_setting_a_password_in_the_admin_revokes_tokens(ada, keys):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(root)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[ada.pk]),
        {
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    assert [api_status(k) for k in keys.values()] == [401, 401, 200]
