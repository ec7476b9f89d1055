"""TOTP two-factor authentication (django-otp), required for curators and staff."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from matchmaking.accounts.tokens import create_token
from matchmaking.enums import Visibility
from matchmaking.models import ApiToken
from matchmaking.models import TokenScope
from tests.factories import MemberStateFactory
from tests.factories import NeedFactory
from tests.factories import UserFactory
from tests.factories.matchmaking import TEST_PASSWORD

pytestmark = pytest.mark.django_db

STEP = dt.timedelta(seconds=30)


def code(device: TOTPDevice, *, offset: int = 0) -> str:
    """The code the authenticator app shows now (offset: steps later/earlier)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    totp.time = time.time() + offset * device.step
    return f"{totp.token():06d}"


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def curator_with_2fa(db):
    curator = UserFactory(username="cur", is_curator=True, is_staff=True)
    TOTPDevice.objects.create(user=curator, name="app", confirmed=True)
    return curator


def sign_in(client, username: str = "cur", password: str = TEST_PASSWORD):
    return client.post(
        reverse("login") + "?next=/curation/",
        {"username": username, "password": password},
    )


@pytest.mark.password_only_sessions
def test_a_curator_enrols_by_scanning_and_confirming_a_code(client, clock):
    curator = UserFactory(username="cur", is_curator=True)
    client.force_login(curator)
    page = client.get(reverse("two-factor"))
    assert page.status_code == 200
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=curator)
    assert device.confirmed is False
    assert "<svg" in html  # the QR code, inline (no script, no outside fetch)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html).group(1)
    assert len(secret.replace(" ", "")) == 32
    wrong = client.post(reverse("two-factor"), {"token": "000000"})
    assert wrong.status_code == 400
    assert "The code is wrong or has expired." in wrong.content.decode()
    clock.shift(STEP)
    done = client.post(reverse("two-factor"), {"token": code(device)})
    assert done.status_code == 302
    device.refresh_from_db()
    assert device.confirmed is True
    assert (
        "Two-factor authentication" in client.get(reverse("profile")).content.decode()
    )


def test_only_curators_and_staff_are_offered_two_factor(client):
    client.force_login(UserFactory(username="focal"))
    assert client.get(reverse("two-factor")).status_code == 404
    assert TOTPDevice.objects.count() == 0
    assert reverse("two-factor") not in client.get(reverse("profile")).content.decode()


