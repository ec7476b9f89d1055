"""Mail: the channel that queues mails, and the sender that gets them out.

The channel writes one ``MailMessage`` row per person who wants this category
at once (rendered in their language, HTML and plain text, with a one-click
unsubscribe link); ``send_pending`` hands the rows to the SMTP server. A
failed send stays in the table and is retried with a growing delay, so an
SMTP outage loses nothing; the row's key makes a redelivered event no second
mail, and its Message-ID lets a receiver drop a copy sent twice after a crash.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import uuid
import zoneinfo
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from secrets import randbelow
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail import mailers
from django.db import transaction
from django.db.models import Q
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils import translation

from matchmaking import i18n
from matchmaking.models import CATEGORY_OF_KIND
from matchmaking.models import EventKind
from matchmaking.models import MailMessage
from matchmaking.models import MailMode
from matchmaking.models import MailStatus
from matchmaking.models import Match
from matchmaking.models import OutboxEvent
from matchmaking.models import User
from matchmaking.notifications import registry
from matchmaking.notifications.introductions import match_contacts
from matchmaking.notifications.preferences import mail_modes_for
from matchmaking.notifications.preferences import profile_of
from matchmaking.notifications.preferences import unsubscribe_token

logger = logging.getLogger(__name__)

# Roundtable mails the people of a meeting or a pitch decision itself (with
# the details those mails need, through ``queue_mail``): the channel leaves
# these kinds to it.
MAILED_ELSEWHERE = frozenset(
    {
        EventKind.PITCH_DECISION,
        EventKind.MEETING_REQUESTED,
        EventKind.MEETING_ACCEPTED,
        EventKind.MEETING_CANCELLED,
    }
)
CLAIM_SECONDS = 300


def absolute(url: str) -> str:
    return f"{settings.SITE_URL}{url}"


def language_of(user: User) -> str:
    return user.language or settings.LANGUAGE_CODE


def zone(name: str) -> zoneinfo.ZoneInfo:
    """A time zone by name (UTC when unknown)."""
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def zone_of(user: User) -> zoneinfo.ZoneInfo:
    """The time zone the user chose for mails and digests (UTC by default)."""
    return zone(profile_of(user).time_zone)


def unsubscribe_url(*, user: User, category: str) -> str:
    token = unsubscribe_token(user=user, category=category)
    return absolute(reverse("notification-unsubscribe", args=[token]))


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render_mail(template: str, context: dict[str, Any]) -> Rendered:
    """Subject, text and HTML from ``notifications/mail/<template>*`` templates."""
    subject = render_to_string(f"notifications/mail/{template}_subject.txt", context)
    return Rendered(
        subject=" ".join(subject.split())[:300],
        text=render_to_string(f"notifications/mail/{template}.txt", context),
        html=render_to_string(f"notifications/mail/{template}.html", context),
    )


def _event_mail(event: OutboxEvent, user: User, category: str) -> Rendered | None:
    """The mail about one event for one person, in their language and time zone
    (None: gone)."""
    with translation.override(language_of(user)), timezone.override(zone_of(user)):
        line = registry.describe(event)
        if line is None:
            return None
        context: dict[str, Any] = {
            "user": user,
            "event": event,
            "what": EventKind(event.kind).label,
            "line": line,
            "url": absolute(line.url),
            "site_url": settings.SITE_URL,
            "unsubscribe_url": unsubscribe_url(user=user, category=category),
        }
        template = "event"
        subject = registry.SUBJECTS.get(event.subject_type)
        own = None if subject is None or subject.mail is None else subject.mail
        if own is not None:
            found = own(event, user)
            if found is not None:
                template = found[0]
                context.update(found[1])
        elif event.kind == EventKind.MATCH_INTRODUCED and event.subject_type == "match":
            match = (
                Match.objects.select_related(
                    "need__member_state__country", "programme__provider"
                )
                .filter(pk=event.subject_id)
                .first()
            )
            contacts = None if match is None else match_contacts(user=user, match=match)
            if match is not None and contacts is not None:
                template = "introduction"
                state_side = match.need.member_state_id in set(
                    user.memberships.values_list("member_state_id", flat=True)
                )
                context.update(
                    match=match,
                    other=contacts.provider if state_side else contacts.state,
                )
        return render_mail(template, context)


def mail_channel(delivery: registry.Delivery) -> None:
    """Queue a mail for each recipient who wants this category at once."""
    mail_batch([delivery])


def mail_batch(deliveries: list[registry.Delivery]) -> None:
    """The mail channel for many events: one preference read per category."""
    by_category: dict[str, list[registry.Delivery]] = {}
    for delivery in deliveries:
        category = CATEGORY_OF_KIND.get(delivery.event.kind)
        if delivery.event.kind in MAILED_ELSEWHERE or category is None:
            continue
        by_category.setdefault(category, []).append(delivery)
    now = timezone.now()
    rows = []
    for category, group in by_category.items():
        people = {u.pk: u for d in group for u in d.recipients if u.email}
        modes = mail_modes_for(users=people.values(), category=category)
        wanted = [
            d
            for d in group
            if any(modes.get(u.pk) == MailMode.IMMEDIATELY for u in d.recipients)
        ]
        # The subjects of the events that are mailed now, read together.
        registry.preload(d.event for d in wanted)
        for delivery in wanted:
            event = delivery.event
            for user in delivery.recipients:
                if not user.email or modes[user.pk] != MailMode.IMMEDIATELY:
                    continue
                rendered = _event_mail(event, user, category)
                if rendered is None:
                    continue
                rows.append(
                    MailMessage(
                        key=f"event:{event.key}:{user.pk}",
                        user=user,
                        event=event,
                        category=category,
                        to=user.email,
                        subject=rendered.subject,
                        text=rendered.text,
                        html=rendered.html,
                        next_attempt_at=now,
                    )
                )
    queue_mails(rows)


def queue_mails(rows: Sequence[MailMessage]) -> None:
    """Store mails (a key already there is skipped) and send them after commit."""
    if not rows:
        return
    MailMessage.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    transaction.on_commit(partial(_enqueue_send))


def _enqueue_send() -> None:
    send_mail_task.enqueue()


def queue_mail(
    *,
    recipients: Iterable[str],
    compose: Callable[[], tuple[str, str]],
    default: str | None = None,
    category: str = "",
    key: str | None = None,
) -> int:
    """Queue a mail to each address, in its owner's language; how many queued.

    The mails that are not about an event (a meeting request, a pitch
    decision, a join request's confirmation link, a disabled webhook): each
    address gets its own row in the mail outbox, written in the caller's
    transaction (a rollback sends nothing) and sent after the commit with the
    same retries and hourly cap as every other mail. ``compose`` returns
    (subject, body) and runs once per language under ``translation.override``.
    An address of an active account is that person's mail (their language,
    their cap; with a ``category``, their setting for it: only "immediately"
    mails now, as the centre and digests have the rest); any other address
    (no account yet) is capped per address and written in ``default``.
    ``category`` empty: a mail the person asked for or must have (no
    unsubscribe link). ``key`` makes a re-run queue nothing twice.
    """
    addresses = sorted({a for a in recipients if a})
    if not addresses:
        return 0
    owners: dict[str, User] = {}
    for user in User.objects.filter(email__in=addresses, is_active=True).order_by("pk"):
        owners.setdefault(user.email, user)
    modes = mail_modes_for(users=owners.values(), category=category) if category else {}
    fallback = default or translation.get_language() or settings.LANGUAGE_CODE
    prefix = key or f"mail:{uuid.uuid4().hex}"
    rendered: dict[str, tuple[str, str]] = {}
    now = timezone.now()
    rows = []
    for address in addresses:
        owner = owners.get(address)
        if owner is not None and modes.get(owner.pk, MailMode.IMMEDIATELY) != (
            MailMode.IMMEDIATELY
        ):
            continue
        language = (i18n.supported(owner.language) if owner else None) or fallback
        if language not in rendered:
            with translation.override(language):
                subject, body = compose()
                rendered[language] = (i18n.mail_subject(subject)[:300], str(body))
        subject, body = rendered[language]
        digest = hashlib.sha256(address.casefold().encode()).hexdigest()[:24]
        rows.append(
            MailMessage(
                key=f"{prefix}:{digest}"[-120:],
                user=owner,
                category=category if owner is not None else "",
                to=address,
                subject=subject,
                text=body,
                next_attempt_at=now,
            )
        )
    queue_mails(rows)
    return len(rows)


def _retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min ... at most an hour between tries (the first delay is
    ``NOTIFICATIONS_MAIL_RETRY_SECONDS``)."""
    first = settings.NOTIFICATIONS_MAIL_RETRY_SECONDS
    return timedelta(seconds=min(3600, first * 2 ** max(0, attempts - 1)))


