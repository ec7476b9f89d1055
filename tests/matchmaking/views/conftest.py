"""Fixtures of the web pages: two states, two providers, a curator, matches."""

from dataclasses import dataclass

import pytest

from matchmaking.enums import MembershipRole
from matchmaking.enums import UnmetReason
from matchmaking.enums import Visibility
from matchmaking.models import Country
from matchmaking.models import Match
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.models import Provider
from matchmaking.models import User
from tests.factories import MatchFactory
from tests.factories import MembershipFactory
from tests.factories import MemberStateFactory
from tests.factories import NeedFactory
from tests.factories import ProgrammeFactory
from tests.factories import ProviderFactory
from tests.factories import UserFactory

REASONS = [
    {
        "code": "shared_topics",
        "params": {"topics": ["csirt-establishment"]},
        "text": "Both are about establishing a national CSIRT.",
    },
    {
        "code": "language",
        "params": {"languages": ["fr"]},
        "text": "The programme can be delivered in French.",
    },
]
COMPONENTS = {"topics": 0.9, "eligibility": 1.0, "language": 1.0, "text": 0.42}


@dataclass
class World:
    ms_a: User
    ms_b: User
    prov_p: User
    prov_q: User
    curator: User
    outsider: User
    provider_p: Provider
    provider_q: Provider
    need_a: Need
    need_b_secret: Need
    programme_p: Programme
    programme_q: Programme
    match_a: Match


@pytest.fixture
def world(db) -> World:
    """ms_A (Senegal), ms_B (Ghana) with a confidential need, providers P and Q."""
    state_a = MemberStateFactory(country=Country.objects.get(iso3="SEN"))
    state_b = MemberStateFactory(country=Country.objects.get(iso3="GHA"))
    ms_a = UserFactory(username="ms_a", first_name="Awa", last_name="Diop")
    ms_b = UserFactory(username="ms_b")
    MembershipFactory(user=ms_a, member_state=state_a)
    MembershipFactory(user=ms_b, member_state=state_b)
    provider_p = ProviderFactory(ref="prov-p", name="Provider P", is_verified=False)
    provider_q = ProviderFactory(ref="prov-q", name="Provider Q")
    prov_p = UserFactory(username="prov_p")
    prov_q = UserFactory(username="prov_q")
    for user, provider in ((prov_p, provider_p), (prov_q, provider_q)):
        MembershipFactory(
            user=user,
            member_state=None,
            provider=provider,
            role=MembershipRole.MANAGER,
        )
    curator = UserFactory(username="curator", is_curator=True, is_staff=True)
    outsider = UserFactory(username="outsider")
    need_a = NeedFactory(
        ref="need-a",
        member_state=state_a,
        title="Establish a national CSIRT in Senegal",
        summary="Help to set up the national incident response team.",
    )
    need_b_secret = NeedFactory(
        ref="need-b-secret",
        member_state=state_b,
        title="Secret critical infrastructure review",
        visibility=Visibility.CONFIDENTIAL,
        unmet_reason=UnmetReason.NO_ELIGIBLE,
    )
    programme_p = ProgrammeFactory(
        ref="prog-p",
        provider=provider_p,
        title="CSIRT launch programme",
    )
    programme_q = ProgrammeFactory(
        ref="prog-q",
        provider=provider_q,
        title="Cybercrime legislation clinic",
        topics=["cybercrime-legislation"],
    )
    match_a = MatchFactory(
        need=need_a,
        programme=programme_p,
        score=0.87,
        rank=1,
        reasons=REASONS,
        components=COMPONENTS,
    )
    MatchFactory(need=need_b_secret, programme=programme_q, score=0.5, rank=1)
    return World(
        ms_a=ms_a,
        ms_b=ms_b,
        prov_p=prov_p,
        prov_q=prov_q,
        curator=curator,
        outsider=outsider,
        provider_p=provider_p,
        provider_q=provider_q,
        need_a=need_a,
        need_b_secret=need_b_secret,
        programme_p=programme_p,
        programme_q=programme_q,
        match_a=match_a,
    )
