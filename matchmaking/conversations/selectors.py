"""Reads of conversations: who may read and write, the messages, what is unread.

Reading goes with seeing the match (``selectors.matches_visible_to``: its two
sides and curators); writing is for the people of the two sides, once the
match is introduced (docs/notifications.md, "Conversations").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count
from django.db.models import Exists
from django.db.models import F
from django.db.models import OuterRef
from django.db.models import Q
from django.db.models import QuerySet
from django.db.models import Subquery
from django.db.models import Value
from django.db.models.functions import Coalesce

from matchmaking import selectors
from matchmaking.enums import MatchStatus
from matchmaking.models import ConversationRead
from matchmaking.models import Match
from matchmaking.models import Message
from matchmaking.models import MessageSide
from matchmaking.models import User
from matchmaking.selectors import AnyUser

# The steps at which the two sides know each other and may write: from the
# introduction on (docs/notifications.md). Before it there is no
# conversation; after a decline what was said stays readable.
OPEN_STATUSES = frozenset(
    {
        MatchStatus.INTRODUCED,
        MatchStatus.AGREED,
        MatchStatus.IN_DELIVERY,
        MatchStatus.COMPLETED,
    }
)


def is_open(match: Match) -> bool:
    """Whether the match is at a step where its two sides may write."""
    return match.status in OPEN_STATUSES


def side_of(*, user: AnyUser, match: Match) -> str | None:
    """The side the user writes for on this match (None: not a party)."""
    if not (user.is_authenticated and user.is_active):
        return None
    if match.need.member_state_id in selectors.member_state_ids(user=user):
        return MessageSide.STATE
    if (
        match.programme.provider_id in selectors.provider_ids(user=user)
        and selectors.matches_visible_to(user=user).filter(pk=match.pk).exists()
    ):
        return MessageSide.PROVIDER
    return None


def may_write(*, user: AnyUser, match: Match) -> bool:
    """People of the two sides, once the match is introduced (curators read)."""
    return is_open(match) and side_of(user=user, match=match) is not None


def messages_of(*, match: Match) -> QuerySet[Message]:
    """The messages of a match the caller read through ``matches_visible_to``
    (whoever may see the match reads its conversation), oldest first."""
    return (
        Message.objects.filter(match=match)
        .select_related("author", "hidden_by")
        .order_by("id")
    )


def message_visible_to(*, user: AnyUser, pk: int) -> Message | None:
    """One message, if the user may see its match."""
    return (
        Message.objects.filter(
            pk=pk,
            match__in=selectors.matches_visible_to(user=user).values("pk"),
        )
        .select_related("match__need", "match__programme", "author")
        .first()
    )


def party_matches(*, user: AnyUser) -> QuerySet[Match]:
    """Matches the user sees as a member of one of their two sides."""
    states = selectors.member_state_ids(user=user)
    providers = selectors.provider_ids(user=user)
    if not (states or providers):
        return Match.objects.none()
    return selectors.matches_visible_to(user=user).filter(
        Q(need__member_state_id__in=states) | Q(programme__provider_id__in=providers)
    )


def last_read_id(*, user: AnyUser, match: Match) -> int:
    """The id of the last message of the match the user has read (0: none)."""
    if not user.is_authenticated:
        return 0
    found = (
        ConversationRead.objects.filter(user_id=user.pk, match=match)
        .values_list("last_read_id", flat=True)
        .first()
    )
    return found or 0


def _unread(user: User) -> QuerySet[Message]:
    """Messages others wrote that the user has not read yet (hidden ones aside)."""
    marker = ConversationRead.objects.filter(
        user_id=user.pk, match_id=OuterRef("match_id")
    ).values("last_read_id")[:1]
    return (
        Message.objects.filter(hidden_at__isnull=True)
        .exclude(author_id=user.pk)
        .alias(seen=Coalesce(Subquery(marker), Value(0)))
        .filter(id__gt=F("seen"))
    )


def unread_count(*, user: AnyUser) -> int:
    """Unread messages in all the user's conversations (the header's count)."""
    if not (user.is_authenticated and user.is_active):
        return 0
    matches = party_matches(user=user)
    if matches.query.is_empty():  # no state or provider: no conversation
        return 0
    return _unread(user).filter(match__in=matches.values("pk")).count()


@dataclass(frozen=True)
class Conversation:
    """One line of the user's conversations: the match, its messages, unread."""

    match: Match
    messages: int
    unread: int
    last_at: datetime | None


def conversations_of(*, user: AnyUser) -> QuerySet[Match]:
    """The user's matches with a conversation (open, or with messages), latest first."""
    if not (user.is_authenticated and user.is_active):
        return Match.objects.none()
    newest = Message.objects.filter(match=OuterRef("pk")).order_by("-id")
    return (
        party_matches(user=user)
        .filter(Q(status__in=OPEN_STATUSES) | Exists(newest))
        .select_related("need__member_state__country", "programme__provider")
        .annotate(last_at=Subquery(newest.values("created_at")[:1]))
        .order_by(F("last_at").desc(nulls_last=True), "-updated_at", "-id")
    )


def with_counts(*, user: User, matches: list[Match]) -> list[Conversation]:
    """The lines of these matches with message and unread counts (two queries)."""
    ids = [m.pk for m in matches]
    totals = dict(
        Message.objects.filter(match_id__in=ids)
        .values("match_id")
        .annotate(n=Count("id"))
        .values_list("match_id", "n")
    )
    unread = dict(
        _unread(user)
        .filter(match_id__in=ids)
        .values("match_id")
        .annotate(n=Count("id"))
        .values_list("match_id", "n")
    )
    return [
        Conversation(
            match=m,
            messages=totals.get(m.pk, 0),
            unread=unread.get(m.pk, 0),
            last_at=getattr(m, "last_at", None),
        )
        for m in matches
    ]
