"""A real SMTP server (aiosmtpd) goes down while events flow, then comes back:
every mail arrives after it is back, none twice.

A few seconds of outage here (the retry delay shortened by the setting);
``bench/smtp_outage.py`` runs the full 60-second outage and prints the figures.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from aiosmtpd.controller import Controller

from matchmaking import notifications
from matchmaking.models import EventKind
from matchmaking.models import MailMessage
from matchmaking.models import MailStatus
from matchmaking.notifications import dispatch
from matchmaking.notifications.mail import queue_mail
from matchmaking.notifications.mail import send_pending
from tests.smtp import Inbox
from tests.smtp import free_port
from tests.smtp import smtp_mailers

pytestmark = pytest.mark.django_db

OUTAGE_SECONDS = 3.0


def _worker_round() -> int:
    """What the worker does each time: deliver new events, send the mail due."""
    dispatch.sweep(older_than=dt.timedelta(0))
    return send_pending()


def test_mail_queued_during_an_smtp_outage_arrives_once_when_it_is_back(
    world, settings
):
    settings.NOTIFICATIONS_MAIL_RETRY_SECONDS = 0.25
    port = free_port()
    settings.MAILERS = smtp_mailers(port, timeout=2)
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    server.stop()  # down before the first event

    # Events flow while the server is down: match steps mailed at once to
    # the other side, a mail to an address without an account.
    kinds = [
        EventKind.MATCH_INTEREST,
        EventKind.MATCH_INTRODUCED,
        EventKind.MATCH_STATUS,
        EventKind.MATCH_FEEDBACK,
    ]
    started = time.monotonic()
    failed_attempts = 0
    for i, kind in enumerate(kinds):
        notifications.record(kind, world.match, actor=world.focal)
        queue_mail(
            recipients=[f"new-{i}@example.net"],
            compose=lambda: ("Confirm your address", "https://example.org/confirm/x"),
        )
        assert _worker_round() == 0
    while time.monotonic() - started < OUTAGE_SECONDS:
        assert _worker_round() == 0
        time.sleep(0.1)
    rows = list(MailMessage.objects.order_by("id"))
    failed_attempts = sum(r.attempts for r in rows)
    # 4 events x (the provider's manager, the focal point's colleague), the
    # introduction to the focal point who acted too, 4 address-only mails,
    # all waiting.
    assert len(rows) == 13
    assert {r.status for r in rows} == {MailStatus.PENDING}
    assert all(r.attempts >= 1 and r.last_error for r in rows)
    assert inbox.received == []

    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        back = time.monotonic()
        while (
            MailMessage.objects.filter(status=MailStatus.PENDING).exists()
            and time.monotonic() - back < 30
        ):
            _worker_round()
            time.sleep(0.1)
        for _ in range(5):  # later rounds send nothing again
            assert _worker_round() == 0
    finally:
        server.stop()

    assert failed_attempts >= 13
    sent = list(MailMessage.objects.order_by("id"))
    assert {r.status for r in sent} == {MailStatus.SENT}
    ids = [str(m["Message-ID"]).strip() for m in inbox.received]
    assert len(ids) == len(set(ids)) == 13  # every mail, none twice
    assert sorted(ids) == sorted(f"<{r.key.replace(':', '.')}@127.0.0.1>" for r in sent)
    assert sorted(m["To"] for m in inbox.received) == sorted(
        ["colleague@example.org"] * 4
        + ["focal@example.org"]
        + ["manager@example.org"] * 4
        + [f"new-{i}@example.net" for i in range(4)]
    )
    # An address without an account gets no unsubscribe link (it is no list).
    confirm = next(m for m in inbox.received if m["To"] == "new-0@example.net")
    assert confirm["List-Unsubscribe"] is None
    interest = next(m for m in inbox.received if m["To"] == "manager@example.org")
    assert interest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