def _claim(now: Any, limit: int, ids: Iterable[int] | None) -> list[int]:
    """Take pending rows nobody else holds (an UPDATE: safe between workers)."""
    due = MailMessage.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        status=MailStatus.PENDING,
        next_attempt_at__lte=now,
    )
    if ids is not None:
        due = due.filter(pk__in=list(ids))
    candidates = list(due.order_by("id").values_list("id", flat=True)[:limit])
    until = now + timedelta(seconds=CLAIM_SECONDS, microseconds=randbelow(999_999))
    MailMessage.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        pk__in=candidates,
        status=MailStatus.PENDING,
    ).update(claimed_until=until)
    # Rows another worker claimed in between carry its time, not ours.
    return list(
        MailMessage.objects.filter(pk__in=candidates, claimed_until=until).values_list(
            "id", flat=True
        )
    )


def _skip(mail: MailMessage, reason: str) -> None:
    mail.status = MailStatus.SKIPPED
    mail.last_error = reason
    mail.claimed_until = None
    mail.save(update_fields=["status", "last_error", "claimed_until"])


def _mail_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def _message(mail: MailMessage) -> EmailMultiAlternatives:
    headers = {
        # The same id on a resend: a receiver can drop the copy.
        "Message-ID": f"<{mail.key.replace(':', '.')}@{_mail_domain()}>",
        "Auto-Submitted": "auto-generated",
    }
    if mail.user is not None and mail.category:
        # Only a category someone can turn off has a way out (RFC 8058); a
        # confirmation link or an account notice is not a list.
        link = unsubscribe_url(user=mail.user, category=mail.category)
        headers["List-Unsubscribe"] = f"<{link}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=mail.subject, body=mail.text, to=[mail.to], headers=headers
    )
    if mail.html:
        message.attach_alternative(mail.html, "text/html")
    return message


