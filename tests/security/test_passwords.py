"""T12: the password policy at registration and change."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from matchmaking.forms import AcceptInvitationForm
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
