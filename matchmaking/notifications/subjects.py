"""Matchmaking's subjects: who hears about a match or a need, and what they read."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from matchmaking import selectors
from matchmaking.enums import MembershipRole
from matchmaking.models import EventKind, Match, Need, OutboxEvent, User
from matchmaking.notifications.registry import Description, Subject


def match_parties(match: Match, *, state_side: bool = True) -> list[User]:
    """People of the need's state, and of the provider when it may see the need.

    ``state_side`` False: the provider's people only (a reminder that the
    provider owes an answer).
    """
    rule = Q(memberships__member_state_id=match.need.member_state_id)
    if not state_side:
        rule = Q(pk__in=[])
    if (
        selectors.needs_visible_to_provider(provider_id=match.programme.provider_id)
        .filter(pk=match.need_id)
        .exists()
    ):
        rule |= Q(memberships__provider_id=match.programme.provider_id)
    return list(User.objects.filter(rule, is_active=True).distinct().order_by("pk"))


def is_reminder(event: OutboxEvent, rule: str) -> bool:
    """Whether the event is a reminder recorded by ``rule``."""
    return event.kind == EventKind.REMINDER and event.payload.get("rule") == rule


def _match(event: OutboxEvent) -> Match | None:
    return (
        Match.objects.select_related("need", "programme__provider")
        .filter(pk=event.subject_id)
        .first()
    )


def _match_audience(event: OutboxEvent) -> list[User]:
    match = _match(event)
    if match is None:
        return []
    return match_parties(match, state_side=event.payload.get("side") != "provider")


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
    names = {"need": match.need.title, "programme": match.programme.title}
    if is_reminder(event, "interest"):
        title = _(
            "Reminder: interest has waited %(days)s days for your answer: "
            "%(need)s ↔ %(programme)s"
        ) % {**names, "days": event.payload.get("days", "")}
    else:
        title = _("%(what)s: %(need)s ↔ %(programme)s") % {
            **names,
            "what": EventKind(event.kind).label,
        }
    return Description(title=title, url=reverse("match-detail", args=[match.pk]))


def need_focal_points(need: Need) -> list[User]:
    """Who answers for a need: its author, else its state's focal points, else
    anyone acting for the state (active members of the state only)."""
    members = User.objects.filter(
        memberships__member_state_id=need.member_state_id, is_active=True
    ).distinct()
    if need.owner_id is not None:
        owner = list(members.filter(pk=need.owner_id))
        if owner:
            return owner
    focal = list(
        members.filter(memberships__role=MembershipRole.FOCAL_POINT).order_by("pk")
    )
    return focal or list(members.order_by("pk"))


def _need_audience(event: OutboxEvent) -> list[User]:
    if is_reminder(event, "needed_by"):
        need = Need.objects.filter(pk=event.subject_id).first()
        return [] if need is None else need_focal_points(need)
    # Other events about a need itself go to the secretariat (a need left unmet).
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
    need = (
        Need.objects.filter(pk=event.subject_id)
        .only("ref", "title", "needed_by")
        .first()
    )
    if need is None:
        return None
    if is_reminder(event, "needed_by"):
        title = _(
            "Reminder: %(need)s is needed by %(date)s and no match is agreed yet"
        ) % {
            "need": need.title,
            "date": formats.date_format(need.needed_by, "DATE_FORMAT")
            if need.needed_by
            else "",
        }
    else:
        title = _("%(what)s: %(need)s") % {
            "what": EventKind(event.kind).label,
            "need": need.title,
        }
    return Description(title=title, url=reverse("need-detail", args=[need.ref]))


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
