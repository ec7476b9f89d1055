"""Property: over small random worlds, every notification, mail and digest line
names only what its recipient may see when it is delivered."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchmaking import notifications, selectors
from matchmaking.enums import MembershipRole, Visibility
from matchmaking.models import EventKind, MailMessage, Need, Notification
from matchmaking.notifications import dispatch
from matchmaking.notifications.digests import build_digests
from tests.factories import (
    MatchFactory,
    MembershipFactory,
    MemberStateFactory,
    NeedFactory,
    ProgrammeFactory,
    ProviderFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NEED = st.fixed_dictionaries(
    {
        "state": st.integers(0, 1),
        "visibility": st.sampled_from(Visibility.values),
        "shared": st.booleans(),
        "hide_later": st.booleans(),
    }
)
WORLD = st.fixed_dictionaries(
    {
        "verified": st.lists(st.booleans(), min_size=2, max_size=2),
        "needs": st.lists(NEED, min_size=1, max_size=3),
        "kinds": st.lists(
            st.sampled_from(
                [
                    EventKind.SUGGESTION_NEW,
                    EventKind.MATCH_INTEREST,
                    EventKind.NEED_UNMET,
                ]
            ),
            min_size=1,
            max_size=4,
        ),
    }
)


def _build(spec):
    states = [MemberStateFactory(), MemberStateFactory(country_id="GHA")]
    providers = [
        ProviderFactory(is_verified=v, verified_at=timezone.now() if v else None)
        for v in spec["verified"]
    ]
    for state in states:
        MembershipFactory(user=UserFactory(), member_state=state)
    for provider in providers:
        MembershipFactory(
            user=UserFactory(),
            member_state=None,
            provider=provider,
            role=MembershipRole.MANAGER,
        )
    UserFactory(is_curator=True)
    programmes = [ProgrammeFactory(provider=p) for p in providers]
    matches = []
    for n, row in enumerate(spec["needs"]):
        need = NeedFactory(
            member_state=states[row["state"]], visibility=row["visibility"]
        )
        if row["shared"]:
            need.shared_with.add(providers[n % 2])
        matches.append(MatchFactory(need=need, programme=programmes[n % 2]))
    return matches


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=WORLD)
def test_nobody_hears_of_what_they_may_not_see(spec):
    with transaction.atomic():
        matches = _build(spec)
        ids = []
        for k, kind in enumerate(spec["kinds"]):
            match = matches[k % len(matches)]
            subject = match.need if kind == EventKind.NEED_UNMET else match
            ids.append(notifications.record(kind, subject).pk)
        # Some needs turn confidential after the events, before delivery.
        for row, match in zip(spec["needs"], matches, strict=True):
            if row["hide_later"]:
                Need.objects.filter(pk=match.need_id).update(
                    visibility=Visibility.CONFIDENTIAL
                )
        dispatch.deliver(ids)
        for note in Notification.objects.select_related("user", "event"):
            event = note.event
            if event.subject_type == "match":
                assert (
                    selectors.matches_visible_to(user=note.user)
                    .filter(pk=event.subject_id)
                    .exists()
                )
            else:
                assert (
                    selectors.needs_visible_to(user=note.user)
                    .filter(pk=event.subject_id)
                    .exists()
                )
        Notification.objects.update(created_at=timezone.now() - dt.timedelta(days=1))
        build_digests(period="daily")
        titles = {m.need.pk: m.need.title for m in matches}
        for mail in MailMessage.objects.select_related("user"):
            visible = set(
                selectors.needs_visible_to(user=mail.user).values_list("pk", flat=True)
            )
            for pk, title in titles.items():
                if pk not in visible:
                    assert title not in mail.text
                    assert title not in mail.subject
        transaction.set_rollback(True)
