"""Property: a webhook never names what its owner may not see when it is sent.

Random worlds: needs of two states with any visibility, status and sharing,
saved searches and webhooks for people of every role; each need is published
(saved-search alerts flow through the outbox), then its visibility may change
before the webhooks go out. Every body sent names only needs its owner may see
then, and every alert withheld is one its owner may no longer see.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from matchmaking import selectors
from matchmaking.models import DeliveryState
from matchmaking.models import EventKind
from matchmaking.models import OutboxEvent
from matchmaking.models import WebhookDelivery
from matchmaking.models import WebhookEndpoint
from matchmaking.notifications import dispatch
from matchmaking.savedsearches import alerts
from matchmaking.savedsearches import services as saved
from matchmaking.webhooks import delivery
from matchmaking.webhooks import network
from tests.factories import MembershipFactory
from tests.factories import MemberStateFactory
from tests.factories import NeedFactory
from tests.factories import ProviderFactory
from tests.factories import UserFactory

VISIBILITIES = ("public", "registered", "confidential")
needs_st = st.lists(
    st.tuples(
        st.integers(0, 1),  # state
        st.sampled_from(VISIBILITIES),  # when published
        st.sampled_from(("open", "draft", "closed")),
        st.booleans(),  # shared with provider P
        st.sampled_from((None, *VISIBILITIES)),  # changed before sending
    ),
    min_size=1,
    max_size=2,
)


def _mentioned_needs(data: Any) -> set[str]:
    found = set()
    if isinstance(data, dict):
        if data.get("object") == "need":
            found.add(data["ref"])
        for value in data.values():
            found |= _mentioned_needs(value)
    return found


def _world():
    states = [MemberStateFactory(), MemberStateFactory()]
    verified, unverified = ProviderFactory(), ProviderFactory()
    verified.is_verified = True
    verified.verified_at = verified.created_at
    verified.save(update_fields=["is_verified", "verified_at"])
    people = [UserFactory(is_curator=True)]
    for organisation in (states[0], verified, unverified):
        person = UserFactory()
        if organisation in states:
            MembershipFactory(user=person, member_state=organisation)
        else:
            MembershipFactory(user=person, member_state=None, provider=organisation)
        people.append(person)
    for person in people:
        saved.create_saved_search(user=person, name="All", scope="needs", query="")
        delivery.create_endpoint(
            user=person,
            url=f"https://hooks.example.org/{person.pk}",
            event_types=[EventKind.SAVED_SEARCH_MATCH],
        )
    return states, verified


@pytest.mark.django_db
@settings(
    max_examples=10,  # each example is a whole world: CI time
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=needs_st)
def test_a_webhook_names_only_what_its_owner_may_see_when_sent(specs, monkeypatch):
    sent: list[tuple[str, dict]] = []

    def receive(url, *, body, headers):
        sent.append((url, json.loads(body)))
        return network.Sent(200, "", "", 1)

    monkeypatch.setattr(network, "post", receive)
    with transaction.atomic():
        states, verified = _world()
        needs = []
        for state, visibility, status, shared, _later in specs:
            need = NeedFactory(
                member_state=states[state], visibility=visibility, status=status
            )
            if shared:
                need.shared_with.set([verified])
            alerts.record_change(need)
            needs.append(need)
        for _round in range(2):  # changes, then the alerts they made
            dispatch.deliver(
                OutboxEvent.objects.filter(delivered_at__isnull=True).values_list(
                    "pk", flat=True
                )
            )
        for need, (*_spec, later) in zip(needs, specs, strict=True):
            if later is not None:
                need.visibility = later
                need.save(update_fields=["visibility"])
        delivery.deliver_due()

        owners = {
            f"https://hooks.example.org/{e.user_id}": e.user
            for e in (WebhookEndpoint.objects.select_related("user"))
        }
        for url, body in sent:
            visible = set(
                selectors.needs_visible_to(
                    user=owners[url], with_tags=False
                ).values_list("ref", flat=True)
            )
            assert _mentioned_needs(body["data"]) <= visible
        # Not vacuous: a public, open need stays news to someone.
        if any(
            v == "public" and st_ == "open" and later in (None, "public")
            for _s, v, st_, _sh, later in specs
        ):
            assert sent
        for row in WebhookDelivery.objects.select_related("event", "endpoint__user"):
            record = row.event.payload["record_id"]
            may_see = (
                selectors.needs_visible_to(user=row.endpoint.user, with_tags=False)
                .filter(pk=record)
                .exists()
            )
            expected = DeliveryState.SUCCEEDED if may_see else DeliveryState.WITHHELD
            assert row.state == expected
        transaction.set_rollback(True)
