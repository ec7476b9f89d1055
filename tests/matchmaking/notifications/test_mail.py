"""Mail done properly: preferences, one-click unsubscribe, cap, retries, visibility."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from matchmaking import notifications
from matchmaking.enums import Visibility
from matchmaking.models import EventKind
from matchmaking.models import MailMessage
from matchmaking.models import NotificationPreference
from matchmaking.notifications import dispatch
from matchmaking.notifications import preferences
from matchmaking.notifications.mail import send_pending

pytestmark = pytest.mark.django_db


def _event(world, kind=EventKind.MATCH_INTEREST):
    event = notifications.record(kind, world.match, actor=world.focal)
    dispatch.deliver([event.pk])
    return event


def test_interest_mails_the_provider_at_once_with_both_parts_and_unsubscribe(world):
    _event(world)
    assert send_pending() == 2  # manager and colleague
    sent = {m.to[0]: m for m in mail.outbox}
    message = sent["manager@example.org"]
    assert message.subject == (
        f"Interest expressed: {world.match.need.title} ↔ {world.match.programme.title}"
    )
    assert f"/matches/{world.match.pk}/" in message.body
    assert message.alternatives[0].mimetype == "text/html"
    link = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert (
        message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    )
    # RFC 8058: the mail client POSTs, without cookies or a CSRF token.
    path = link.removeprefix("http://127.0.0.1:8000")
    answer = Client(enforce_csrf_checks=True).post(
        path,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 200
    assert preferences.mail_modes(user=world.manager)["matches"] == "never"
    mail.outbox.clear()
    _event(world, EventKind.MATCH_DECLINED)
    send_pending()
    assert [m.to[0] for m in mail.outbox] == ["colleague@example.org"]


def test_a_forged_unsubscribe_token_changes_nothing(world, client):
    token = preferences.unsubscribe_token(user=world.manager, category="matches")
    assert client.post(f"/notifications/unsubscribe/{token}x/").status_code == 404
    assert client.get(f"/notifications/unsubscribe/{token}x/").status_code == 404
    assert not NotificationPreference.objects.exists()


def test_digest_and_never_modes_send_nothing_now_inactive_users_nothing_ever(world):
    preferences.set_mail_modes(user=world.manager, modes={"matches": "daily"})
    world.colleague.is_active = False
    world.colleague.save(update_fields=["is_active"])
    _event(world)
    assert send_pending() == 0
    assert mail.outbox == []


def test_a_need_made_confidential_before_sending_is_not_described(world):
    _event(world)
    need = world.match.need
    need.visibility = Visibility.CONFIDENTIAL
    need.save(update_fields=["visibility"])
    send_pending()
    assert [m.to[0] for m in mail.outbox] == ["colleague@example.org"]
    skipped = MailMessage.objects.get(user=world.manager)
    assert (skipped.status, skipped.last_error) == (
        "skipped",
        "no longer visible to the recipient",
    )


def test_smtp_down_then_back_delivers_every_mail_once(world, monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    real = EmailBackend.send_messages
    down = True

    def flaky(self, messages):
        if down:
            raise ConnectionRefusedError("SMTP down")
        return real(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)
    _event(world)
    _event(world, EventKind.MATCH_DECLINED)
    assert send_pending() == 0
    assert MailMessage.objects.filter(status="pending", attempts=1).count() == 4
    assert send_pending() == 0  # not due yet: the retry waits
    down = False
    later = timezone.now() + timedelta(minutes=5)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert send_pending() == 4
    assert send_pending() == 0
    assert sorted((m.to[0], m.subject.split(":")[0]) for m in mail.outbox) == [
        ("colleague@example.org", "Declined"),
        ("colleague@example.org", "Interest expressed"),
        ("manager@example.org", "Declined"),
        ("manager@example.org", "Interest expressed"),
    ]


def test_the_hourly_cap_holds_the_rest_for_the_next_hour(world, settings):
    settings.NOTIFICATIONS_MAIL_HOURLY_CAP = 1
    _event(world)
    _event(world, EventKind.MATCH_DECLINED)
    assert send_pending() == 2  # one each
    held = MailMessage.objects.filter(status="pending")
    assert held.count() == 2
    assert all(m.next_attempt_at > timezone.now() + timedelta(minutes=59) for m in held)


def test_past_the_attempt_limit_a_failure_is_an_error_and_the_mail_still_waits(
    world, monkeypatch, settings, caplog
):
    """NOTIFICATIONS_MAIL_MAX_ATTEMPTS raises the log level; it ends nothing."""
    from django.core.mail.backends.locmem import EmailBackend

    def refused(self, messages):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr(EmailBackend, "send_messages", refused)
    settings.NOTIFICATIONS_MAIL_MAX_ATTEMPTS = 2
    _event(world)
    MailMessage.objects.update(attempts=1)
    with caplog.at_level("WARNING", logger="matchmaking.notifications.mail"):
        assert send_pending() == 0
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 2
    assert all("still not sent after 2 attempts; next try at" in e for e in errors)
    waiting = MailMessage.objects.all()
    assert {(m.status, m.attempts) for m in waiting} == {("pending", 2)}
    assert all(m.next_attempt_at > timezone.now() for m in waiting)
