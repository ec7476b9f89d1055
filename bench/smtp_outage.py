"""SMTP outage: the mail server is down for 60 s while events flow, then back.

    .venv/bin/python bench/smtp_outage.py [--outage 60] [--rate 1] \
        [--retry-seconds 30] [--database-url sqlite:////dev/shm/cbm-bench-smtp.sqlite3]

A real SMTP server (aiosmtpd) on a local port; a database of its own (replaced
each run) with a member state, a provider and one match between them. The
server is stopped; for ``--outage`` seconds, ``--rate`` events a second are
recorded (match steps the other side hears about at once) and a mail to an
address without an account is queued, while a worker loop does what the task
worker and ``run_notifications`` do (deliver events, send the mail due: every
send fails and is rescheduled, 30 s, 1 min, 2 min ...). Then the server comes
back and the loop goes on until nothing is pending. Prints how many mails were
queued, the failed attempts, when the last one arrived after the server came
back, and how many arrived twice (by Message-ID) or never.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email
import email.policy
import logging
import os
import socket
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Inbox:
    """What the SMTP server received (aiosmtpd handler)."""

    def __init__(self) -> None:
        self.received: list[tuple[float, email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd names it
        message = email.message_from_bytes(
            envelope.content, policy=email.policy.default
        )
        self.received.append((time.monotonic(), message))
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outage", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=1.0, help="events a second")
    parser.add_argument("--retry-seconds", type=float, default=30.0)
    parser.add_argument(
        "--database-url", default="sqlite:////dev/shm/cbm-bench-smtp.sqlite3"
    )
    args = parser.parse_args()
    if args.database_url.startswith("sqlite:///"):
        Path(args.database_url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DJANGO_TASKS_BACKEND"] = "django.tasks.backends.dummy.DummyBackend"
    os.environ["NOTIFICATIONS_MAIL_RETRY_SECONDS"] = str(args.retry_seconds)
    # One person hears about every event here: the hourly cap (a separate
    # matter, tested on its own) would hold most of them back an hour.
    os.environ["NOTIFICATIONS_MAIL_HOURLY_CAP"] = "100000"
    sys.path.insert(0, str(ROOT))

    import django
    from aiosmtpd.controller import Controller

    django.setup()
    # Each failed send logs a warning (and aiosmtpd every connection): the
    # figures at the end say it all.
    logging.disable(logging.WARNING)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from matchmaking import notifications
    from matchmaking.enums import MembershipRole
    from matchmaking.enums import NeedStatus
    from matchmaking.enums import ProgrammeStatus
    from matchmaking.models import Country
    from matchmaking.models import EventKind
    from matchmaking.models import MailMessage
    from matchmaking.models import MailStatus
    from matchmaking.models import Match
    from matchmaking.models import Membership
    from matchmaking.models import MemberState
    from matchmaking.models import Need
    from matchmaking.models import Programme
    from matchmaking.models import Provider
    from matchmaking.models import StakeholderGroup
    from matchmaking.models import User
    from matchmaking.notifications import dispatch
    from matchmaking.notifications.mail import queue_mail
    from matchmaking.notifications.mail import send_pending

    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    call_command("migrate", verbosity=0)
    country = Country.objects.order_by("iso3").first()
    state = MemberState.objects.create(country=country)
    provider = Provider.objects.create(
        ref="bench-p",
        name="Bench provider",
        name_key="bench provider",
        stakeholder_group=StakeholderGroup.objects.first(),
        country=country,
        is_verified=True,
        verified_at=timezone.now(),
    )
    focal, manager = (
        User.objects.create(username=name, email=f"{name}@example.org")
        for name in ("focal", "manager")
    )
    Membership.objects.create(user=focal, member_state=state, role="focal_point")
    Membership.objects.create(
        user=manager, provider=provider, role=MembershipRole.MANAGER
    )
    need = Need.objects.create(
        ref="bench-n",
        member_state=state,
        title="Bench need",
        description="A need of the benchmark.",
        status=NeedStatus.OPEN,
    )
    programme = Programme.objects.create(
        ref="bench-g",
        provider=provider,
        title="Bench programme",
        summary="A programme of the benchmark.",
        description="A programme of the benchmark.",
        status=ProgrammeStatus.PUBLISHED,
    )
    match = Match.objects.create(need=need, programme=programme, score=0.8, rank=1)

    def worker_round() -> int:
        dispatch.sweep(older_than=dt.timedelta(0))
        return send_pending()

    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    server.stop()
    out(
        f"SMTP server on port {port} stopped; {args.outage:.0f} s of events at "
        f"{args.rate:g}/s, first retry after {args.retry_seconds:g} s"
    )
    kinds = [EventKind.MATCH_INTEREST, EventKind.MATCH_STATUS]
    started = time.monotonic()
    recorded = 0
    while time.monotonic() - started < args.outage:
        if recorded < (time.monotonic() - started) * args.rate:
            with transaction.atomic():
                notifications.record(
                    kinds[recorded % 2], match, actor=focal, payload={"n": recorded}
                )
                queue_mail(
                    recipients=[f"new-{recorded}@example.net"],
                    compose=lambda: ("Confirm your address", "https://example.org/x"),
                )
            recorded += 1
        worker_round()
        time.sleep(0.05)
    queued = MailMessage.objects.count()
    failed = sum(MailMessage.objects.values_list("attempts", flat=True))
    pending = MailMessage.objects.filter(status=MailStatus.PENDING).count()
    out(
        f"outage over: {recorded} events, {queued} mails queued, {pending} pending, "
        f"{failed} failed attempts, {len(inbox.received)} received"
    )
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    back = time.monotonic()
    try:
        while MailMessage.objects.filter(status=MailStatus.PENDING).exists():
            worker_round()
            time.sleep(0.2)
            if time.monotonic() - back > 3600:
                break
        for _ in range(5):
            worker_round()
    finally:
        server.stop()
    ids = [str(m["Message-ID"]).strip() for _t, m in inbox.received]
    last = max((t for t, _m in inbox.received), default=back) - back
    rows = MailMessage.objects.count()
    sent = MailMessage.objects.filter(status=MailStatus.SENT).count()
    out(
        f"server back: {len(ids)} mails received, last {last:.1f} s after it came "
        f"back; {sent} of {rows} rows sent, {len(ids) - len(set(ids))} received "
        f"twice, {rows - len(set(ids))} never received"
    )


if __name__ == "__main__":
    main()
