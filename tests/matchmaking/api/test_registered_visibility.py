"""Issue 14, finding 11: registering a provider does not open "registered" needs.

Any account without an organisation may register a provider, unverified; its
members see registered needs as missing until a curator verifies it.
(tests/matchmaking/test_visibility_property.py checks every read channel.)
"""

from __future__ import annotations

import pytest

from tests.factories import UserFactory
from tests.matchmaking.api.conftest import client_for

pytestmark = pytest.mark.django_db

NEW = {
    "name": "Fresh Foundation",
    "stakeholder_group": "civil-society",
    "country": "KEN",
    "website": "https://fresh.example.org",
    "description": "Just registered.",
}
NOT_FOUND = {"error": {"status": 404, "code": "not_found", "message": "Not found."}}


def test_a_self_registered_provider_reads_no_registered_need(world):
    client = client_for(world, "anon")
    client.force_authenticate(UserFactory(username="newcomer"))
    registered = client.post("/api/v1/providers/", NEW, format="json")
    assert registered.status_code == 201
    assert registered.json()["is_verified"] is False

    listed = client.get("/api/v1/needs/?page_size=100").json()
    assert sorted(row["ref"] for row in listed["results"]) == ["need-a"]
    detail = client.get(f"/api/v1/needs/{world.need_b_registered.ref}/")
    assert (detail.status_code, detail.json()) == (404, NOT_FOUND)
    searched = client.get("/api/v1/needs/?q=registered").json()
    assert searched["count"] == 0
    exported = client.get("/api/v1/dataset/export/").json()
    assert [row["ref"] for row in exported["needs"]] == ["need-a"]

    # Once a curator vouches for it, its members read registered needs.
    ref = registered.json()["ref"]
    verified = client_for(world, "curator").post(f"/api/v1/providers/{ref}/verify/")
    assert verified.status_code == 200
    detail = client.get(f"/api/v1/needs/{world.need_b_registered.ref}/")
    assert detail.status_code == 200
