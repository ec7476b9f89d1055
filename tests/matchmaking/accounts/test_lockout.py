"""T10: login lockout (django-axes) and its cool-off, immune to forged headers."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from matchmaking.accounts import throttle
from matchmaking.accounts.forms import GovukSetPasswordForm
from matchmaking.audit import client_ip
from matchmaking.models import SignInThrottle
from tests.factories import UserFactory
from tests.factories.matchmaking import TEST_PASSWORD
from tests.paths import ROOT

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


# --- per account, across addresses (matchmaking/accounts/throttle.py) -----------

FREE = 10  # LOGIN_ACCOUNT_FREE_FAILURES's default


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def test_distributed_guessing_is_bounded_per_account(client, clock):
    UserFactory(username="ada")
    statuses = []
    for address in range(10):  # 10 addresses, 5 guesses each, same instant
        for guess in range(5):
            response = sign_in(
                client, "ada", f"guess-{guess}", REMOTE_ADDR=f"10.0.0.{address}"
            )
            statuses.append(response.status_code)
    # Only the account's free budget was evaluated (200: the form's error);
    # the rest were refused unchecked and not counted.
    assert statuses.count(200) == FREE
    assert SignInThrottle.objects.get(username="ada").failures == FREE
    # The right password from a fresh address waits too (1 s after the 10th).
    fresh = sign_in(client, "ada", TEST_PASSWORD, REMOTE_ADDR="192.0.2.99")
    assert fresh.status_code == 429
    assert fresh["Retry-After"] == "1"
    assert "_auth_user_id" not in client.session
    clock.shift(dt.timedelta(seconds=1))
    later = sign_in(client, "ada", TEST_PASSWORD, REMOTE_ADDR="192.0.2.99")
    assert later.status_code == 302
    # A success forgets the failures.
    assert not SignInThrottle.objects.filter(username="ada").exists()


def test_the_delay_doubles_and_is_capped_so_the_owner_is_never_locked_out(
    client, clock
):
    UserFactory(username="ada")
    waits = []
    for attempt in range(FREE + 14):
        clock.shift(dt.timedelta(seconds=waits[-1] if waits else 0))
        sign_in(client, "ada", "wrong", REMOTE_ADDR=f"10.0.{attempt}.1")
        waits.append(throttle.seconds_to_wait(username="ada"))
    assert waits[: FREE - 1] == [0] * (FREE - 1)
    assert waits[FREE - 1 : FREE + 5] == [1, 2, 4, 8, 16, 32]
    assert waits[-1] == 15 * 60  # the cap: at most 96 guesses a day
    assert sign_in(client, "ada", TEST_PASSWORD).status_code == 429
    clock.shift(dt.timedelta(minutes=15))
    assert sign_in(client, "ada", TEST_PASSWORD).status_code == 302


def test_a_browser_that_signed_in_before_skips_the_account_delay(client, clock):
    UserFactory(username="ada")
    assert sign_in(client, "ada", TEST_PASSWORD).status_code == 302
    client.post(reverse("logout"))  # (client.logout() would drop every cookie)
    attacker = Client()
    for attempt in range(FREE + 3):
        sign_in(attacker, "ada", "wrong", REMOTE_ADDR=f"10.1.{attempt}.1")
    assert sign_in(attacker, "ada", TEST_PASSWORD).status_code == 429
    # A forged cookie, or one signed for another account, counts for nothing.
    attacker.cookies["signin_known"] = "forged"
    assert sign_in(attacker, "ada", TEST_PASSWORD).status_code == 429
    UserFactory(username="eve")
    assert sign_in(attacker, "eve", TEST_PASSWORD).status_code == 302
    attacker.post(reverse("logout"))
    assert sign_in(attacker, "ada", TEST_PASSWORD).status_code == 429
    # The owner's browser carries the signed known-client cookie.
    assert client.cookies["signin_known"]["httponly"]
    assert sign_in(client, "ada", TEST_PASSWORD).status_code == 302


def test_a_password_reset_starts_the_account_budget_afresh(client, clock):
    user = UserFactory(username="ada")
    for attempt in range(FREE + 2):
        sign_in(client, "ada", "wrong", REMOTE_ADDR=f"10.2.{attempt}.1")
    assert SignInThrottle.objects.filter(username="ada").exists()
    form = GovukSetPasswordForm(
        user,
        {
            "new_password1": "A-fresh-passphrase-42",
            "new_password2": "A-fresh-passphrase-42",
        },
    )
    assert form.is_valid(), form.errors
    form.save()
    assert not SignInThrottle.objects.filter(username="ada").exists()
    assert sign_in(client, "ada", "A-fresh-passphrase-42").status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


# --- the documented proxy chain passes the client's address ---------------------

DEPLOY = ROOT / "deploy"


def test_nginx_appends_to_x_forwarded_for_instead_of_replacing_it():
    conf = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    directives = [
        line.split("#", 1)[0].strip()
        for line in conf.splitlines()
        if "X-Forwarded-For" in line.split("#", 1)[0]
    ]
    assert directives == [
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;"
    ]


@pytest.mark.parametrize(
    ("chain", "num_proxies"),
    [
        # browser -> nginx: nginx appends the socket address.
        (["nginx"], 1),
        # browser -> load balancer -> nginx: each appends what it saw.
        (["balancer", "nginx"], 2),
    ],
)
def test_the_documented_chain_gives_each_client_its_own_address(
    settings, chain, num_proxies
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": num_proxies}
    seen = set()
    for client_address in ("198.51.100.7", "203.0.113.9"):
        forwarded = ["6.6.6.6"]  # what the client forged
        peer = client_address
        for hop in chain:  # each proxy appends its peer's address
            forwarded.append(peer)
            peer = {"balancer": "10.0.0.5", "nginx": "127.0.0.1"}[hop]
        # gunicorn sees nginx (127.0.0.1) as REMOTE_ADDR.
        request = RequestFactory().get(
            "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=", ".join(forwarded)
        )
        seen.add(client_ip(request))
    assert seen == {"198.51.100.7", "203.0.113.9"}
