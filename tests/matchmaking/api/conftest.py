"""The cast of the API tests: two states, two providers, a curator, tokens.

Seed data has, for every role, something that could leak: a confidential need
of state B (shared with nobody), one shared with provider P, a registered-only
need (provider P is verified, Q is not: Q's users may not read it), a draft,
a draft programme of Q, and matches on all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import models
from django.utils import timezone
from rest_framework.test import APIClient

from matchmaking.accounts import tokens
from matchmaking.enums import NeedStatus
from matchmaking.enums import ProgrammeStatus
from matchmaking.enums import Visibility
from matchmaking.models import Country
from matchmaking.models import TokenScope
from tests.factories import MatchFactory
from tests.factories import MembershipFactory
from tests.factories import MemberStateFactory
from tests.factories import NeedFactory
from tests.factories import ProgrammeFactory
from tests.factories import ProviderFactory
from tests.factories import UserFactory
from tests.shared_data import made_once_for_the_module


@dataclass
class World:
    state_a: object
    state_b: object
    provider_p: object
    provider_q: object
    users: dict
    need_a: object
    need_b_secret: object
    need_b_shared: object
    need_b_registered: object
    need_b_draft: object
    prog_p: object
    prog_q: object
    prog_q_draft: object
    match_a_p: object
    match_secret_q: object
    match_shared_p: object
    read_key: str
    write_key: str


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture(scope="module")
def _module_world(django_db_setup, django_db_blocker):
    with made_once_for_the_module(django_db_blocker):
        yield build_world()


@pytest.fixture
def shared_world(_module_world, db) -> World:
    """The cast made once for the module (tests/shared_data.py), for a module
    whose tests do not need their own: a module opts in by defining ``world``
    as this. Each test runs in a savepoint rolled back after it, and gets the
    records read again, so nothing a test changed carries over, in the
    database or in memory. Not for transactional tests."""
    for value in vars(_module_world).values():
        if isinstance(value, models.Model):
            value.refresh_from_db()
    for user in _module_world.users.values():
        user.refresh_from_db()
    return _module_world


def build_world() -> World:
    """The cast, written to the database (in the caller's transaction)."""
    state_a = MemberStateFactory(country=Country.objects.get(iso3="SEN"))
    state_b = MemberStateFactory(country=Country.objects.get(iso3="KEN"))
    # P is verified, Q is not (so Q's users see "registered" needs as missing).
    provider_p = ProviderFactory(
        ref="prov-p", name="Provider P", is_verified=True, verified_at=timezone.now()
    )
    provider_q = ProviderFactory(ref="prov-q", name="Provider Q")
    users = {
        "ms_a": UserFactory(username="ms_a"),
        "ms_b": UserFactory(username="ms_b"),
        "prov_p": UserFactory(username="prov_p"),
        "prov_q": UserFactory(username="prov_q"),
        "curator": UserFactory(username="curator", is_curator=True),
    }
    MembershipFactory(user=users["ms_a"], member_state=state_a)
    MembershipFactory(user=users["ms_b"], member_state=state_b)
    MembershipFactory(user=users["prov_p"], member_state=None, provider=provider_p)
    MembershipFactory(user=users["prov_q"], member_state=None, provider=provider_q)
    need_a = NeedFactory(ref="need-a", member_state=state_a, title="A public need")
    need_b_secret = NeedFactory(
        ref="need-b-secret",
        member_state=state_b,
        title="B secret forensics",
        visibility=Visibility.CONFIDENTIAL,
    )
    need_b_shared = NeedFactory(
        ref="need-b-shared",
        member_state=state_b,
        title="B shared with P",
        visibility=Visibility.CONFIDENTIAL,
    )
    need_b_shared.shared_with.set([provider_p])
    need_b_registered = NeedFactory(
        ref="need-b-registered",
        member_state=state_b,
        title="B for registered users",
        visibility=Visibility.REGISTERED,
    )
    need_b_draft = NeedFactory(
        ref="need-b-draft", member_state=state_b, status=NeedStatus.DRAFT
    )
    prog_p = ProgrammeFactory(ref="prog-p", provider=provider_p, title="P programme")
    prog_q = ProgrammeFactory(ref="prog-q", provider=provider_q, title="Q programme")
    prog_q_draft = ProgrammeFactory(
        ref="prog-q-draft",
        provider=provider_q,
        title="Q draft",
        status=ProgrammeStatus.DRAFT,
    )
    match_a_p = MatchFactory(
        need=need_a,
        programme=prog_p,
        score=0.9,
        rank=1,
        components={"topics": 0.8},
        reasons=["Same topic: CSIRT establishment"],
    )
    MatchFactory(need=need_a, programme=prog_q, score=0.5, rank=2)
    match_secret_q = MatchFactory(need=need_b_secret, programme=prog_q)
    MatchFactory(need=need_b_secret, programme=prog_p, score=0.4, rank=2)
    match_shared_p = MatchFactory(need=need_b_shared, programme=prog_p)
    _token, read_key = tokens.create_token(
        user=users["ms_a"], name="read", scope=TokenScope.READ
    )
    _token, write_key = tokens.create_token(
        user=users["ms_a"], name="write", scope=TokenScope.READ_WRITE
    )
    return World(
        state_a=state_a,
        state_b=state_b,
        provider_p=provider_p,
        provider_q=provider_q,
        users=users,
        need_a=need_a,
        need_b_secret=need_b_secret,
        need_b_shared=need_b_shared,
        need_b_registered=need_b_registered,
        need_b_draft=need_b_draft,
        prog_p=prog_p,
        prog_q=prog_q,
        prog_q_draft=prog_q_draft,
        match_a_p=match_a_p,
        match_secret_q=match_secret_q,
        match_shared_p=match_shared_p,
        read_key=read_key,
        write_key=write_key,
    )


ROLES = ("anon", "ms_a", "ms_b", "prov_p", "prov_q", "curator", "read_token")


def client_for(world: World, role: str) -> APIClient:
    """An API client acting as the role (a read-only token of ms_a for read_token)."""
    client = APIClient()
    if role == "read_token":
        client.credentials(HTTP_AUTHORIZATION=f"Token {world.read_key}")
    elif role != "anon":
        client.force_authenticate(world.users[role])
    return client


@pytest.fixture
def as_role(world):
    return lambda role: client_for(world, role)
