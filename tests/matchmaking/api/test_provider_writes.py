"""Providers over the API: registration, editing one's own, curator verification."""

from __future__ import annotations

import datetime as dt

import pytest

from matchmaking.enums import MembershipRole
from matchmaking.models import Membership
from matchmaking.models import Programme
from matchmaking.models import Provider
from tests.factories import UserFactory
from tests.matchmaking.api.conftest import client_for

pytestmark = pytest.mark.django_db

NEW = {
    "name": "Cyber Capacity Foundation",
    "stakeholder_group": "civil-society",
    "country": "KEN",
    "website": "https://ccf.example.org",
    "description": "Trains CSIRT staff.",
}


@pytest.fixture
def world(shared_world):
    """The API cast, made once for this module (conftest.shared_world)."""
    return shared_world


def provider_row(ref: str) -> tuple:
    p = Provider.objects.get(ref=ref)
    return (p.name, p.stakeholder_group_id, p.country_id, p.is_verified, p.website)


def test_a_user_without_organisation_registers_an_unverified_provider(world):
    newcomer = UserFactory(username="newcomer")
    client = client_for(world, "anon")
    client.force_authenticate(newcomer)
    response = client.post(
        "/api/v1/providers/", {**NEW, "is_verified": True}, format="json"
    )
    assert response.status_code == 201, response.json()
    provider = Provider.objects.get(name="Cyber Capacity Foundation")
    assert response.json() == {
        "ref": provider.ref,
        "name": "Cyber Capacity Foundation",
        "stakeholder_group": "civil-society",
        "country": "KEN",
        "website": "https://ccf.example.org",
        "description": "Trains CSIRT staff.",
        "is_verified": False,
    }
    membership = Membership.objects.get(user=newcomer)
    assert (membership.provider, membership.role) == (provider, MembershipRole.MANAGER)
    again = client.post("/api/v1/providers/", {**NEW, "name": "Second"}, format="json")
    assert again.status_code == 403
    assert not Provider.objects.filter(name="Second").exists()


@pytest.mark.parametrize(("role", "code"), [("anon", 401), ("ms_a", 403)])
def test_anonymous_and_members_cannot_register_providers(world, role, code):
    count = Provider.objects.count()
    response = client_for(world, role).post("/api/v1/providers/", NEW, format="json")
    assert response.status_code == code
    assert Provider.objects.count() == count


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**NEW, "stakeholder_group": "nope"}, "stakeholder_group"),
        ({**NEW, "country": "XXX"}, "country"),
        ({**NEW, "name": ""}, "name"),
        ({**NEW, "website": "javascript:alert(1)"}, "website"),
    ],
)
def test_provider_registration_names_the_bad_field(world, payload, field):
    newcomer = UserFactory()
    client = client_for(world, "anon")
    client.force_authenticate(newcomer)
    response = client.post("/api/v1/providers/", payload, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]
    assert not Membership.objects.filter(user=newcomer).exists()


