"""T12: the password policy at registration and change."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import RequestFactory
from django.urls import resolve
from django.urls import reverse

from matchmaking.accounts import throttle
from matchmaking.forms import AcceptInvitationForm
from matchmaking.models import SignInThrottle
from tests.factories import UserFactory
from tests.factories.matchmaking import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def errors(password: str) -> list[str]:
    try:
        validate_password(password, UserFactory.build(username="adalovelace"))
    except ValidationError as error:
        return list(error.messages)
    return []


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        (
            "Xk9#pq2",
            ["This password is too short. It must contain at least 12 characters."],
        ),
        ("Xk9#pq2mZr4!", []),  # exactly 12
        ("Xk9#pq2mZr4!aa", []),
        ("correct battery horse staple", []),
        ("j" + "Xk9#pq2mZr4!" * 5 + "abc", []),  # 64 characters
        ("qwerty123456", ["This password is too common."]),
        ("q1w2e3r4t5y6", ["This password is too common."]),
        ("1qaz2wsx3edc", ["This password is too common."]),
        ("839201748392017", ["This password is entirely numeric."]),
        ("adalovelace2027", ["The password is too similar to the username."]),
    ],
)
def test_password_rules(password, expected):
    assert errors(password) == expected


def test_registration_by_invitation_applies_the_rules():
    form = AcceptInvitationForm(
        data={
            "username": "newcomer",
            "first_name": "New",
            "last_name": "Comer",
            "password1": "qwerty123456",
            "password2": "qwerty123456",
        }
    )
    assert form.is_valid() is False
    assert form.errors["password1"] == ["This password is too common."]


def test_password_change_requires_the_current_password(client):
    user = UserFactory(username="ada")
    client.force_login(user)
    wrong = client.post(
        reverse("password_change"),
        {
            "old_password": "not-my-password",
            "new_password1": "a-much-longer-passphrase-2027",
            "new_password2": "a-much-longer-passphrase-2027",
        },
    )
    assert wrong.status_code == 200
    assert wrong.context["form"].errors["old_password"] == [
        "Your old password was entered incorrectly. Please enter it again."
    ]
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)


def test_password_change_rejects_a_short_new_password(client):
    user = UserFactory(username="ada")
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "short-pw",
            "new_password2": "short-pw",
        },
    )
    assert response.context["form"].errors["new_password2"] == [
        "This password is too short. It must contain at least 12 characters."
    ]
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)


def change_password(client, old: str, new: str = "a-much-longer-passphrase-2027"):
    return client.post(
        reverse("password_change"),
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


def test_guessing_the_current_password_is_locked_out_like_sign_in(client):
    user = UserFactory(username="ada")
    client.force_login(user)
    statuses = [change_password(client, f"guess-{i}").status_code for i in range(5)]
    # Wrong current passwords are failed sign-ins: the fifth locks (429) ...
    assert statuses == [200, 200, 200, 200, 429]
    # ... and then even the right one is not checked: nothing changes.
    right = change_password(client, TEST_PASSWORD)
    assert right.status_code == 429
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)
    # The sign-in form is locked for that account and address as well.
    client.logout()
    signin = client.post(
        reverse("login"), {"username": "ada", "password": TEST_PASSWORD}
    )
    assert signin.status_code == 429


def test_wrong_current_passwords_count_towards_the_account_throttle(client):
    user = UserFactory(username="ada")
    client.force_login(user)
    for i in range(4):
        change_password(
            client,
            f"guess-{i}",
        )
    assert SignInThrottle.objects.get(username="ada").failures == 4
    done = change_password(client, TEST_PASSWORD)
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-much-longer-passphrase-2027")


@pytest.fixture
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def ask_reset(client, email: str, **extra):
    return client.post(reverse("password_reset"), {"email": email}, **extra)


def test_reset_mail_is_throttled_per_address(client, fresh_cache, mailoutbox):
    UserFactory(username="ada", email="ada@example.org")
    answers = [
        ask_reset(client, "ada@example.org", REMOTE_ADDR=f"10.3.0.{i}")
        for i in range(8)
    ]
    # The same answer every time, but three mails an hour to one address,
    # whatever the client (and whatever the case of the address).
    assert {(a.status_code, a["Location"]) for a in answers} == {
        (302, reverse("password_reset_done"))
    }
    assert ask_reset(client, "ADA@example.org").status_code == 302
    assert len(mailoutbox) == 3


def test_reset_mail_is_throttled_per_client(client, fresh_cache, mailoutbox):
    for i in range(12):
        UserFactory(username=f"user{i}", email=f"user{i}@example.org")
    for i in range(12):
        ask_reset(client, f"user{i}@example.org", REMOTE_ADDR="10.4.0.1")
    assert len(mailoutbox) == 10
    ask_reset(client, "user11@example.org", REMOTE_ADDR="10.4.0.2")
    assert len(mailoutbox) == 11


def test_known_and_unknown_addresses_take_the_same_path(
    client, fresh_cache, mailoutbox, monkeypatch
):
    """No timing assertion: the throttle runs before the lookup for both, and
    the answers are the same (the mail is the one difference)."""
    UserFactory(username="ada", email="ada@example.org")
    calls = []
    allow = throttle.allow_reset_mail

    def spy(**kwargs):
        calls.append(kwargs)
        return allow(**kwargs)

    monkeypatch.setattr(throttle, "allow_reset_mail", spy)
    known = ask_reset(client, "ada@example.org")
    unknown = ask_reset(client, "nobody@example.org")
    assert calls == [
        {"email": "ada@example.org", "client": "127.0.0.1"},
        {"email": "nobody@example.org", "client": "127.0.0.1"},
    ]
    assert (known.status_code, known["Location"]) == (
        unknown.status_code,
        unknown["Location"],
    )
    assert len(mailoutbox) == 1
    # The unknown address used up its budget too: nothing tells them apart.
    for _ in range(3):
        ask_reset(client, "nobody@example.org")
    assert calls[-1] == {"email": "nobody@example.org", "client": "127.0.0.1"}


def test_reset_mail_goes_after_the_answer_for_known_and_unknown_alike(
    fresh_cache, mailoutbox
):
    """No timing assertion: the answer is complete before any mail is rendered
    or sent (the response's closing sends it), for both kinds of address."""
    UserFactory(username="ada", email="ada@example.org")
    view = resolve(reverse("password_reset")).func
    answers = []
    for email in ("ada@example.org", "nobody@example.org"):
        request = RequestFactory().post(reverse("password_reset"), {"email": email})
        request._dont_enforce_csrf_checks = True
        sent_before = len(mailoutbox)
        response = view(request)
        answers.append((response.status_code, response["Location"]))
        assert len(mailoutbox) == sent_before  # nothing sent while answering
        # What the server does once the answer is out. Like Django's test
        # client, keep the test's connection: the request_finished signal
        # would close it inside the test transaction (PostgreSQL).
        request_finished.disconnect(close_old_connections)
        try:
            response.close()
        finally:
            request_finished.connect(close_old_connections)
    assert answers[0] == answers[1] == (302, reverse("password_reset_done"))
    assert [m.to for m in mailoutbox] == [["ada@example.org"]]
