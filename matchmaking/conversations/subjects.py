"""Who hears about a new message, and what they read (an outbox subject).

The event names the message by id. Its audience is the other side of the
match: the people of the provider when the state wrote (while the provider
may see the need), the people of the state when the provider wrote. Each
channel re-checks at delivery that the reader may still see the match and
that the message is not hidden: a message hidden before its mail leaves is
not sent.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from matchmaking import selectors
from matchmaking.conversations.text import message_html
from matchmaking.models import Message
from matchmaking.models import MessageSide
from matchmaking.models import OutboxEvent
from matchmaking.models import User
from matchmaking.notifications import Description
from matchmaking.notifications import Subject
from matchmaking.notifications import register_subject


def _message(event: OutboxEvent) -> Message | None:
    return (
        Message.objects.select_related(
            "author", "match__need__member_state__country", "match__programme__provider"
        )
        .filter(pk=event.subject_id)
        .first()
    )


def _audience(event: OutboxEvent) -> list[User]:
    message = _message(event)
    if message is None or message.is_hidden:
        return []
    match = message.match
    if message.side == MessageSide.STATE:
        if (
            not selectors.needs_visible_to_provider(
                provider_id=match.programme.provider_id
            )
            .filter(pk=match.need_id)
            .exists()
        ):
            return []
        rule = Q(memberships__provider_id=match.programme.provider_id)
    else:
        rule = Q(memberships__member_state_id=match.need.member_state_id)
    return list(User.objects.filter(rule, is_active=True).distinct().order_by("pk"))


def visible_ids(user: User, ids: list[int]) -> set[int]:
    """Which of these messages the user may see now (shown, on a visible match)."""
    return set(
        Message.objects.filter(
            pk__in=ids,
            hidden_at__isnull=True,
            match__in=selectors.matches_visible_to(user=user).values("pk"),
        ).values_list("pk", flat=True)
    )


def _may_see(user: User, event: OutboxEvent) -> bool:
    return event.subject_id in visible_ids(user, [event.subject_id])


def author_name(message: Message) -> str:
    """The writer's name (their organisation's when the account is gone)."""
    if message.author is not None:
        return message.author.get_full_name() or message.author.username
    return organisation_of(message)


def organisation_of(message: Message) -> str:
    match = message.match
    if message.side == MessageSide.STATE:
        return str(match.need.member_state)
    return str(match.programme.provider.name)


def _describe(event: OutboxEvent) -> Description | None:
    message = _message(event)
    if message is None:
        return None
    match = message.match
    return Description(
        title=_("New message from %(name)s (%(organisation)s): %(programme)s")
        % {
            "name": author_name(message),
            "organisation": organisation_of(message),
            "programme": match.programme.title,
        },
        url=reverse("match-detail", args=[match.pk]) + "#conversation",
    )


def _mail(event: OutboxEvent, user: User) -> tuple[str, dict[str, Any]] | None:
    """The message mail's template and what it shows (the text itself included)."""
    message = _message(event)
    if message is None or message.is_hidden:
        return None
    return "message", {
        "message": message,
        "match": message.match,
        "author": author_name(message),
        "organisation": organisation_of(message),
        "body_html": message_html(message.body),
    }


MESSAGE = Subject(
    audience=_audience,
    may_see=_may_see,
    describe=_describe,
    visible_ids=visible_ids,
    mail=_mail,
)


def register() -> None:
    """Tell the outbox how to deliver ``message.new`` events (from ``ready()``)."""
    register_subject("message", MESSAGE)
