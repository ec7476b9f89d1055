"""The outbox: recorded with the change, delivered after commit, once per person."""

from datetime import timedelta

import pytest
from django.db import transaction

from matchmaking import notifications
from matchmaking import services
from matchmaking.enums import Visibility
from matchmaking.models import EventKind
from matchmaking.models import Notification
from matchmaking.models import OutboxEvent
from matchmaking.notifications import dispatch


def _inbox(user):
    return list(
        Notification.objects.filter(user=user).values_list("event__kind", flat=True)
    )


def test_interest_reaches_the_other_parties_after_commit(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.transition_match(
            user=world.focal, match=world.match, action="express_interest"
        )
    event = OutboxEvent.objects.get()
    assert (event.kind, event.subject_type, event.subject_id, event.actor) == (
        EventKind.MATCH_INTEREST,
        "match",
        world.match.pk,
        world.focal,
    )
    assert event.payload == {"from": "suggested", "to": "interest"}
    assert event.delivered_at is not None
    assert event.channels_done == list(notifications.CHANNELS)
    assert _inbox(world.manager) == ["match.interest"]
    assert _inbox(world.colleague) == ["match.interest"]
    assert _inbox(world.focal) == []  # the actor
    assert _inbox(world.outsider) == []


def test_nothing_is_delivered_before_commit(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.transition_match(
            user=world.focal, match=world.match, action="express_interest"
        )
        assert Notification.objects.count() == 0
    assert len(callbacks) == 1


def _interest_then_fail(world):
    with transaction.atomic():
        services.transition_match(
            user=world.focal, match=world.match, action="express_interest"
        )
        raise RuntimeError


def test_a_rollback_records_no_event(world, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        _interest_then_fail(world)
    assert callbacks == []
    assert OutboxEvent.objects.count() == 0
    assert Notification.objects.count() == 0


def test_a_redelivered_event_is_not_a_second_notification(world):
    event = notifications.record(EventKind.MATCH_INTEREST, world.match, actor=None)
    assert dispatch.deliver([event.pk]) == 1
    # A worker that crashed after delivering, before marking: delivered again.
    OutboxEvent.objects.filter(pk=event.pk).update(delivered_at=None, channels_done=[])
    assert dispatch.deliver([event.pk]) == 1
    assert Notification.objects.filter(event=event).count() == 3  # two + manager
    assert dispatch.deliver([event.pk]) == 0  # already delivered: untouched


def test_a_failing_channel_is_retried_alone_by_the_sweep(world, monkeypatch):
    calls = []

    def flaky(delivery):
        calls.append(delivery.event.pk)
        if len(calls) == 1:
            raise ConnectionError("receiver down")

    monkeypatch.setitem(notifications.CHANNELS, "flaky", flaky)
    event = notifications.record(EventKind.MATCH_DECLINED, world.match)
    assert dispatch.deliver([event.pk]) == 0
    event.refresh_from_db()
    # Every other channel (centre, webhooks, saved searches...) took it.
    assert (event.delivered_at, event.attempts, event.channels_done) == (
        None,
        1,
        [name for name in notifications.CHANNELS if name != "flaky"],
    )
    assert "receiver down" in event.last_error
    assert dispatch.sweep() == 0  # too recent for the sweep
    assert dispatch.sweep(older_than=timedelta(0)) == 1
    event.refresh_from_db()
    assert event.delivered_at is not None
    others = [name for name in notifications.CHANNELS if name != "flaky"]
    assert event.channels_done == [*others, "flaky"]
    assert calls == [event.pk, event.pk]
    assert Notification.objects.filter(event=event).count() == 3


def test_a_confidential_need_is_not_told_to_a_provider_it_is_not_shared_with(world):
    need = world.match.need
    need.visibility = Visibility.CONFIDENTIAL
    need.save(update_fields=["visibility"])
    event = notifications.record(EventKind.SUGGESTION_NEW, world.match)
    dispatch.deliver([event.pk])
    assert _inbox(world.manager) == []
    assert sorted(
        Notification.objects.filter(event=event).values_list(
            "user__username", flat=True
        )
    ) == ["colleague", "focal"]
    need.shared_with.add(world.match.programme.provider)
    assert notifications.may_see(world.manager, event)


def test_an_unmet_need_alerts_the_secretariat(world, curator):
    event = notifications.record(EventKind.NEED_UNMET, world.match.need)
    dispatch.deliver([event.pk])
    assert list(
        Notification.objects.filter(event=event).values_list(
            "user__username", flat=True
        )
    ) == ["curator"]
    line = notifications.describe(event)
    assert line.title == f"Need without a match: {world.match.need.title}"
    assert line.url == f"/needs/{world.match.need.ref}/"
