"""Roundtable steps reach the outbox: meetings and pitch decisions."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from matchmaking.models import Notification
from matchmaking.models import OutboxEvent
from matchmaking.notifications import describe
from matchmaking.notifications import dispatch
from matchmaking.notifications import may_see
from roundtable import services
from roundtable.enums import PitchState
from tests.roundtable.conftest import close_call
from tests.roundtable.conftest import make_pitch


@pytest.fixture
def pitch(cast):
    close_call(cast, release=True)
    return make_pitch(cast, state=PitchState.SCHEDULED)


def _told(event):
    return set(
        Notification.objects.filter(event=event).values_list(
            "user__username", flat=True
        )
    )


def test_a_meeting_request_and_its_answer_reach_the_other_side(cast, pitch):
    meeting = services.request_meeting(
        user=cast.delegate, pitch=pitch, member_state=cast.state, message="Talk?"
    )
    requested = OutboxEvent.objects.get(kind="meeting.requested")
    dispatch.deliver([requested.pk])
    assert cast.presenter.username in _told(requested)
    assert cast.delegate.username not in _told(requested)  # the actor
    assert cast.outsider.username not in _told(requested)
    assert not may_see(cast.outsider, requested)
    assert describe(requested).url == "/roundtable/meetings/"
    services.cancel_meeting(user=cast.presenter, meeting=meeting, reason="Ill")
    cancelled = OutboxEvent.objects.get(kind="meeting.cancelled")
    assert cancelled.payload == {"state": "cancelled"}
    dispatch.deliver([cancelled.pk])
    assert cast.delegate.username in _told(cancelled)


def test_released_decisions_are_announced_once(cast):
    pitch = make_pitch(cast, state=PitchState.ACCEPTED)
    close_call(cast)
    assert services.release_decisions(user=cast.curator, call=cast.call) == 1
    events = list(OutboxEvent.objects.filter(kind="pitch.decision"))
    assert [(e.subject_id, e.payload) for e in events] == [
        (pitch.pk, {"state": "accepted"})
    ]
    # The decision mail waits in the mail outbox: a re-run has nothing to do.
    with pytest.raises(ValidationError):
        services.release_decisions(user=cast.curator, call=cast.call)
    assert OutboxEvent.objects.filter(kind="pitch.decision").count() == 1
    dispatch.deliver([events[0].pk])
    assert cast.presenter.username in _told(events[0])
    assert cast.outsider.username not in _told(events[0])
