"""Webhooks against a real HTTP receiver: retries, idempotency, signatures,
disabling, and what is never sent."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json

import pytest
from django.db import transaction
from django.utils import timezone

from matchmaking import notifications
from matchmaking.enums import Visibility
from matchmaking.models import DeliveryState
from matchmaking.models import EventKind
from matchmaking.models import Notification
from matchmaking.models import OutboxEvent
from matchmaking.models import WebhookDelivery
from matchmaking.notifications import dispatch
from matchmaking.savedsearches import alerts
from matchmaking.savedsearches import services as saved
from matchmaking.webhooks import delivery
from matchmaking.webhooks.events import SAVED_SEARCH_MATCH
from tests.factories import MembershipFactory
from tests.factories import NeedFactory
from tests.factories import ProviderFactory
from tests.factories import UserFactory

UNMET = EventKind.NEED_UNMET.value

pytestmark = pytest.mark.django_db


def standard_webhooks_verify(secret: str, headers: dict, body: bytes) -> bool:
    """The receiver's check, written from the Standard Webhooks specification."""
    key = base64.b64decode(secret.split("_", 1)[1])
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode()
    mac = hmac.new(key, content + body, hashlib.sha256).digest()
    expected = base64.b64encode(mac).decode()
    return any(
        version == "v1" and hmac.compare_digest(signature, expected)
        for version, _comma, signature in (
            item.partition(",") for item in headers["webhook-signature"].split(" ")
        )
    )


@pytest.fixture
def owner():
    # A curator: the secretariat hears of needs left unmet.
    return UserFactory(
        username="integrator", email="integrator@example.org", is_curator=True
    )


def _unmet_event():
    """An event the owner should hear about, handed to every outbox channel."""
    with transaction.atomic():
        event = notifications.record(EventKind.NEED_UNMET, NeedFactory())
    dispatch.deliver([event.pk])
    return event


def test_receiver_failing_three_times_gets_each_event_once(settings, receiver, owner):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    endpoint, secret = delivery.create_endpoint(
        user=owner, url=receiver.url, event_types=[UNMET]
    )
    receiver.script = [500, 503, 500]
    first, second = _unmet_event(), _unmet_event()
    # The worker crashed after delivering the first event: it comes again.
    OutboxEvent.objects.filter(pk=first.pk).update(delivered_at=None, channels_done=[])
    dispatch.deliver([first.pk])
    assert WebhookDelivery.objects.count() == 2
    start = timezone.now()

    # The worker's sweeps: at once, after 30 s, then after 2 more minutes.
    for now in (
        start,
        start + dt.timedelta(seconds=30),
        start + dt.timedelta(minutes=3),
    ):
        delivery.deliver_due(now=now)

    sent = {d.event_id: d for d in WebhookDelivery.objects.all()}
    assert len(receiver.requests) == 5
    assert sorted(receiver.accepted_ids()) == sorted(
        d.message_id for d in sent.values()
    )
    assert len(set(receiver.accepted_ids())) == 2  # each event once
    # Every attempt of an event carries the event's one webhook-id.
    attempts = [r.headers["webhook-id"] for r in receiver.requests]
    assert attempts.count(sent[first.pk].message_id) == 3
    assert attempts.count(sent[second.pk].message_id) == 2
    assert sent[first.pk].message_id == f"msg_{first.key.hex}"
    for request in receiver.requests:
        assert standard_webhooks_verify(secret, request.headers, request.body)
        assert request.headers["content-type"] == "application/json"
    bodies = [json.loads(r.body) for r in receiver.requests if r.status < 300]
    assert sorted(
        (b["type"], b["data"]["object"], b["data"]["id"]) for b in bodies
    ) == [
        (UNMET, "need", first.subject_id),
        (UNMET, "need", second.subject_id),
    ]
    assert [(d.state, d.attempts) for d in sorted(sent.values(), key=str)] in (
        [(DeliveryState.SUCCEEDED, 3), (DeliveryState.SUCCEEDED, 2)],
        [(DeliveryState.SUCCEEDED, 2), (DeliveryState.SUCCEEDED, 3)],
    )
    endpoint.refresh_from_db()
    assert endpoint.failure_count == 0
    # A forged or replayed signature does not verify.
    request = receiver.requests[-1]
    assert not standard_webhooks_verify(secret, request.headers, request.body + b" ")


