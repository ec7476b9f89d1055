"""Personal API tokens: hashed storage, scope, expiry, revocation."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from matchmaking.accounts import tokens
from matchmaking.models import ApiToken
from matchmaking.models import Need
from matchmaking.models import TokenScope
from tests.matchmaking.api.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(shared_world):
    """The API cast, made once for this module (conftest.shared_world)."""
    return shared_world


def token_client(key: str, keyword: str = "Token") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {key}")
    return client


def test_create_token_stores_only_a_hash_and_a_prefix(world):
    token, key = tokens.create_token(
        user=world.users["ms_b"], name="ministry", scope=TokenScope.READ
    )
    token.refresh_from_db()
    assert key.startswith(f"cbm_{token.prefix}_")
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in {token.name, token.prefix, token.key_hash}


@pytest.mark.parametrize("keyword", ["Token", "Bearer", "token"])
def test_a_token_acts_with_its_owners_rights(world, keyword):
    response = token_client(world.read_key, keyword).get(
        "/api/v1/needs/?ordering=title"
    )
    assert response.status_code == 200
    assert [n["ref"] for n in response.json()["results"]] == [
        "need-a",
        "need-b-registered",
    ]
    assert ApiToken.objects.get(name="read").last_used_at is not None


def test_read_token_may_not_write(world):
    response = token_client(world.read_key).patch(
        "/api/v1/needs/need-a/", {"title": "changed"}, format="json"
    )
    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "status": 403,
            "code": "permission_denied",
            "message": "This token is read-only.",
        }
    }
    assert Need.objects.get(ref="need-a").title == "A public need"


def test_read_write_token_may_write_what_its_owner_may(world):
    response = token_client(world.write_key).patch(
        "/api/v1/needs/need-a/", {"title": "changed"}, format="json"
    )
    assert response.status_code == 200
    assert Need.objects.get(ref="need-a").title == "changed"


@pytest.mark.parametrize("case", ["revoked", "expired", "inactive", "garbage"])
def test_unusable_tokens_are_refused_with_401(world, case):
    key = world.read_key
    token = ApiToken.objects.get(name="read")
    if case == "revoked":
        tokens.revoke_token(user=world.users["ms_a"], token=token)
    elif case == "expired":
        ApiToken.objects.filter(pk=token.pk).update(
            expires_at=timezone.now() - dt.timedelta(seconds=1)
        )
    elif case == "inactive":
        world.users["ms_a"].is_active = False
        world.users["ms_a"].save()
    else:
        key = "cbm_deadbeef_nope"
    response = token_client(key).get("/api/v1/needs/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Token realm="api"'
    assert response.json() == {
        "error": {
            "status": 401,
            "code": "authentication_failed",
            "message": "Invalid, expired or revoked token.",
        }
    }


def test_tokens_endpoint_creates_lists_and_revokes_own_tokens(world):
    client = client_for(world, "ms_b")
    created = client.post(
        "/api/v1/tokens/", {"name": "dashboard", "scope": "read"}, format="json"
    )
    assert created.status_code == 201
    body = created.json()
    key = body.pop("key")
    token = ApiToken.objects.get(pk=body["id"])
    assert body == {
        "id": token.pk,
        "name": "dashboard",
        "prefix": token.prefix,
        "scope": "read",
        "expires_at": None,
        "revoked_at": None,
        "last_used_at": None,
        "created_at": token.created_at.isoformat().replace("+00:00", "Z"),
    }
    assert token_client(key).get("/api/v1/tokens/").json()["count"] == 1
    listed = client.get("/api/v1/tokens/").json()
    assert [t["name"] for t in listed["results"]] == ["dashboard"]
    assert "key" not in listed["results"][0]
    assert client.delete(f"/api/v1/tokens/{token.pk}/").status_code == 204
    assert token_client(key).get("/api/v1/tokens/").status_code == 401


def test_others_tokens_are_404_and_stay_valid(world):
    theirs = ApiToken.objects.get(name="read")
    for role in ("ms_b", "prov_p", "curator"):
        client = client_for(world, role)
        assert client.get(f"/api/v1/tokens/{theirs.pk}/").status_code == 404
        assert client.delete(f"/api/v1/tokens/{theirs.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_a_read_write_token_cannot_mint_tokens(world):
    response = token_client(world.write_key).post(
        "/api/v1/tokens/", {"name": "child", "scope": "read_write"}, format="json"
    )
    assert response.status_code == 403
    assert ApiToken.objects.count() == 2


def test_a_manage_token_mints_tokens_that_do_not_outlive_it(world):
    expiry = timezone.now() + dt.timedelta(days=7)
    maker, key = tokens.create_token(
        user=world.users["ms_a"], name="ci", scope="manage", expires_at=expiry
    )
    client = token_client(key)
    response = client.post("/api/v1/tokens/", {"name": "child", "scope": "read"})
    assert response.status_code == 201, response.json()
    child = ApiToken.objects.get(pk=response.json()["id"])
    assert (child.user, child.scope, child.expires_at) == (maker.user, "read", expiry)
    assert client.delete(f"/api/v1/tokens/{child.pk}/").status_code == 204
    child.refresh_from_db()
    assert child.revoked_at is not None


def test_token_expiry_must_be_in_the_future(world):
    response = client_for(world, "ms_b").post(
        "/api/v1/tokens/",
        {"name": "old", "scope": "read", "expires_at": "2000-01-01T00:00:00Z"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["expires_at"]


def test_the_one_query_lookup_gives_what_the_orm_gives(world):
    # tokens._token_with_user builds its SQL once; the token and user it
    # returns must equal the ORM's, field by field, converted types included.
    user = world.users["ms_a"]
    user.last_login = timezone.now()
    user.save()
    expires = timezone.now() + dt.timedelta(days=3)
    token, key = tokens.create_token(
        user=user, name="compared", scope=TokenScope.READ_WRITE, expires_at=expires
    )
    found = tokens._token_with_user(tokens.hash_key(key))
    expected = ApiToken.objects.select_related("user").get(pk=token.pk)
    for field in ApiToken._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname)
        assert type(getattr(found, field.attname)) is type(
            getattr(expected, field.attname)
        ), field.name
    for field in type(user)._meta.concrete_fields:
        assert getattr(found.user, field.attname) == getattr(
            expected.user, field.attname
        ), field.name
        assert type(getattr(found.user, field.attname)) is type(
            getattr(expected.user, field.attname)
        ), field.name
    assert found.user.pk == user.pk
    assert not found._state.adding
    assert tokens._token_with_user(tokens.hash_key(key + "x")) is None
