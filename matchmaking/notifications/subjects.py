"""Matchmaking's subjects: who hears about a match or a need, and what they read."""

from __future__ import annotations

from typing import Any
from typing import cast

from django.db.models import Q
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from matchmaking import selectors
from matchmaking.enums import MembershipRole
from matchmaking.models import EventKind
from matchmaking.models import Match
from matchmaking.models import Membership
from matchmaking.models import Need
from matchmaking.models import OutboxEvent
from matchmaking.models import User
from matchmaking.notifications.registry import RECIPIENT_FIELDS
from matchmaking.notifications.registry import Description
from matchmaking.notifications.registry import Subject


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


# Set on an event by a preload: its subject, read with many others.
_PRELOADED = "_preloaded_subject"


# What a match's audience and line need: its ids and the two titles (a full
# need and programme per event was most of a fan-out batch's reading).
_MATCH_FIELDS = (
    "need",
    "programme",
    "need__member_state",
    "need__title",
    "programme__provider",
    "programme__title",
)


def _matches() -> QuerySet[Match]:
    return Match.objects.select_related("need", "programme").only(*_MATCH_FIELDS)


def _match(event: OutboxEvent) -> Match | None:
    if hasattr(event, _PRELOADED):
        return cast("Match | None", getattr(event, _PRELOADED))
    return _matches().filter(pk=event.subject_id).first()


def _preload_matches(events: list[OutboxEvent]) -> dict[int, Match]:
    found = _matches().in_bulk(sorted({e.subject_id for e in events}))
    for event in events:
        setattr(event, _PRELOADED, found.get(event.subject_id))
    return found


def _preload_match_subjects(events: list[OutboxEvent]) -> None:
    _preload_matches(events)


def _match_audiences(events: list[OutboxEvent]) -> dict[int, list[User]]:
    """``_match_audience`` for many events: four queries in all (the matches'
    sides, which need/provider pairs may see each other, the memberships of
    those sides, their active people), whatever the number of events."""
    sides = selectors.match_sides(ids=(e.subject_id for e in events))
    visible = selectors.need_provider_pairs_visible(
        pairs={(need, provider) for need, _state, provider in sides.values()}
    )
    states = {state for _need, state, _provider in sides.values()}
    providers = {provider for _need, _state, provider in sides.values()}
    by_state: dict[int, set[int]] = {}
    by_provider: dict[int, set[int]] = {}
    for user_id, state, provider in Membership.objects.filter(
        Q(member_state_id__in=states) | Q(provider_id__in=providers)
    ).values_list("user_id", "member_state_id", "provider_id"):
        if state in states:
            by_state.setdefault(state, set()).add(user_id)
        if provider in providers:
            by_provider.setdefault(provider, set()).add(user_id)
    people = (
        User.objects.filter(is_active=True)
        .only(*RECIPIENT_FIELDS)
        .in_bulk(sorted(set().union(*by_state.values(), *by_provider.values())))
    )
    found: dict[int, list[User]] = {}
    for event in events:
        side = sides.get(event.subject_id)
        if side is None:
            found[event.pk] = []
            continue
        need, state, provider = side
        ids: set[int] = set()
        if event.payload.get("side") != "provider":
            ids |= by_state.get(state, set())
        if (need, provider) in visible:
            ids |= by_provider.get(provider, set())
        found[event.pk] = [people[pk] for pk in sorted(ids) if pk in people]
    return found


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


def _match_visible_ids_many(
    asks: dict[Any, tuple[User, list[int]]],
) -> dict[Any, set[int]]:
    return selectors.matches_visible_to_many(asks=asks)


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


def _need_audiences(events: list[OutboxEvent]) -> dict[int, list[User]]:
    """``_need_audience`` for many events (the secretariat read once)."""
    secretariat: list[User] | None = None
    found = {}
    for event in events:
        if is_reminder(event, "needed_by"):
            found[event.pk] = _need_audience(event)
            continue
        if secretariat is None:
            secretariat = _need_audience(event)
        found[event.pk] = secretariat
    return found


def _preload_needs(events: list[OutboxEvent]) -> None:
    found = Need.objects.only("ref", "title", "needed_by").in_bulk(
        sorted({e.subject_id for e in events})
    )
    for event in events:
        setattr(event, _PRELOADED, found.get(event.subject_id))


def _need_describe(event: OutboxEvent) -> Description | None:
    if hasattr(event, _PRELOADED):
        need = getattr(event, _PRELOADED)
    else:
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
    by_organisation=True,
    audiences=_match_audiences,
    preload=_preload_match_subjects,
    visible_ids_many=_match_visible_ids_many,
)
NEED = Subject(
    audience=_need_audience,
    may_see=_need_may_see,
    describe=_need_describe,
    visible_ids=_need_visible_ids,
    by_organisation=True,
    audiences=_need_audiences,
    preload=_preload_needs,
)
