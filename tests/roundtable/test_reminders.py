"""Roundtable reminders: a meeting 24 hours ahead, a pitch awaiting confirmation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from matchmaking.models import EventKind
from matchmaking.models import OutboxEvent
from matchmaking.models import Profile
from matchmaking.notifications.mail import send_pending
from roundtable import services
from roundtable.enums import PitchState
from tests.outbox import remind_and_deliver
from tests.outbox import told
from tests.roundtable.conftest import close_call
from tests.roundtable.conftest import make_pitch

pytestmark = pytest.mark.django_db


def _reminders() -> list[OutboxEvent]:
    return list(OutboxEvent.objects.filter(kind=EventKind.REMINDER).order_by("id"))


@pytest.fixture
def meeting(cast, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    close_call(cast, release=True)
    pitch = make_pitch(cast, state=PitchState.SCHEDULED)
    meeting = services.request_meeting(
        user=cast.delegate, pitch=pitch, member_state=cast.state, message="Hello"
    )
    meeting = services.accept_meeting(user=cast.presenter, meeting=meeting)
    OutboxEvent.objects.all().delete()
    mail.outbox.clear()
    return meeting


def test_a_meeting_is_reminded_to_both_sides_24_hours_ahead_once(
    cast, meeting, time_machine
):
    Profile.objects.create(user=cast.presenter, time_zone="Asia/Tokyo")
    time_machine.move_to(meeting.starts_at - dt.timedelta(hours=24, minutes=1))
    assert remind_and_deliver() == 0
    time_machine.shift(dt.timedelta(minutes=2))
    assert remind_and_deliver() == 1
    assert remind_and_deliver() == 0  # not twice
    time_machine.shift(dt.timedelta(hours=23))
    assert remind_and_deliver() == 0
    [event] = _reminders()
    assert (event.subject_type, event.subject_id, event.payload) == (
        "meeting",
        meeting.pk,
        {"reminder": "meeting", "hours": 24, "rule": "meeting"},
    )
    # Both sides: the delegation and the presenter's organisation.
    assert told(event.pk) == ["colleague", "delegate", "presenter"]
    send_pending()
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    title = meeting.pitch.title
    # In each reader's time zone.
    assert subjects["presenter@example.org"].startswith(
        f"Reminder: your meeting Senegal ↔ {title} is on "
    )
    assert subjects["presenter@example.org"].endswith("(Asia/Tokyo)")
    assert subjects["delegate@example.org"].endswith("(UTC)")


def test_a_rescheduled_meeting_is_reminded_again_a_cancelled_one_not(
    cast, meeting, time_machine
):
    time_machine.move_to(meeting.starts_at - dt.timedelta(hours=3))
    assert remind_and_deliver() == 1
    later = cast.meeting_slots[1]
    type(meeting).objects.filter(pk=meeting.pk).update(
        starts_at=later.starts_at + dt.timedelta(days=1),
        ends_at=later.ends_at + dt.timedelta(days=1),
    )
    time_machine.move_to(later.starts_at + dt.timedelta(hours=1))
    assert remind_and_deliver() == 1  # a new time is a new reminder
    services.cancel_meeting(user=cast.delegate, meeting=meeting, reason="Flight")
    time_machine.shift(dt.timedelta(hours=12))
    assert remind_and_deliver() == 0
    assert len(_reminders()) == 2


def test_a_cancelled_meeting_is_never_reminded(cast, meeting, time_machine):
    services.cancel_meeting(user=cast.delegate, meeting=meeting, reason="Flight")
    time_machine.move_to(meeting.starts_at - dt.timedelta(hours=2))
    assert remind_and_deliver() == 0


@pytest.fixture
def accepted(cast, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    close_call(cast, release=True)
    pitch = make_pitch(cast, state=PitchState.ACCEPTED)
    OutboxEvent.objects.all().delete()
    return pitch


def test_an_unconfirmed_pitch_asks_its_presenter_to_act_after_3_and_7_days(
    cast, accepted, time_machine
):
    time_machine.shift(dt.timedelta(days=2))
    assert remind_and_deliver() == 0
    time_machine.shift(dt.timedelta(days=1))
    assert remind_and_deliver() == 1
    assert remind_and_deliver() == 0
    time_machine.shift(dt.timedelta(days=4))
    assert remind_and_deliver() == 1
    assert remind_and_deliver() == 0
    first, second = _reminders()
    assert [e.payload["days"] for e in (first, second)] == [3, 7]
    # The presenter's to confirm: the presenter alone.
    assert told(first.pk) == ["presenter"]
    send_pending()
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (
            ["presenter@example.org"],
            f"Action required: confirm that you will present {accepted.title}",
        ),
        (
            ["presenter@example.org"],
            f"Action required: confirm that you will present {accepted.title}",
        ),
    ]


def test_a_confirmed_pitch_or_a_past_event_is_not_reminded(
    cast, accepted, time_machine
):
    services.confirm_pitch(user=cast.presenter, pitch=accepted)
    time_machine.shift(dt.timedelta(days=8))
    assert remind_and_deliver() == 0
    other = make_pitch(
        cast, state=PitchState.ACCEPTED, provider=cast.other_provider, title="Cloud"
    )
    cast.event.starts_on = timezone.localdate()
    cast.event.save(update_fields=["starts_on"])
    assert remind_and_deliver() == 0
    assert other.confirmed_at is None