def test_retry_waits_for_its_backoff(settings, receiver, owner):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    delivery.create_endpoint(user=owner, url=receiver.url, event_types=[UNMET])
    receiver.script = [500, 500]
    _unmet_event()
    start = timezone.now()
    assert delivery.deliver_due(now=start) == 1
    assert delivery.deliver_due(now=start + dt.timedelta(seconds=29)) == 0
    assert delivery.deliver_due(now=start + dt.timedelta(seconds=30)) == 1
    row = WebhookDelivery.objects.get()
    # Second failure: the next wait is four times longer (2 minutes).
    assert row.next_attempt_at == start + dt.timedelta(seconds=30 + 120)
    assert (row.state, row.attempts, row.last_status_code) == ("pending", 2, 500)


def test_endpoint_disabled_after_repeated_failures_and_owner_mailed(
    settings, receiver, owner, mailoutbox, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    endpoint, _secret = delivery.create_endpoint(
        user=owner, url=receiver.url, event_types=[UNMET]
    )
    receiver.script = [500] * 10
    with django_capture_on_commit_callbacks(execute=True):
        # The first attempt runs in the task worker (immediate backend).
        _unmet_event()
    with django_capture_on_commit_callbacks(execute=True):
        delivery.deliver_due(now=timezone.now() + dt.timedelta(seconds=30))
        delivery.deliver_due(now=timezone.now() + dt.timedelta(minutes=3))
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.failure_count) == (False, 3)
    assert endpoint.disabled_at is not None
    row = WebhookDelivery.objects.get()
    assert (row.state, row.attempts) == (DeliveryState.FAILED, 3)
    assert len(receiver.requests) == 3
    [notice] = [m for m in mailoutbox if m.subject == "Your webhook is disabled"]
    assert notice.to == ["integrator@example.org"]
    assert endpoint.url in notice.body
    # A disabled endpoint gets nothing more.
    _unmet_event()
    assert WebhookDelivery.objects.count() == 1
    # Turned back on, it starts afresh.
    delivery.update_endpoint(user=owner, endpoint=endpoint, changes={"is_active": True})
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.failure_count, endpoint.disabled_at) == (
        True,
        0,
        None,
    )


def test_saved_search_alert_is_withheld_once_the_item_is_hidden(settings, receiver):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    reader = UserFactory()
    MembershipFactory(user=reader, member_state=None, provider=ProviderFactory())
    saved.create_saved_search(
        user=reader, name="Forensics", scope="needs", query="q=forensics"
    )
    delivery.create_endpoint(
        user=reader, url=receiver.url, event_types=[SAVED_SEARCH_MATCH]
    )
    need = NeedFactory(title="Digital forensics lab")
    with transaction.atomic():
        alerts.record_change(need)
    change = OutboxEvent.objects.get(subject_type="searchable")
    dispatch.deliver([change.pk])  # the saved-searches channel: one alert
    alert = OutboxEvent.objects.get(kind=SAVED_SEARCH_MATCH, subject_type="savedsearch")
    dispatch.deliver([alert.pk])  # the centre and the webhooks channel
    assert Notification.objects.filter(user=reader, event=alert).exists()
    assert WebhookDelivery.objects.filter(event=alert).count() == 1
    # Confidential by the time it is sent: withheld, never named.
    need.visibility = Visibility.CONFIDENTIAL
    need.save(update_fields=["visibility"])
    delivery.deliver_due()
    row = WebhookDelivery.objects.get()
    assert (row.state, row.attempts, row.last_error) == ("withheld", 0, "")
    assert receiver.requests == []
