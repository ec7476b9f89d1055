"""T10: login lockout (django-axes) and its cool-off, immune to forged headers."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from config.security import client_ip
from tests.factories import UserFactory
from tests.factories.matchmaking import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LIMIT = 5  # AXES_FAILURE_LIMIT's default
COOL_OFF = dt.timedelta(minutes=15)  # AXES_COOLOFF_TIME's default


def sign_in(client, username: str, password: str, **extra):
    return client.post(
        reverse("login"), {"username": username, "password": password}, **extra
    )


def test_lockout_after_the_limit_refuses_even_the_right_password(client):
    UserFactory(username="ada")
    statuses = [sign_in(client, "ada", f"wrong-{i}").status_code for i in range(LIMIT)]
    # Each failure re-shows the form (200) until the limit, which locks (429).
    assert statuses == [200] * (LIMIT - 1) + [429]
    locked = sign_in(client, "ada", TEST_PASSWORD)
    assert locked.status_code == 429
    assert "Sign-in locked" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("profile")).status_code == 302


def test_forged_x_forwarded_for_does_not_reset_the_counter(client):
    UserFactory(username="ada")
    for i in range(LIMIT):
        sign_in(client, "ada", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
    for forged in ("198.51.100.7", "10.0.0.1, 198.51.100.8", "127.0.0.2"):
        response = sign_in(client, "ada", TEST_PASSWORD, HTTP_X_FORWARDED_FOR=forged)
        assert response.status_code == 429
    # All attempts were counted against the real address.
    assert list(
        AccessAttempt.objects.values_list("ip_address", "failures_since_start")
    ) == [("127.0.0.1", LIMIT)]


def test_lockout_is_per_username_and_address(client):
    UserFactory(username="ada")
    UserFactory(username="grace")
    for _ in range(LIMIT):
        sign_in(client, "ada", "wrong")
    # Another account from the same address, and the same account from another
    # address, are unaffected: an attacker cannot lock everybody out.
    assert sign_in(client, "grace", TEST_PASSWORD).status_code == 302
    client.logout()
    other = sign_in(client, "ada", TEST_PASSWORD, REMOTE_ADDR="192.0.2.10")
    assert other.status_code == 302


def test_lock_lifts_after_the_cool_off(client):
    UserFactory(username="ada")
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(LIMIT):
            sign_in(client, "ada", "wrong")
        clock.move_to(start + COOL_OFF - dt.timedelta(minutes=1))
        assert sign_in(client, "ada", TEST_PASSWORD).status_code == 429
        clock.move_to(start + COOL_OFF + dt.timedelta(seconds=1))
        response = sign_in(client, "ada", TEST_PASSWORD)
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(UserFactory(username="ada").pk)


def test_a_success_before_the_limit_resets_the_count(client):
    UserFactory(username="ada")
    for _ in range(LIMIT - 1):
        sign_in(client, "ada", "wrong")
    assert sign_in(client, "ada", TEST_PASSWORD).status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        assert sign_in(client, "ada", "wrong").status_code == 200


def test_admin_sign_in_goes_through_the_guarded_form(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/"


@pytest.mark.parametrize(
    ("num_proxies", "forwarded", "expected"),
    [
        (0, "", "127.0.0.1"),
        (0, "203.0.113.9", "127.0.0.1"),
        (1, "203.0.113.9", "203.0.113.9"),
        # The client can forge the left part; only the proxy's entry counts.
        (1, "198.51.100.1, 203.0.113.9", "203.0.113.9"),
        (2, "198.51.100.1, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (2, "203.0.113.9", "203.0.113.9"),
    ],
)
def test_client_ip_trusts_only_the_configured_proxies(
    settings, num_proxies, forwarded, expected
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": num_proxies}
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", **extra)
    assert client_ip(request) == expected
