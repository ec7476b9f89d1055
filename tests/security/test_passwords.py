"""T12: the password policy at registration and change."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

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
