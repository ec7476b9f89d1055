"""The home page says what the platform is and shows live figures."""

import re

import pytest
from django.urls import reverse

from matchmaking.enums import NeedStatus
from matchmaking.enums import ProgrammeStatus
from matchmaking.enums import Visibility
from tests.factories import NeedFactory
from tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db


def test_home_counts_only_what_an_anonymous_visitor_may_see(client):
    NeedFactory()
    NeedFactory(visibility=Visibility.CONFIDENTIAL)
    NeedFactory(status=NeedStatus.DRAFT)
    ProgrammeFactory()
    ProgrammeFactory(status=ProgrammeStatus.DRAFT)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    figures = response.context["figures"]
    assert (
        figures.open_needs,
        figures.published_programmes,
        figures.providers,
        figures.member_states,
    ) == (1, 1, 2, 1)
    assert "Matching states" in response.content.decode()


def test_home_does_not_count_a_state_whose_needs_are_all_hidden(client):
    from matchmaking.models import Country
    from tests.factories import MemberStateFactory

    NeedFactory()
    NeedFactory(
        member_state=MemberStateFactory(country=Country.objects.get(iso3="MLI")),
        visibility=Visibility.CONFIDENTIAL,
    )
    figures = client.get(reverse("home")).context["figures"]
    assert (figures.open_needs, figures.member_states) == (1, 1)


def test_home_leads_a_newcomer_to_ask_to_join_and_a_donor_to_who_funds_what(client):
    links = re.findall(r'href="([^"]+)"', client.get(reverse("home")).content.decode())
    assert {reverse("join"), reverse("login"), reverse("coordination")} <= set(links)
