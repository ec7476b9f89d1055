"""A need's near misses: programmes one rule away, on the page and in the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from matchmaking import suggestions
from matchmaking.enums import ProgrammeStatus
from matchmaking.models import Region
from tests.factories import ProgrammeFactory


@pytest.fixture
def misses(world):
    """Need A (Senegal, French) and three CSIRT programmes it narrowly misses."""
    asia = ProgrammeFactory(ref="asia-only", provider=world.provider_p, title="Asia")
    asia.eligible_regions.set([Region.objects.get(code="142")])
    ProgrammeFactory(
        ref="ended",
        provider=world.provider_p,
        title="Ended",
        ends_on=dt.date(2020, 6, 30),
    )
    ProgrammeFactory(
        ref="draft-asia",
        provider=world.provider_q,
        title="Q's draft",
        status=ProgrammeStatus.DRAFT,
        ends_on=dt.date(2020, 6, 30),
    )
    suggestions.rematch_all()  # the task worker's work: pages read what it stored
    suggestions.refresh_derived()  # queued after it
    return world


def test_the_needs_owner_gets_its_near_misses_with_the_rule(misses, as_role):
    response = as_role("ms_a").get("/api/v1/needs/need-a/near-misses/")
    assert response.status_code == 200
    found = response.json()["results"]
    assert [(m["programme"], m["rule"], m["reason"]["code"]) for m in found] == [
        ("asia-only", "geography", "not_in_area"),
        ("ended", "ended", "ended"),
    ]
    assert [m["reason"]["text"] for m in found] == [
        "Not open to Senegal",
        "Ended on 2020-06-30",
    ]


def test_near_misses_are_for_the_needs_owners_and_curators(misses, as_role):
    assert as_role("ms_b").get("/api/v1/needs/need-a/near-misses/").status_code == 403
    assert as_role("anon").get("/api/v1/needs/need-a/near-misses/").status_code == 401
    secret = as_role("ms_a").get("/api/v1/needs/need-b-secret/near-misses/")
    assert secret.status_code == 404
    curator = as_role("curator").get("/api/v1/needs/need-a/near-misses/")
    assert [m["programme"] for m in curator.json()["results"]] == ["asia-only", "ended"]


def test_the_need_page_shows_its_owner_the_near_misses(misses, client):
    # The page asks for them once it has loaded (htmx), or links to them.
    url = reverse("need-near-misses", args=["need-a"])
    client.force_login(misses.users["ms_a"])
    page = client.get(reverse("need-detail", args=["need-a"])).content.decode()
    assert f'hx-get="{url}"' in page
    panel = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "Narrowly missed" in panel
    assert 'data-ref="asia-only"' in panel
    assert "Not open to Senegal" in panel
    assert "<html" not in panel
    # Without JavaScript: a page of its own.
    assert 'data-ref="asia-only"' in client.get(url).content.decode()
    # Another state sees neither the panel nor the link: it is not there.
    client.force_login(misses.users["ms_b"])
    page = client.get(reverse("need-detail", args=["need-a"])).content.decode()
    assert url not in page
    assert client.get(url, headers={"HX-Request": "true"}).status_code == 404
