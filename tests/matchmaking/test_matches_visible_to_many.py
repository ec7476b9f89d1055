"""Property: ``matches_visible_to_many`` (digests ask it once for every
organisation) answers exactly what ``matches_visible_to`` answers person by
person, over random worlds and every kind of person: of a state, of one or two
providers (verified or not), of a state and a provider, a curator, inactive."""

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from matchmaking import selectors
from matchmaking.enums import MembershipRole
from matchmaking.enums import Visibility
from tests.factories import MatchFactory
from tests.factories import MembershipFactory
from tests.factories import MemberStateFactory
from tests.factories import NeedFactory
from tests.factories import ProgrammeFactory
from tests.factories import ProviderFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEED = st.fixed_dictionaries(
    {
        "state": st.integers(0, 1),
        "visibility": st.sampled_from(Visibility.values),
        "draft": st.booleans(),
        "shared": st.sets(st.integers(0, 2), max_size=2),
        "programmes": st.sets(st.integers(0, 2), min_size=1, max_size=3),
    }
)
# A person: (states, providers, curator, active).
PERSON = st.tuples(
    st.sets(st.integers(0, 1), max_size=1),
    st.sets(st.integers(0, 2), max_size=2),
    st.booleans(),
    st.booleans(),
)
WORLD = st.fixed_dictionaries(
    {
        "verified": st.lists(st.booleans(), min_size=3, max_size=3),
        "needs": st.lists(NEED, min_size=1, max_size=4),
        "people": st.lists(PERSON, min_size=1, max_size=6),
    }
)


@pytest.mark.slow(17)
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=WORLD)
def test_matches_visible_to_many_answers_as_the_selector_does(spec):
    with transaction.atomic():
        states = [MemberStateFactory(), MemberStateFactory(country_id="GHA")]
        providers = [
            ProviderFactory(is_verified=v, verified_at=timezone.now() if v else None)
            for v in spec["verified"]
        ]
        programmes = [ProgrammeFactory(provider=p) for p in providers]
        matches = []
        for row in spec["needs"]:
            need = NeedFactory(
                member_state=states[row["state"]],
                visibility=row["visibility"],
                status="draft" if row["draft"] else "open",
            )
            need.shared_with.add(*(providers[i] for i in row["shared"]))
            matches += [
                MatchFactory(need=need, programme=programmes[i])
                for i in row["programmes"]
            ]
        people = []
        for own_states, own_providers, curator, active in spec["people"]:
            user = UserFactory(is_curator=curator, is_active=active)
            for i in own_states:
                MembershipFactory(user=user, member_state=states[i])
            for i in own_providers:
                MembershipFactory(
                    user=user,
                    member_state=None,
                    provider=providers[i],
                    role=MembershipRole.MANAGER,
                )
            people.append(user)
        ids = [m.pk for m in matches] + [10**9]  # and one that does not exist
        signatures = selectors.visibility_signatures(users=people)
        asks = {signatures[user.pk]: (user, ids) for user in people}
        found = selectors.matches_visible_to_many(asks=asks)
        for user in people:
            expected = set(
                selectors.matches_visible_to(user=user)
                .filter(pk__in=ids)
                .values_list("pk", flat=True)
            )
            assert found[signatures[user.pk]] == expected
        transaction.set_rollback(True)
