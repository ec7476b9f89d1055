"""Issue 14, finding 1: staff rights never reach account, credential or permission
data at or above the holder's own level.

Each attack of the review is replayed through the real admin with the test
client (the curator signs in as the site does, then posts the admin's own
forms); each must fail with the data unchanged, and the curator's legitimate
work in the admin must still succeed.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from matchmaking.accounts import tokens
from matchmaking.accounts.backends import CuratorBackend
from matchmaking.models import ApiToken
from matchmaking.models import TokenScope
from matchmaking.models import User
from tests.factories import MembershipFactory
from tests.factories import MemberStateFactory
from tests.factories import NeedFactory
from tests.factories import ProviderFactory
from tests.factories import UserFactory
from tests.factories.matchmaking import TEST_PASSWORD
from tests.matchmaking.admin_forms import admin_form_data

pytestmark = pytest.mark.django_db

STOLEN = "a-password-the-curator-chose-1"


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def focal(db):
    """A member state's focal point: a plain account below the curator's level."""
    user = UserFactory(username="focal")
    MembershipFactory(user=user, member_state=MemberStateFactory())
    return user


@pytest.fixture
def curator_client(curator):
    client = Client()
    client.force_login(curator)
    return client


# --- the three attacks of the review -------------------------------------------


def test_a_curator_cannot_set_a_superusers_password(curator_client, superuser):
    url = reverse("admin:auth_user_password_change", args=[superuser.pk])
    assert curator_client.get(url).status_code == 403
    response = curator_client.post(
        url, {"password1": STOLEN, "password2": STOLEN, "usable_password": "true"}
    )
    assert response.status_code == 403
    superuser.refresh_from_db()
    assert superuser.check_password(TEST_PASSWORD)
    attempt = Client().post(reverse("login"), {"username": "root", "password": STOLEN})
    assert attempt.status_code == 200  # the form again, not signed in
    assert "_auth_user_id" not in attempt.wsgi_request.session


def test_a_curator_cannot_set_a_plain_accounts_password_either(curator_client, focal):
    # Whoever sets a password can act as the account, and the history would
    # name its owner: passwords are set by their owner (or a superuser) only.
    url = reverse("admin:auth_user_password_change", args=[focal.pk])
    response = curator_client.post(
        url, {"password1": STOLEN, "password2": STOLEN, "usable_password": "true"}
    )
    assert response.status_code == 403
    focal.refresh_from_db()
    assert focal.check_password(TEST_PASSWORD)


def test_a_curator_cannot_reassign_their_token_to_a_focal_point(
    curator_client, curator, focal
):
    token, key = tokens.create_token(
        user=curator, name="mine", scope=TokenScope.READ_WRITE
    )
    url = reverse("admin:matchmaking_apitoken_change", args=[token.pk])
    page = curator_client.get(url)
    assert page.status_code == 200
    assert (
        page.context["adminform"]
        .form.fields.keys()
        .isdisjoint({"user", "key_hash", "revoked_at", "scope", "expires_at"})
    )
    response = curator_client.post(
        url,
        {"name": "mine", "user": focal.pk, "scope": TokenScope.READ_WRITE},
    )
    assert response.status_code == 403
    token.refresh_from_db()
    assert token.user_id == curator.pk
    # The key still acts as the curator, never as the focal point.
    need = NeedFactory(member_state=focal.memberships.get().member_state)
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    edited = api.patch(
        f"/api/v1/needs/{need.ref}/",
        {"summary": "Edited"},
        content_type="application/json",
    )
    assert edited.status_code == 200
    assert need.history.latest().history_user_id == curator.pk


def test_a_curator_cannot_un_revoke_a_token(curator_client, focal):
    token, key = tokens.create_token(user=focal, name="old", scope=TokenScope.READ)
    tokens.revoke_token(user=focal, token=token)
    revoked_at = ApiToken.objects.get(pk=token.pk).revoked_at
    url = reverse("admin:matchmaking_apitoken_change", args=[token.pk])
    page = curator_client.get(url)
    response = curator_client.post(
        url, admin_form_data(page, revoked_at_0="", revoked_at_1="")
    )
    assert response.status_code == 403
    assert ApiToken.objects.get(pk=token.pk).revoked_at == revoked_at
    answer = Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/needs/")
    assert answer.status_code == 401


def test_not_even_a_superuser_can_un_revoke_or_reassign_a_token(superuser, focal):
    token, _key = tokens.create_token(user=focal, name="old", scope=TokenScope.READ)
    tokens.revoke_token(user=focal, token=token)
    client = Client()
    client.force_login(superuser)
    url = reverse("admin:matchmaking_apitoken_change", args=[token.pk])
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(
        url, admin_form_data(page, revoked_at_0="", revoked_at_1="", user=superuser.pk)
    )
    assert response.status_code == 403
    token.refresh_from_db()
    assert (token.user_id, token.revoked_at is not None) == (focal.pk, True)
    # Nor anywhere else: the model refuses it.
    token.revoked_at = None
    with pytest.raises(ValidationError):
        token.save()
    token = ApiToken.objects.get(pk=token.pk)
    token.user = superuser
    with pytest.raises(ValidationError):
        token.save()
    assert ApiToken.objects.get(pk=token.pk).user_id == focal.pk


# --- accounts at or above the curator's level ------------------------------------


@pytest.mark.parametrize("level", ["superuser", "curator"])
def test_a_curator_cannot_change_an_account_at_or_above_their_level(
    curator_client, curator, superuser, level
):
    target = (
        superuser
        if level == "superuser"
        else UserFactory(username="other-curator", is_curator=True, is_staff=True)
    )
    url = reverse("admin:matchmaking_user_change", args=[target.pk])
    page = curator_client.get(url)
    assert page.status_code == 200  # view only
    assert page.context["has_change_permission"] is False
    response = curator_client.post(
        url,
        admin_form_data(
            page, email="curator@example.org", is_active="", first_name="Pwned"
        ),
    )
    assert response.status_code == 403
    target.refresh_from_db()
    assert (target.email, target.is_active, target.first_name) == (
        f"{target.username}@example.org",
        True,
        "",
    )


def test_a_curator_cannot_change_their_own_rights_in_the_admin(curator_client, curator):
    url = reverse("admin:matchmaking_user_change", args=[curator.pk])
    page = curator_client.get(url)
    response = curator_client.post(url, admin_form_data(page, is_superuser="on"))
    assert response.status_code == 403
    curator.refresh_from_db()
    assert curator.is_superuser is False


def test_a_curator_cannot_raise_or_take_over_a_plain_account(curator_client, focal):
    url = reverse("admin:matchmaking_user_change", args=[focal.pk])
    page = curator_client.get(url)
    form = page.context["adminform"].form
    # Only these are editable: the rest is role, permission or credential data
    # (the e-mail address receives the password-reset link).
    assert sorted(form.fields) == ["first_name", "is_active", "language", "last_name"]
    response = curator_client.post(
        url,
        admin_form_data(
            page,
            is_curator="on",
            is_staff="on",
            is_superuser="on",
            email="attacker@example.org",
            username="renamed",
        ),
    )
    assert response.status_code == 302
    focal.refresh_from_db()
    assert (
        focal.username,
        focal.email,
        focal.is_curator,
        focal.is_staff,
        focal.is_superuser,
    ) == ("focal", "focal@example.org", False, False, False)


def test_a_curator_cannot_create_accounts_or_tokens_in_the_admin(curator_client):
    for name in ("user", "apitoken"):
        url = reverse(f"admin:matchmaking_{name}_add")
        assert curator_client.get(url).status_code == 403
    response = curator_client.post(
        reverse("admin:matchmaking_user_add"),
        {"username": "sock", "password1": STOLEN, "password2": STOLEN},
    )
    assert response.status_code == 403
    assert not User.objects.filter(username="sock").exists()


@pytest.mark.parametrize(
    "perm",
    [
        "matchmaking.add_user",
        "matchmaking.delete_user",
        "matchmaking.add_apitoken",
        "matchmaking.change_apitoken",
        "matchmaking.delete_apitoken",
        "matchmaking.add_invitation",
        "auth.change_permission",
        "auth.add_group",
        "auth.change_group",
        "otp_totp.add_totpdevice",
        "otp_totp.change_totpdevice",
        "matchmaking.change_historicalneed",
        "matchmaking.no_such_model",
        "matchmaking",
    ],
)
def test_the_backend_grants_curators_no_account_or_credential_rights(curator, perm):
    assert CuratorBackend().has_perm(curator, perm) is False


@pytest.mark.parametrize(
    "perm",
    [
        "matchmaking.view_user",
        "matchmaking.change_user",
        "matchmaking.view_apitoken",
        "matchmaking.change_need",
        "matchmaking.add_programme",
        "matchmaking.change_provider",
        "matchmaking.add_membership",
        "roundtable.change_pitch",
        "axes.delete_accessattempt",
    ],
)
def test_the_backend_grants_curators_their_work(curator, perm):
    assert CuratorBackend().has_perm(curator, perm) is True


def test_every_project_model_has_a_decision_for_curators():
    from django.apps import apps

    from matchmaking.accounts import policy

    models = {
        m._meta.label_lower
        for app in ("matchmaking", "roundtable")
        for m in apps.get_app_config(app).get_models()
        if not m._meta.model_name.startswith("historical")
    }
    assert models <= set(policy.CURATOR_MODEL_PERMISSIONS)


# --- what curators still do --------------------------------------------------------


def test_a_curator_deactivates_and_renames_a_plain_account(curator_client, focal):
    url = reverse("admin:matchmaking_user_change", args=[focal.pk])
    page = curator_client.get(url)
    response = curator_client.post(
        url, admin_form_data(page, is_active="", first_name="Fatou")
    )
    assert response.status_code == 302
    focal.refresh_from_db()
    assert (focal.is_active, focal.first_name) == (False, "Fatou")


def test_a_curator_edits_a_need_in_the_admin(curator_client):
    need = NeedFactory(title="Before")
    url = reverse("admin:matchmaking_need_change", args=[need.pk])
    page = curator_client.get(url)
    response = curator_client.post(url, admin_form_data(page, title="After"))
    assert response.status_code == 302, page.context["adminform"].form.errors
    need.refresh_from_db()
    assert need.title == "After"


def test_a_curator_revokes_a_token_and_verifies_a_provider(curator_client, focal):
    token, key = tokens.create_token(user=focal, name="t", scope=TokenScope.READ)
    response = curator_client.post(
        reverse("admin:matchmaking_apitoken_changelist"),
        {"action": "revoke_tokens", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/").status_code == 401

    provider = ProviderFactory(is_verified=False)
    response = curator_client.post(
        reverse("admin:matchmaking_provider_changelist"),
        {"action": "mark_verified", "_selected_action": [provider.pk]},
    )
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.is_verified is True


def test_a_curator_cannot_revoke_a_superusers_token(curator_client, superuser):
    # Superusers get tokens once two-factor is on.
    TOTPDevice.objects.create(user=superuser, name="app", confirmed=True)
    token, _key = tokens.create_token(user=superuser, name="t", scope=TokenScope.READ)
    curator_client.post(
        reverse("admin:matchmaking_apitoken_changelist"),
        {"action": "revoke_tokens", "_selected_action": [token.pk]},
    )
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_a_superuser_still_manages_accounts(superuser, focal):
    client = Client()
    client.force_login(superuser)
    url = reverse("admin:matchmaking_user_change", args=[focal.pk])
    page = client.get(url)
    response = client.post(
        url, admin_form_data(page, is_curator="on", email="fatou@example.org")
    )
    assert response.status_code == 302
    focal.refresh_from_db()
    assert (focal.is_curator, focal.email) == (True, "fatou@example.org")
    password = client.post(
        reverse("admin:auth_user_password_change", args=[focal.pk]),
        {"password1": STOLEN, "password2": STOLEN, "usable_password": "true"},
    )
    assert password.status_code == 302
    focal.refresh_from_db()
    assert focal.check_password(STOLEN)


@pytest.mark.parametrize(
    "change",
    [{"revoked_at": None}, {"scope": TokenScope.READ_WRITE}, {"key_hash": "f" * 64}],
    ids=["un-revoke", "re-scope", "re-key"],
)
def test_the_database_refuses_to_un_revoke_or_alter_a_token(focal, change):
    # Even a queryset update or raw SQL, which skip the model's save.
    token, _key = tokens.create_token(user=focal, name="old", scope=TokenScope.READ)
    tokens.revoke_token(user=focal, token=token)
    before = ApiToken.objects.filter(pk=token.pk).values().get()
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.filter(pk=token.pk).update(**change)
    assert ApiToken.objects.filter(pk=token.pk).values().get() == before


def test_the_database_still_lets_a_token_be_revoked_and_used(focal):
    token, _key = tokens.create_token(user=focal, name="t", scope=TokenScope.READ)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    tokens.revoke_token(user=focal, token=token)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
