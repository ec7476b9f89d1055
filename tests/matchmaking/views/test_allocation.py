"""The curators' allocation page: a slate within capacity, with its run time."""

import pytest
from django.urls import reverse

from matchmaking.models import Country
from tests.factories import (
    MemberStateFactory,
    NeedFactory,
    ProgrammeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_needs_one_place():
    ProgrammeFactory(ref="csirt", capacity=1, languages=["fr"])
    for iso3 in ("SEN", "MLI"):
        NeedFactory(
            ref=f"{iso3.lower()}-csirt",
            member_state=MemberStateFactory(country=Country.objects.get(iso3=iso3)),
            languages=["fr"],
        )


def test_a_curator_gets_a_slate_within_capacity_and_its_run_time(
    client, curator, two_needs_one_place
):
    client.force_login(curator)
    response = client.get(reverse("allocation"), {"need_limit": "1", "run": "1"})
    assert response.status_code == 200
    proposal = response.context["proposal"]
    assert (proposal.needs_considered, proposal.needs_served, proposal.status) == (
        2,
        1,
        "optimal",
    )
    assert [row["programme"].ref for row in response.context["rows"]] == ["csirt"]
    body = response.content.decode()
    assert "1 need of 2 served" in body
    assert "solving" in body


def test_the_allocation_page_is_hidden_from_everyone_else(client, two_needs_one_place):
    assert client.get(reverse("allocation")).status_code == 302
    client.force_login(UserFactory(username="someone"))
    assert client.get(reverse("allocation")).status_code == 404


def test_an_invalid_limit_is_reported_beside_the_field(client, curator):
    client.force_login(curator)
    response = client.get(reverse("allocation"), {"need_limit": "9"})
    assert response.context["proposal"] is None
    assert "need_limit" in response.context["form"].errors