def test_members_edit_their_own_provider_but_not_its_verification(world):
    # Provider Q is not verified: its member cannot verify it by editing it.
    client = client_for(world, "prov_q")
    response = client.patch(
        "/api/v1/providers/prov-q/",
        {"name": "Provider Q (renamed)", "is_verified": True, "ref": "hijack"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Provider Q (renamed)"
    assert response.json()["is_verified"] is False
    assert provider_row("prov-q")[0] == "Provider Q (renamed)"
    assert not Provider.objects.filter(ref="hijack").exists()


@pytest.mark.parametrize("role", ["prov_q", "ms_a", "read_token"])
def test_others_cannot_edit_a_provider(world, role):
    before = provider_row("prov-p")
    response = client_for(world, role).patch(
        "/api/v1/providers/prov-p/", {"name": "Taken over"}, format="json"
    )
    assert response.status_code == 403
    assert provider_row("prov-p") == before


def test_curators_verify_and_unverify(world):
    curator = client_for(world, "curator")
    verified = curator.post("/api/v1/providers/prov-q/verify/")
    assert verified.status_code == 200
    assert verified.json()["is_verified"] is True
    provider = Provider.objects.get(ref="prov-q")
    assert provider.verified_by == world.users["curator"]
    assert provider.verified_at is not None
    unverified = curator.post("/api/v1/providers/prov-q/unverify/")
    assert unverified.json()["is_verified"] is False
    provider.refresh_from_db()
    assert (provider.is_verified, provider.verified_at) == (False, None)


@pytest.mark.parametrize(
    ("role", "code"),
    [("anon", 401), ("prov_q", 403), ("ms_a", 403), ("read_token", 403)],
)
def test_only_curators_verify(world, role, code):
    response = client_for(world, role).post("/api/v1/providers/prov-q/verify/")
    assert response.status_code == code
    assert provider_row("prov-q")[3] is False


def test_verifying_a_missing_provider_is_404(world):
    response = client_for(world, "curator").post("/api/v1/providers/nope/verify/")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "payload",
    [
        {"starts_on": "2026-06-01", "ends_on": "2026-05-31"},
        {"ends_on": "2026-05-31"},  # against the stored start
    ],
)
def test_a_programme_cannot_end_before_it_starts(world, payload):
    Programme.objects.filter(pk=world.prog_p.pk).update(
        starts_on=dt.date(2026, 6, 1), ends_on=None
    )
    response = client_for(world, "prov_p").patch(
        "/api/v1/programmes/prog-p/", payload, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "ends_on": ["A programme cannot end before it starts."]
    }
    world.prog_p.refresh_from_db()
    assert (world.prog_p.starts_on, world.prog_p.ends_on) == (dt.date(2026, 6, 1), None)


# --- identity and verification (issue 14, finding 7) --------------------------------


def verify(world, ref: str) -> None:
    assert (
        client_for(world, "curator")
        .post(f"/api/v1/providers/{ref}/verify/")
        .json()["is_verified"]
    )


@pytest.mark.parametrize(
    ("payload", "still_verified"),
    [
        ({"name": "United Nations Office for Disarmament Affairs"}, False),
        ({"country": "FRA"}, False),
        ({"stakeholder_group": "civil-society"}, False),
        ({"website": "https://unoda.example.org"}, False),
        ({"description": "Now also trains diplomats."}, True),
    ],
)
def test_an_identity_change_sends_a_verified_provider_back_to_verification(
    world, payload, still_verified
):
    verify(world, "prov-p")

    response = client_for(world, "prov_p").patch(
        "/api/v1/providers/prov-p/", payload, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["is_verified"] is still_verified
    provider = Provider.objects.get(ref="prov-p")
    assert provider.is_verified is still_verified
    assert (provider.verified_at is None, provider.verified_by is None) == (
        not still_verified,
        not still_verified,
    )
    queue = Provider.objects.filter(is_verified=False).values_list("ref", flat=True)
    assert ("prov-p" in queue) is not still_verified
    if not still_verified:
        assert provider.history.first().history_change_reason == (
            "identity changed: verification withdrawn"
        )


@pytest.mark.parametrize(
    "name",
    [
        "Provider P",
        "PROVIDER  p",
        "Prövider P",
        "Pr\u043evider \u0420",  # Cyrillic o and Er
        "\uff30rovider P",  # full-width P
    ],
)
def test_a_provider_name_is_unique_whatever_its_case_accents_or_look_alikes(
    world, name
):
    newcomer = UserFactory(username="newcomer")
    client = client_for(world, "anon")
    client.force_authenticate(newcomer)
    count = Provider.objects.count()

    registered = client.post("/api/v1/providers/", {**NEW, "name": name}, format="json")
    renamed = client_for(world, "prov_q").patch(
        "/api/v1/providers/prov-q/", {"name": name}, format="json"
    )

    for response in (registered, renamed):
        assert response.status_code == 400
        assert response.json()["error"]["fields"] == {
            "name": ["Provider with this Name already exists."]
        }
    assert Provider.objects.count() == count
    assert Provider.objects.get(ref="prov-q").name == "Provider Q"


def test_the_database_refuses_a_second_provider_of_the_same_folded_name(world):
    from django.db import IntegrityError
    from django.db import transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Provider.objects.create(
            name="provider q", stakeholder_group_id="intergovernmental"
        )


def test_a_name_taken_by_a_concurrent_write_is_the_same_400(world, monkeypatch):
    # The check in clean() passed, then another request took the name before
    # the insert: the database's constraint decides, with the same answer.
    monkeypatch.setattr(Provider, "clean", lambda self: None)
    newcomer = UserFactory(username="newcomer")
    client = client_for(world, "anon")
    client.force_authenticate(newcomer)
    count = Provider.objects.count()

    response = client.post(
        "/api/v1/providers/", {**NEW, "name": "provider q"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "name": ["Provider with this Name already exists."]
    }
    assert Provider.objects.count() == count
    assert not Membership.objects.filter(user=newcomer).exists()
