"""Writes of conversations: posting a message, a curator hiding one, reading.

A new message records a ``message.new`` outbox event in the same transaction
(docs/notifications.md): the other side hears of it in the notification
centre, by mail in their language and through their webhooks.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from matchmaking import audit
from matchmaking import notifications
from matchmaking import selectors
from matchmaking.conversations.selectors import OPEN_STATUSES
from matchmaking.conversations.selectors import side_of
from matchmaking.models import NOTE_TEXT
from matchmaking.models import ConversationRead
from matchmaking.models import EventKind
from matchmaking.models import Match
from matchmaking.models import Message
from matchmaking.models import User


def _clean_text(text: str) -> str:
    """One kind of line break, no trailing spaces, no invisible control characters."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = "\n".join(line.rstrip() for line in lines).strip()
    return "".join(ch for ch in kept if ch in "\n\t" or ord(ch) >= 32)


@transaction.atomic
def post_message(*, user: User, match: Match, body: str) -> Message:
    """A party writes to the other side; a ``message.new`` event goes with it."""
    match = (
        Match.objects.select_for_update()
        .select_related("need", "programme")
        .get(pk=match.pk)
    )
    side = side_of(user=user, match=match)
    if side is None:
        raise PermissionDenied
    if match.status not in OPEN_STATUSES:
        raise ValidationError(
            {
                "body": _(
                    "The conversation opens once the provider has accepted and "
                    "introduced both sides."
                )
            }
        )
    text = _clean_text(body)
    if not text:
        raise ValidationError({"body": _("Write a message.")})
    if len(text) > NOTE_TEXT:
        raise ValidationError(
            {
                "body": _(
                    "A message has at most %(limit)s characters (this one %(n)s)."
                )
                % {"limit": NOTE_TEXT, "n": len(text)}
            }
        )
    message = Message(match=match, author=user, side=side, body=text)
    message.full_clean(exclude=["match", "author", "hidden_by"])
    message.save()
    notifications.record(
        EventKind.MESSAGE_NEW, message, actor=user, payload={"match": match.pk}
    )
    _mark(user=user, match=match, up_to=message.pk)
    return message


@transaction.atomic
def hide_message(*, user: User, message: Message, reason: str) -> Message:
    """A curator hides a message; the parties read the reason instead (audited)."""
    if not selectors.is_curator(user):
        raise PermissionDenied
    reason = _clean_text(reason)
    if not reason:
        raise ValidationError({"reason": _("Say why the message is hidden.")})
    if len(reason) > NOTE_TEXT:
        raise ValidationError(
            {
                "reason": _("A reason has at most %(limit)s characters.")
                % {"limit": NOTE_TEXT}
            }
        )
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.hidden_at is not None:
        raise ValidationError({"message": _("This message is hidden already.")})
    message.hidden_at = timezone.now()
    message.hidden_by = user
    message.hidden_reason = reason
    message.full_clean(exclude=["match", "author", "hidden_by"])
    audit.set_change_reason(message, "hidden by the secretariat")
    message._history_user = user  # type: ignore[attr-defined]  # API calls too
    message.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
    return message


def _mark(*, user: User, match: Match, up_to: int) -> None:
    marker, created = ConversationRead.objects.get_or_create(
        user=user, match=match, defaults={"last_read_id": up_to}
    )
    if not created and marker.last_read_id < up_to:
        # Only forwards, even when two tabs mark at once.
        ConversationRead.objects.filter(pk=marker.pk, last_read_id__lt=up_to).update(
            last_read_id=up_to, read_at=timezone.now()
        )


def mark_read(*, user: User, match: Match) -> int:
    """The user has read the match's conversation up to now; the id read to."""
    if not user.is_authenticated:
        return 0
    newest = (
        Message.objects.filter(match=match)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    if newest is None:
        return 0
    _mark(user=user, match=match, up_to=newest)
    return newest