def test_sign_in_with_two_factor_needs_the_code_before_any_page(
    client, curator_with_2fa, clock
):
    response = sign_in(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("login-verify")
    # The password alone opens nothing: not the site, not the admin.
    assert "_auth_user_id" not in client.session
    assert client.get("/curation/").status_code == 302
    assert client.get("/admin/").status_code == 302
    device = curator_with_2fa.totpdevice_set.get()
    clock.shift(STEP)
    verified = client.post(reverse("login-verify"), {"token": code(device)})
    assert verified.status_code == 302
    assert verified["Location"] == "/curation/"
    assert client.session["_auth_user_id"] == str(curator_with_2fa.pk)
    assert client.session["otp_device_id"] == device.persistent_id
    assert client.get("/curation/").status_code == 200


def test_wrong_codes_count_as_failed_logins_and_end_the_attempt(
    client, curator_with_2fa, clock
):
    sign_in(client)
    for attempt in range(4):
        clock.shift(dt.timedelta(minutes=1))  # past the device's own throttle
        wrong = client.post(reverse("login-verify"), {"token": "123456"})
        assert wrong.status_code == 400, attempt
        assert "_auth_user_id" not in client.session
    clock.shift(dt.timedelta(minutes=1))
    last = client.post(reverse("login-verify"), {"token": "123456"})
    # Wrong codes are failed logins: the fifth locks the username and address
    # out like wrong passwords do, and the half-done sign-in is dropped.
    assert last.status_code == 429
    assert "Sign-in locked" in last.content.decode()
    assert client.get(reverse("login-verify")).status_code == 302
    assert sign_in(client).status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_used_code_cannot_be_replayed(client, curator_with_2fa, clock):
    device = curator_with_2fa.totpdevice_set.get()
    sign_in(client)
    token = code(device)
    assert client.post(reverse("login-verify"), {"token": token}).status_code == 302
    client.logout()
    sign_in(client)
    clock.shift(dt.timedelta(seconds=5))  # same 30 s step
    replay = client.post(reverse("login-verify"), {"token": token})
    assert replay.status_code == 400
    assert "_auth_user_id" not in client.session


def test_the_code_step_expires(client, curator_with_2fa, clock):
    sign_in(client)
    clock.shift(dt.timedelta(minutes=6))
    device = curator_with_2fa.totpdevice_set.get()
    late = client.post(reverse("login-verify"), {"token": code(device)})
    assert late.status_code == 302
    assert late["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_users_without_two_factor_sign_in_in_one_step(client):
    UserFactory(username="focal")
    response = sign_in(client, "focal")
    assert response.status_code == 302
    assert response["Location"] == "/curation/"
    assert "_auth_user_id" in client.session


def test_turning_it_off_needs_the_password_and_a_code(client, curator_with_2fa, clock):
    client.force_login(curator_with_2fa)
    device = curator_with_2fa.totpdevice_set.get()
    bad_password = client.post(
        reverse("two-factor"), {"password": "nope", "token": code(device)}
    )
    assert bad_password.status_code == 400
    assert "Your password was entered incorrectly." in bad_password.content.decode()
    assert TOTPDevice.objects.filter(user=curator_with_2fa).count() == 1
    clock.shift(STEP)
    off = client.post(
        reverse("two-factor"), {"password": TEST_PASSWORD, "token": code(device)}
    )
    assert off.status_code == 302
    assert TOTPDevice.objects.filter(user=curator_with_2fa).count() == 0
    # Required for curators: the next page is setting up a new app.
    assert client.get("/curation/")["Location"] == (
        reverse("two-factor") + "?next=%2Fcuration%2F"
    )


ROLES = {
    "curator": {"is_curator": True},
    "curator and staff": {"is_curator": True, "is_staff": True},
    "staff": {"is_staff": True},
    "superuser": {"is_staff": True, "is_superuser": True},
}


@pytest.mark.parametrize("role", list(ROLES))
def test_the_password_alone_reaches_nothing_until_two_factor_is_set_up(
    client, clock, role
):
    user = UserFactory(username="cur", **ROLES[role])
    secret = NeedFactory(
        member_state=MemberStateFactory(),
        title="Secret forensics need",
        visibility=Visibility.CONFIDENTIAL,
    )
    response = sign_in(client)
    setup = reverse("two-factor") + "?next=%2Fcuration%2F"
    assert response["Location"] == "/curation/"
    # Signed in by password, but every page, the admin and the API by session
    # lead to setting up two-factor, and no confidential title shows.
    assert client.get("/curation/")["Location"] == setup
    assert client.get("/admin/")["Location"] == (
        reverse("two-factor") + "?next=%2Fadmin%2F"
    )
    need_page = client.get(f"/needs/{secret.ref}/")
    assert need_page.status_code == 302
    api = client.get("/api/v1/needs/")
    assert api.status_code == 403
    assert api.json() == {
        "detail": "Two-factor authentication is required for this account: "
        "turn it on under Your account, or use an API token."
    }
    assert secret.title not in api.content.decode()
    assert client.get(reverse("api-tokens")).status_code == 302
    assert ApiToken.objects.count() == 0
    # The set-up page itself opens; confirming a code opens the rest.
    page = client.get(setup)
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    clock.shift(STEP)
    done = client.post(setup, {"token": code(device)})
    assert done.status_code == 302
    assert done["Location"] == "/curation/"
    assert client.get(reverse("profile")).status_code == 200
    assert client.get("/api/v1/needs/").status_code == 200


@pytest.mark.password_only_sessions
def test_a_session_without_the_code_ends_once_a_device_exists(client, curator):
    client.force_login(curator)  # e.g. signed in before the device was added
    TOTPDevice.objects.create(user=curator, name="app", confirmed=True)
    response = client.get("/curation/")
    assert response["Location"] == reverse("login") + "?next=%2Fcuration%2F"
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("two-factor")).status_code == 302  # to sign-in


def test_the_set_up_page_sends_only_to_pages_of_this_site(client, clock):
    user = UserFactory(username="cur", is_curator=True)
    sign_in(client)
    url = reverse("two-factor") + "?next=https://evil.example/"
    client.get(url)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    clock.shift(STEP)
    assert client.post(url, {"token": code(device)})["Location"] == reverse(
        "two-factor"
    )


def test_other_roles_need_no_second_step(client):
    UserFactory(username="focal")
    sign_in(client, "focal")
    assert client.get(reverse("profile")).status_code == 200
    assert client.get("/api/v1/needs/").status_code == 200


@pytest.mark.parametrize("role", list(ROLES))
def test_api_tokens_of_these_roles_need_two_factor_first(role):
    user = UserFactory(username="cur", **ROLES[role])
    with pytest.raises(PermissionDenied):
        create_token(user=user, name="script", scope=TokenScope.READ)
    assert ApiToken.objects.count() == 0
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    token, _key = create_token(user=user, name="script", scope=TokenScope.READ)
    assert list(ApiToken.objects.values_list("pk", flat=True)) == [token.pk]
