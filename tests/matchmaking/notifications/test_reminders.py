"""Reminders: unanswered interest (3 and 7 days) and a need's "needed by" date.

Each rule reminds once per object and threshold, never again on a re-run,
never once the situation is resolved; the reminder travels like any event
(the centre, mail per the reminders setting, visibility at delivery).
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from matchmaking import services
from matchmaking.enums import MatchStatus
from matchmaking.enums import MembershipRole
from matchmaking.enums import Visibility
from matchmaking.models import EventKind
from matchmaking.models import MailMessage
from matchmaking.models import Membership
from matchmaking.models import OutboxEvent
from matchmaking.notifications import preferences
from matchmaking.notifications.digests import build_digests
from matchmaking.notifications.mail import send_pending
from tests.factories import MatchFactory
from tests.factories import ProgrammeFactory
from tests.outbox import remind_and_deliver
from tests.outbox import told

pytestmark = pytest.mark.django_db


def _reminders():
    return list(
        OutboxEvent.objects.filter(kind=EventKind.REMINDER)
        .order_by("id")
        .values_list("subject_type", "subject_id", "payload")
    )


@pytest.fixture
def interest(world, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    services.transition_match(
        user=world.focal, match=world.match, action="express_interest"
    )
    OutboxEvent.objects.all().delete()  # only reminders from here on
    return world


def test_interest_unanswered_reminds_the_provider_after_3_then_7_days_once_each(
    interest, time_machine
):
    world = interest
    time_machine.shift(timedelta(days=2, hours=23))
    assert remind_and_deliver() == 0
    time_machine.shift(timedelta(hours=1))
    assert remind_and_deliver() == 1
    assert remind_and_deliver() == 0  # not twice
    time_machine.shift(timedelta(days=3))
    assert remind_and_deliver() == 0  # day 6: nothing new
    time_machine.shift(timedelta(days=1))
    assert remind_and_deliver() == 1
    assert remind_and_deliver() == 0
    time_machine.shift(timedelta(days=30))
    assert remind_and_deliver() == 0  # no threshold after 7 days
    reminders = _reminders()
    assert reminders == [
        (
            "match",
            world.match.pk,
            {"reminder": "interest", "days": 3, "side": "provider", "rule": "interest"},
        ),
        (
            "match",
            world.match.pk,
            {"reminder": "interest", "days": 7, "side": "provider", "rule": "interest"},
        ),
    ]
    first = OutboxEvent.objects.filter(kind=EventKind.REMINDER).first()
    # The provider's people only: the state side is waiting, not reminded.
    assert told(first.pk) == ["manager"]
    assert send_pending() >= 1
    subjects = [m.subject for m in mail.outbox if m.to == ["manager@example.org"]]
    assert subjects[0] == (
        "Reminder: interest has waited 3 days for your answer: "
        f"{world.match.need.title} ↔ {world.match.programme.title}"
    )


def test_a_long_pause_sends_the_7_day_reminder_alone(interest, time_machine):
    time_machine.shift(timedelta(days=9))
    assert remind_and_deliver() == 1
    assert [p["days"] for _t, _i, p in _reminders()] == [7]
    assert remind_and_deliver() == 0


def test_no_reminder_once_the_provider_answered(interest, time_machine):
    world = interest
    time_machine.shift(timedelta(days=1))
    services.transition_match(user=world.manager, match=world.match, action="introduce")
    time_machine.shift(timedelta(days=10))
    assert remind_and_deliver() == 0
    assert _reminders() == []


def test_no_reminder_for_a_need_closed_meanwhile(interest, time_machine):
    world = interest
    world.match.need.status = "closed"
    world.match.need.save(update_fields=["status"])
    time_machine.shift(timedelta(days=4))
    assert remind_and_deliver() == 0


def test_a_reminder_follows_the_recipients_mail_setting_and_visibility(
    interest, time_machine
):
    world = interest
    preferences.set_mail_modes(user=world.manager, modes={"reminders": "never"})
    time_machine.shift(timedelta(days=3))
    assert remind_and_deliver() == 1
    event = OutboxEvent.objects.get(kind=EventKind.REMINDER)
    assert told(event.pk) == ["manager"]  # in the centre ...
    send_pending()
    assert mail.outbox == []  # ... but no mail
    # The need made confidential before the next threshold: the provider may
    # not see it any more and hears nothing (the rule still records the due
    # reminder once; the delivery finds nobody allowed).
    need = world.match.need
    need.visibility = Visibility.CONFIDENTIAL
    need.save(update_fields=["visibility"])
    time_machine.shift(timedelta(days=4))
    assert remind_and_deliver() == 1
    seven = OutboxEvent.objects.filter(kind=EventKind.REMINDER).last()
    assert told(seven.pk) == []


@pytest.fixture
def due_need(world, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    need = world.match.need
    need.owner = world.colleague
    need.needed_by = timezone.localdate() + timedelta(days=20)
    need.save(update_fields=["owner", "needed_by"])
    # The colleague wrote the need but is no focal point; Awa is.
    Membership.objects.filter(user=world.colleague).update(role=MembershipRole.VIEWER)
    return need


def test_a_need_14_days_before_its_date_without_agreement_reminds_its_focal_point(
    world, due_need, time_machine
):
    assert remind_and_deliver() == 0  # 20 days ahead
    time_machine.shift(timedelta(days=5))
    assert remind_and_deliver() == 0  # 15 days ahead
    time_machine.shift(timedelta(days=1))
    assert remind_and_deliver() == 1  # 14 days ahead
    assert remind_and_deliver() == 0
    time_machine.shift(timedelta(days=7))
    assert remind_and_deliver() == 0  # one reminder per date
    event = OutboxEvent.objects.get(kind=EventKind.REMINDER)
    assert (event.subject_type, event.subject_id) == ("need", due_need.pk)
    # The need's author answers for it (not the provider, not the secretariat).
    assert told(event.pk) == ["colleague"]
    send_pending()
    assert [m.subject for m in mail.outbox] == [
        f"Reminder: {due_need.title} is needed by "
        f"{due_need.needed_by.day} {due_need.needed_by:%B %Y} "
        "and no match is agreed yet"
    ]


def test_a_moved_date_is_reminded_again_and_an_agreed_match_ends_it(
    world, due_need, time_machine
):
    time_machine.shift(timedelta(days=6))
    assert remind_and_deliver() == 1
    due_need.needed_by += timedelta(days=3)
    due_need.save(update_fields=["needed_by"])
    assert remind_and_deliver() == 0  # 17 days ahead now
    time_machine.shift(timedelta(days=3))
    assert remind_and_deliver() == 1  # a new date is a new deadline
    due_need.needed_by += timedelta(days=2)
    due_need.save(update_fields=["needed_by"])
    MatchFactory(
        need=due_need,
        programme=ProgrammeFactory(provider=world.match.programme.provider),
        status=MatchStatus.AGREED,
    )
    time_machine.shift(timedelta(days=2))
    assert remind_and_deliver() == 0  # resolved: a match is agreed


def test_without_an_author_the_states_focal_points_are_reminded(
    world, due_need, time_machine
):
    due_need.owner = None
    due_need.save(update_fields=["owner"])
    time_machine.shift(timedelta(days=6))
    assert remind_and_deliver() == 1
    event = OutboxEvent.objects.get(kind=EventKind.REMINDER)
    assert told(event.pk) == ["focal"]


def _daily_digest_of(user):
    return MailMessage.objects.filter(
        user=user, key__startswith="digest:daily:"
    ).first()


def test_a_reminder_answered_before_the_digest_is_left_out_of_it(
    interest, time_machine
):
    world = interest
    preferences.set_mail_modes(user=world.manager, modes={"reminders": "daily"})
    time_machine.shift(timedelta(days=3))
    assert remind_and_deliver() == 1
    services.transition_match(user=world.manager, match=world.match, action="introduce")
    time_machine.shift(timedelta(days=1))
    build_digests(period="daily")
    # The provider answered the same day: nothing waits for them any more.
    assert _daily_digest_of(world.manager) is None


def test_a_reminder_still_waiting_is_in_the_digest(interest, time_machine):
    world = interest
    preferences.set_mail_modes(user=world.manager, modes={"reminders": "daily"})
    time_machine.shift(timedelta(days=3))
    assert remind_and_deliver() == 1
    time_machine.shift(timedelta(days=1))
    assert build_digests(period="daily") == 1
    digest = _daily_digest_of(world.manager)
    assert "waited 3 days for your answer" in digest.text
    assert world.match.need.title in digest.text
