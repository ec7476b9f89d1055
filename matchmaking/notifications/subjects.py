"""Matchmaking's subjects: who hears about a match or a need, and what they read."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from matchmaking import selectors
from matchmaking.models import EventKind, Match, Need, OutboxEvent, User
from matchmaking.notifications.registry import Description, Subject


def match_parties(match: Match) -> list[User]:
    """People of the need's state, and of the provider when it may see the need."""
    rule = Q(memberships__member_state_id=match.need.member_state_id)
    if (
        selectors.needs_visible_to_provider(provider_id=match.programme.provider_id)
        .filter(pk=match.need_id)
        .exists()
    ):
        rule |= Q(memberships__provider_id=match.programme.provider_id)
    return list(User.objects.filter(rule, is_active=True).distinct().order_by("pk"))


def _match(event: OutboxEvent) -> Match | None:
    return (
        Match.objects.select_related("need", "programme__provider")
        .filter(pk=event.subject_id)
        .first()
    )


def _match_audience(event: OutboxEvent) -> list[User]:
    match = _match(event)
    return [] if match is None else match_parties(match)


def _match_may_see(user: User, event: OutboxEvent) -> bool:
    return selectors.matches_visible_to(user=user).filter(pk=event.subject_id).exists()


def _match_visible_ids(user: User, ids: list[int]) -> set[int]:
    return set(
        selectors.matches_visible_to(user=user)
        .filter(pk__in=ids)
        .values_list("pk", flat=True)
    )


def _need_visible_ids(user: User, ids: list[int]) -> set[int]:
    return set(
        selectors.needs_visible_to(user=user, with_tags=False)
        .filter(pk__in=ids)
        .values_list("pk", flat=True)
    )


def _match_describe(event: OutboxEvent) -> Description | None:
    match = _match(event)
    if match is None:
        return None
    return Description(
        title=_("%(what)s: %(need)s ↔ %(programme)s")
        % {
            "what": EventKind(event.kind).label,
            "need": match.need.title,
            "programme": match.programme.title,
        },
        url=reverse("match-detail", args=[match.pk]),
    )


def _need_audience(event: OutboxEvent) -> list[User]:
    # Events about a need itself go to the secretariat (a need left unmet).
    return list(
        User.objects.filter(Q(is_curator=True) | Q(is_superuser=True), is_active=True)
    )


def _need_may_see(user: User, event: OutboxEvent) -> bool:
    return (
        selectors.needs_visible_to(user=user, with_tags=False)
        .filter(pk=event.subject_id)
        .exists()
    )


def _need_describe(event: OutboxEvent) -> Description | None:
    need = Need.objects.filter(pk=event.subject_id).only("ref", "title").first()
    if need is None:
        return None
    return Description(
        title=_("%(what)s: %(need)s")
        % {"what": EventKind(event.kind).label, "need": need.title},
        url=reverse("need-detail", args=[need.ref]),
    )


MATCH = Subject(
    audience=_match_audience,
    may_see=_match_may_see,
    describe=_match_describe,
    visible_ids=_match_visible_ids,
)
NEED = Subject(
    audience=_need_audience,
    may_see=_need_may_see,
    describe=_need_describe,
    visible_ids=_need_visible_ids,
)
