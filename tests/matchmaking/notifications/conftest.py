"""A small world for notification tests: a state, a provider, one match."""

from dataclasses import dataclass

import pytest
from django.utils import timezone

from matchmaking.enums import MembershipRole
from matchmaking.models import Match
from matchmaking.models import User
from tests.factories import MatchFactory
from tests.factories import MembershipFactory
from tests.factories import NeedFactory
from tests.factories import ProgrammeFactory
from tests.factories import ProviderFactory
from tests.factories import UserFactory


@dataclass
class World:
    focal: User  # the need's state
    colleague: User  # same state
    manager: User  # the programme's provider
    outsider: User  # another provider
    match: Match


@pytest.fixture
def world(db) -> World:
    focal = UserFactory(username="focal", first_name="Awa", last_name="Diop")
    colleague = UserFactory(username="colleague")
    manager = UserFactory(username="manager", first_name="Hanna", last_name="de Vries")
    outsider = UserFactory(username="outsider")
    need = NeedFactory()
    MembershipFactory(user=focal, member_state=need.member_state)
    MembershipFactory(user=colleague, member_state=need.member_state)
    provider = ProviderFactory(is_verified=True, verified_at=timezone.now())
    MembershipFactory(
        user=manager, member_state=None, provider=provider, role=MembershipRole.MANAGER
    )
    MembershipFactory(
        user=outsider,
        member_state=None,
        provider=ProviderFactory(),
        role=MembershipRole.MANAGER,
    )
    match = MatchFactory(need=need, programme=ProgrammeFactory(provider=provider))
    return World(focal, colleague, manager, outsider, match)
