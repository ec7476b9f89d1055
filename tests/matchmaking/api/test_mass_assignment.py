"""T8: mass assignment. Fields outside a role's write allow-list never take effect.

Hypothesis draws payloads mixing a legitimate edit with forbidden fields
(owner, state, provider, status, verification, scores, ids, timestamps,
staff flags ...) holding hostile values. Every answer must be a success that
ignored them or a 400; the protected columns stay as they were, and nobody
gains a privilege. Each example runs in a savepoint rolled back afterwards.
API_MASS_ASSIGNMENT_EXAMPLES sets the examples per test (default 25).
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from matchmaking.models import ApiToken
from matchmaking.models import Match
from matchmaking.models import Membership
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.models import Provider
from matchmaking.models import User as UserModel
from roundtable.enums import PitchState
from roundtable.models import CallForPitches
from roundtable.models import Pitch
from tests.factories import EventFactory
from tests.factories import UserFactory
from tests.matchmaking.api.conftest import client_for

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("API_MASS_ASSIGNMENT_EXAMPLES", "25"))
mass = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Values an attacker would try: other tenants' keys, privileged states, junk.
HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**31), max_value=2**31),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(
        [
            "KEN",
            "SEN",
            "prov-q",
            "prov-p",
            "need-b-secret",
            "fulfilled",
            "published",
            "accepted",
            "scheduled",
            "read_write",
            "2020-01-01T00:00:00Z",
        ]
    ),
    st.lists(st.sampled_from(["prov-q", "prog-q", "need-b-secret"]), max_size=2),
)

COMMON_FORBIDDEN = [
    "id",
    "pk",
    "owner",
    "user",
    "created_at",
    "updated_at",
    "is_staff",
    "is_superuser",
    "is_curator",
    "score",
]


@pytest.fixture
def world(shared_world):
    """The API cast, made once for this module (conftest.shared_world)."""
    return shared_world


def forbidden(*names: str):
    """A non-empty dict of forbidden fields (from the list given) to hostile values."""
    keys = sorted({*COMMON_FORBIDDEN, *names})
    return st.dictionaries(st.sampled_from(keys), HOSTILE, min_size=1)


def privileges() -> tuple:
    return (
        tuple(
            UserModel.objects.order_by("pk").values_list(
                "pk", "is_staff", "is_superuser", "is_curator"
            )
        ),
        tuple(
            Membership.objects.order_by("pk").values_list(
                "user_id", "member_state_id", "provider_id", "role"
            )
        ),
    )


def attempt(client, method: str, url: str, payload: dict):
    """Send the payload with a fresh throttle budget."""
    cache.clear()
    return getattr(client, method)(url, payload, format="json")


def assert_ignored_or_refused(response) -> None:
    assert response.status_code in (200, 201, 400), (
        response.status_code,
        response.content[:300],
    )


def run(check) -> None:
    savepoint = transaction.savepoint_create()
    try:
        check()
    finally:
        transaction.savepoint_rollback(savepoint)


def need_row(need: Need) -> tuple:
    return tuple(
        Need.objects.filter(pk=need.pk).values_list(
            "ref",
            "member_state_id",
            "status",
            "matched_at",
            "unmet_reason",
            "created_at",
        )[0]
    )


@mass
@given(extra=forbidden("ref", "member_state", "country", "status", "state"))
def test_need_patch_ignores_or_refuses_forbidden_fields(world, extra):
    before, privs = need_row(world.need_a), privileges()

    def check():
        response = attempt(
            client_for(world, "ms_a"),
            "patch",
            "/api/v1/needs/need-a/",
            {"title": "Edited title", **extra},
        )
        assert_ignored_or_refused(response)
        assert need_row(world.need_a) == before
        assert privileges() == privs

    run(check)


def programme_row(programme: Programme) -> tuple:
    return tuple(
        Programme.objects.filter(pk=programme.pk).values_list(
            "ref", "provider_id", "status", "created_at"
        )[0]
    )


@mass
@given(extra=forbidden("ref", "provider", "status", "verified", "is_verified"))
def test_programme_patch_ignores_or_refuses_forbidden_fields(world, extra):
    before, privs = programme_row(world.prog_p), privileges()

    def check():
        response = attempt(
            client_for(world, "prov_p"),
            "patch",
            "/api/v1/programmes/prog-p/",
            {"summary": "Edited", **extra},
        )
        assert_ignored_or_refused(response)
        assert programme_row(world.prog_p) == before
        assert privileges() == privs

    run(check)


def provider_row(ref: str) -> tuple:
    return tuple(
        Provider.objects.filter(ref=ref).values_list(
            "pk", "ref", "is_verified", "verified_at", "verified_by", "created_at"
        )[0]
    )


@mass
@given(
    extra=forbidden(
        "ref", "is_verified", "verified", "verified_at", "verified_by", "memberships"
    )
)
def test_provider_patch_ignores_or_refuses_forbidden_fields(world, extra):
    before, privs = provider_row("prov-p"), privileges()

    def check():
        response = attempt(
            client_for(world, "prov_p"),
            "patch",
            "/api/v1/providers/prov-p/",
            {"description": "Edited", **extra},
        )
        assert_ignored_or_refused(response)
        assert provider_row("prov-p") == before
        assert privileges() == privs

    run(check)


@mass
@given(extra=forbidden("ref", "is_verified", "verified", "verified_by", "role"))
def test_provider_registration_starts_unverified_whatever_is_sent(world, extra):
    newcomer = UserFactory(username="newcomer")
    client = client_for(world, "anon")
    client.force_authenticate(newcomer)
    privs = privileges()
    existing = set(Provider.objects.values_list("pk", flat=True))

    def check():
        response = attempt(
            client,
            "post",
            "/api/v1/providers/",
            {"name": "Newcomer org", "stakeholder_group": "civil-society", **extra},
        )
        assert_ignored_or_refused(response)
        created = Provider.objects.exclude(pk__in=existing)
        if response.status_code == 201:
            provider = created.get()
            assert (provider.is_verified, provider.verified_by) == (False, None)
            assert provider.ref != extra.get("ref")
            assert response.json()["ref"] == provider.ref
            assert list(
                Membership.objects.filter(user=newcomer).values_list(
                    "provider_id", "role"
                )
            ) == [(provider.pk, "manager")]
        else:
            assert not created.exists()
            assert privileges() == privs
        assert UserModel.objects.filter(
            pk=newcomer.pk, is_staff=False, is_curator=False, is_superuser=False
        ).exists()

    run(check)


@pytest.fixture
def draft_pitch(world):
    now = timezone.now()
    event = EventFactory(slug="mass-event")
    CallForPitches.objects.create(
        event=event,
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=10),
    )
    pitch = Pitch.objects.create(
        event=event,
        provider=world.provider_p,
        presenter_name="P",
        title="Draft",
        abstract="A",
        state=PitchState.DRAFT,
    )
    pitch.programmes.set([world.prog_p])
    return pitch


def pitch_row(pitch: Pitch) -> tuple:
    return tuple(
        Pitch.objects.filter(pk=pitch.pk).values_list(
            "event_id",
            "provider_id",
            "state",
            "session_id",
            "slide_count",
            "submitted_at",
            "decided_by",
            "created_at",
        )[0]
    )


@mass
@given(
    extra=forbidden(
        "event",
        "provider",
        "state",
        "status",
        "session",
        "slide_count",
        "submitted_at",
        "decided_by",
        "confirmed_at",
    )
)
def test_pitch_patch_ignores_or_refuses_forbidden_fields(world, draft_pitch, extra):
    before, privs = pitch_row(draft_pitch), privileges()

    def check():
        response = attempt(
            client_for(world, "prov_p"),
            "patch",
            f"/api/v1/pitches/{draft_pitch.pk}/",
            {"abstract": "Edited", **extra},
        )
        assert_ignored_or_refused(response)
        assert pitch_row(draft_pitch) == before
        assert privileges() == privs

    run(check)


def match_row(match: Match) -> tuple:
    return tuple(
        Match.objects.filter(pk=match.pk).values_list(
            "need_id", "programme_id", "score", "rank", "created_at"
        )[0]
    )


@mass
@given(extra=forbidden("status", "need", "programme", "rank", "components"))
def test_match_action_ignores_forbidden_fields(world, extra):
    match = world.match_a_p
    before, privs = match_row(match), privileges()
    status = Match.objects.get(pk=match.pk).status

    def check():
        response = attempt(
            client_for(world, "ms_a"),
            "post",
            f"/api/v1/matches/{match.pk}/express-interest/",
            {"note": "Interested", **extra},
        )
        assert_ignored_or_refused(response)
        assert match_row(match) == before
        # The action's own move, and no other.
        assert Match.objects.get(pk=match.pk).status in (status, "interest")
        assert privileges() == privs

    run(check)


@mass
@given(
    extra=forbidden(
        "user_id", "key", "key_hash", "prefix", "revoked_at", "last_used_at"
    )
)
def test_token_creation_ignores_forbidden_fields(world, extra):
    privs = privileges()
    existing = set(ApiToken.objects.values_list("pk", flat=True))

    def check():
        response = attempt(
            client_for(world, "ms_a"),
            "post",
            "/api/v1/tokens/",
            {"name": "ci", "scope": "read", **extra},
        )
        assert_ignored_or_refused(response)
        created = list(ApiToken.objects.exclude(pk__in=existing))
        if response.status_code == 201:
            assert [(t.user_id, t.revoked_at, t.last_used_at) for t in created] == [
                (world.users["ms_a"].pk, None, None)
            ]
            assert response.json()["key"] != extra.get("key")
        else:
            assert created == []
        assert privileges() == privs

    run(check)
