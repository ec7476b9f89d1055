"""A staged decision ("Accept (staged)") stays a curator's draft: the provider's
pages and the API show the pitch "in review", let it be edited while the call
is open, and do not let a state filter find it, until the release."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from roundtable import services
from roundtable.enums import PitchState
from tests.roundtable.conftest import close_call
from tests.roundtable.conftest import make_pitch


@pytest.fixture
def staged(cast):
    pitch = make_pitch(cast, state=PitchState.IN_REVIEW)
    services.accept_pitch(user=cast.curator, pitch=pitch)
    return pitch


def test_provider_pages_say_in_review_until_the_release(cast, staged, client):
    client.force_login(cast.presenter)
    mine = client.get(reverse("my-pitches", args=[cast.event.slug])).content.decode()
    detail = client.get(reverse("pitch-detail", args=[staged.pk])).content.decode()
    for page in (mine, detail):
        assert "In review" in page
        assert "Accepted" not in page
    close_call(cast, release=True)
    detail = client.get(reverse("pitch-detail", args=[staged.pk])).content.decode()
    assert "Accepted" in detail


def test_api_shows_in_review_and_lets_the_provider_edit(cast, staged):
    api = APIClient()
    api.force_authenticate(cast.presenter)
    url = f"/api/v1/pitches/{staged.pk}/"
    assert api.get(url).json()["state"] == "in_review"
    found = api.get("/api/v1/pitches/", {"state": "accepted"}).json()["results"]
    assert found == []
    found = api.get("/api/v1/pitches/", {"state": "in_review"}).json()["results"]
    assert [p["id"] for p in found] == [staged.pk]
    edited = api.patch(url, {"title": "A sharper title"}, format="json")
    assert edited.status_code == 200, edited.json()
    assert edited.json()["state"] == "in_review"
    staged.refresh_from_db()
    assert (staged.title, staged.state) == ("A sharper title", PitchState.ACCEPTED)


def test_curators_see_the_staged_decision(cast, staged):
    api = APIClient()
    api.force_authenticate(cast.curator)
    assert api.get(f"/api/v1/pitches/{staged.pk}/").json()["state"] == "accepted"
