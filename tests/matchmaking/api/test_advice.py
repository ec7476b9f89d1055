"""The gap advisor: a provider sees what would unlock unmet needs, acts, is matched."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from matchmaking import suggestions
from matchmaking.enums import Visibility
from matchmaking.models import Country
from matchmaking.models import Match
from tests.factories import MembershipFactory
from tests.factories import MemberStateFactory
from tests.factories import NeedFactory
from tests.factories import ProgrammeFactory
from tests.factories import ProviderFactory
from tests.factories import UserFactory


@pytest.fixture
def english_only(db):
    """An English-only CSIRT programme; French-speaking Senegal and Mali need one."""
    provider = ProviderFactory(ref="prov")
    owner = UserFactory(username="owner")
    MembershipFactory(user=owner, member_state=None, provider=provider)
    programme = ProgrammeFactory(
        ref="english", provider=provider, title="CSIRT course", languages=["en"]
    )
    for iso3 in ("SEN", "MLI"):
        NeedFactory(
            ref=f"{iso3.lower()}-csirt",
            member_state=MemberStateFactory(country=Country.objects.get(iso3=iso3)),
            title=f"National CSIRT for {iso3}",
        )
    NeedFactory(  # unmet too, but the provider may not see it
        ref="secret",
        member_state=MemberStateFactory(country=Country.objects.get(iso3="NER")),
        visibility=Visibility.CONFIDENTIAL,
    )
    suggestions.rematch_all()
    suggestions.refresh_derived()  # queued after it
    return owner, programme


def test_the_provider_sees_the_advice_acts_on_it_and_the_needs_are_matched(
    english_only, client
):
    owner, programme = english_only
    api = APIClient()
    api.force_authenticate(owner)
    advice = api.get("/api/v1/programmes/english/advice/").json()["results"]
    assert [(a["kind"], a["value"], a["needs"]) for a in advice] == [
        ("language", "fr", ["mli-csirt", "sen-csirt"]),
    ]
    assert advice[0]["text"] == "Offer it in French"
    client.force_login(owner)
    page = client.get(reverse("programme-detail", args=["english"])).content.decode()
    assert "Unmet needs this programme could serve" in page
    assert "Offer it in French" in page
    assert 'href="/needs/secret/"' not in page
    response = api.patch(
        "/api/v1/programmes/english/", {"languages": ["en", "fr"]}, format="json"
    )
    assert response.status_code == 200, response.json()
    suggestions.rematch_all()
    suggestions.refresh_derived()  # queued after it
    matched = Match.objects.filter(programme=programme).values_list(
        "need__ref", flat=True
    )
    assert sorted(matched) == ["mli-csirt", "secret", "sen-csirt"]
    assert api.get("/api/v1/programmes/english/advice/").json()["results"] == []


def test_the_advice_is_for_the_programmes_provider_and_curators(english_only):
    api = APIClient()
    api.force_authenticate(UserFactory(username="someone"))
    assert api.get("/api/v1/programmes/english/advice/").status_code == 403
    api.force_authenticate(UserFactory(username="curator", is_curator=True))
    advice = api.get("/api/v1/programmes/english/advice/").json()["results"]
    assert advice[0]["needs"] == ["mli-csirt", "secret", "sen-csirt"]


def test_the_gap_dashboard_lists_advice_on_public_needs(english_only, client):
    assert (
        "What would close these gaps"
        in client.get(reverse("gap-dashboard")).content.decode()
    )
    page = client.get(reverse("gap-advice")).content.decode()
    assert "What would close these gaps" in page
    assert "CSIRT course" in page
    assert "National CSIRT for SEN" in page


def test_the_advice_narrows_to_a_gap_cell(english_only, client):
    url = reverse("gap-advice")
    africa = client.get(url, {"region": "202"}).content.decode()
    assert "National CSIRT for SEN" in africa
    asia = client.get(url, {"region": "142"}).content.decode()
    assert "National CSIRT for SEN" not in asia
    assert client.get(url, {"region": "nowhere"}).status_code == 400