def send_pending(*, ids: Iterable[int] | None = None, limit: int = 500) -> int:
    """Send due mails; returns how many went. Failures wait and are retried."""
    now = timezone.now()
    claimed = _claim(now, limit, ids)
    if not claimed:
        return 0
    hour_ago = now - timedelta(hours=1)
    sent = 0
    connection = None
    try:
        for mail in MailMessage.objects.filter(pk__in=claimed).select_related(
            "user", "event"
        ):
            if mail.user is not None and not mail.user.is_active:
                _skip(mail, "inactive user")
                continue
            if (
                mail.event is not None
                and mail.user is not None
                and not registry.may_see(mail.user, mail.event)
            ):
                _skip(mail, "no longer visible to the recipient")
                continue
            # The cap is per person; an address without an account has its own.
            recent = MailMessage.objects.filter(
                Q(user=mail.user) if mail.user is not None else Q(to=mail.to),
                sent_at__gte=hour_ago,
            ).count()
            if recent >= settings.NOTIFICATIONS_MAIL_HOURLY_CAP:
                mail.next_attempt_at = now + timedelta(hours=1)
                mail.claimed_until = None
                mail.save(update_fields=["next_attempt_at", "claimed_until"])
                continue
            try:
                if connection is None:
                    connection = mailers.default
                    connection.open()
                connection.send_messages([_message(mail)])
            except Exception as exc:  # SMTP down, refused, timed out
                logger.warning("mail %s not sent: %r", mail.pk, exc)
                mail.attempts += 1
                mail.last_error = repr(exc)[:500]
                mail.next_attempt_at = now + _retry_delay(mail.attempts)
                mail.claimed_until = None
                if mail.attempts >= settings.NOTIFICATIONS_MAIL_MAX_ATTEMPTS:
                    # An error for the operator, not an end: the mail stays
                    # pending and is tried again, at most hourly.
                    logger.error(
                        "mail %s still not sent after %s attempts; next try at %s",
                        mail.pk,
                        mail.attempts,
                        mail.next_attempt_at.isoformat(),
                    )
                mail.save(
                    update_fields=[
                        "attempts",
                        "last_error",
                        "next_attempt_at",
                        "claimed_until",
                    ]
                )
                connection = None  # a broken connection is not reused
                continue
            mail.status = MailStatus.SENT
            mail.sent_at = timezone.now()
            mail.attempts += 1
            mail.claimed_until = None
            mail.save(update_fields=["status", "sent_at", "attempts", "claimed_until"])
            sent += 1
    finally:
        if connection is not None:
            with contextlib.suppress(Exception):  # closing a dead connection
                connection.close()
    return sent


@task
def send_mail_task() -> int:
    """Send the mails that are due (queued ones, and retries whose time came)."""
    return send_pending()
