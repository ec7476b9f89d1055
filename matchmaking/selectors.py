"""Reads with visibility built in: every list, detail, count and export uses them.

The rule for needs (DATASET.md): ``public`` needs are seen by anyone,
``registered`` needs by signed-in member-state and provider users, and
``confidential`` needs by the owning state, curators and the providers the
state shares them with. Drafts are seen by their own state and curators only.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from matchmaking.enums import NeedStatus, ProgrammeStatus, Visibility
from matchmaking.models import (
    Match,
    Membership,
    Need,
    Programme,
    Provider,
    User,
)

AnyUser = User | AnonymousUser


def is_curator(user: AnyUser) -> bool:
    """Curators (and superusers) see and edit everything."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_curator or user.is_superuser)
    )


def member_state_ids(*, user: AnyUser) -> set[int]:
    """The member states the user acts for."""
    if not user.is_authenticated:
        return set()
    return set(
        Membership.objects.filter(user=user, member_state__isnull=False).values_list(
            "member_state_id", flat=True
        )
    )


def provider_ids(*, user: AnyUser) -> set[int]:
    """The providers the user acts for."""
    if not user.is_authenticated:
        return set()
    return set(
        Membership.objects.filter(user=user, provider__isnull=False).values_list(
            "provider_id", flat=True
        )
    )


def need_visibility_q(*, user: AnyUser) -> Q | None:
    """The filter of needs the user may see; None means all of them."""
    if is_curator(user):
        return None
    published = ~Q(status=NeedStatus.DRAFT)
    visible = published & Q(visibility=Visibility.PUBLIC)
    if user.is_authenticated and user.is_active:
        states = member_state_ids(user=user)
        providers = provider_ids(user=user)
        if states or providers:
            visible |= published & Q(visibility=Visibility.REGISTERED)
        if states:
            visible |= Q(member_state_id__in=states)
        if providers:
            visible |= (
                published
                & Q(visibility=Visibility.CONFIDENTIAL)
                & Q(shared_with__in=providers)
            )
    return visible


def needs_visible_to(*, user: AnyUser, with_tags: bool = True) -> QuerySet[Need]:
    """Needs the user may see, with their relations (and tags) loaded.

    ``with_tags=False`` skips the five tag prefetches, for pages that show none.
    """
    qs = Need.objects.all()
    rule = need_visibility_q(user=user)
    if rule is not None:
        # The shared_with join can repeat a row; filter by id to keep it flat.
        qs = qs.filter(pk__in=Need.objects.filter(rule).values("pk"))
    qs = qs.select_related("member_state__country", "priority")
    if not with_tags:
        return qs
    return qs.prefetch_related(
        "topics", "assistance_types", "audiences", "languages", "delivery_modes"
    )


def programme_visibility_q(*, user: AnyUser) -> Q | None:
    """The filter of programmes the user may see; None means all of them."""
    if is_curator(user):
        return None
    visible = ~Q(status=ProgrammeStatus.DRAFT)
    providers = provider_ids(user=user)
    if providers:
        visible |= Q(provider_id__in=providers)
    return visible


def programmes_visible_to(
    *, user: AnyUser, with_tags: bool = True
) -> QuerySet[Programme]:
    """Programmes the user may see: anything not a draft, plus their own drafts.

    ``with_tags=False`` skips the seven tag prefetches, for pages that show none.
    """
    qs = Programme.objects.all()
    rule = programme_visibility_q(user=user)
    if rule is not None:
        qs = qs.filter(rule)
    qs = qs.select_related("provider", "cost_model")
    if not with_tags:
        return qs
    return qs.prefetch_related(
        "topics",
        "assistance_types",
        "audiences",
        "languages",
        "delivery_modes",
        "eligible_regions",
        "eligible_countries",
    )


def providers_visible_to(*, user: AnyUser) -> QuerySet[Provider]:
    """Providers are public organisations."""
    return Provider.objects.select_related("stakeholder_group", "country")


def matches_visible_to(*, user: AnyUser) -> QuerySet[Match]:
    """Matches seen by curators and the parties: the need's state, the provider."""
    qs = Match.objects.select_related(
        "need__member_state__country", "programme__provider"
    )
    if is_curator(user):
        return qs
    if not (user.is_authenticated and user.is_active):
        return qs.none()
    states = member_state_ids(user=user)
    providers = provider_ids(user=user)
    visible_needs = needs_visible_to(user=user).values("pk")
    return qs.filter(
        Q(need__member_state_id__in=states)
        | (Q(programme__provider_id__in=providers) & Q(need_id__in=visible_needs))
    )


@dataclass(frozen=True)
class PlatformFigures:
    """Live counts for the home page."""

    open_needs: int
    published_programmes: int
    providers: int
    member_states: int


def platform_figures(*, user: AnyUser) -> PlatformFigures:
    """Counts of what the user may see."""
    from matchmaking.enums import ACTIVE_NEED_STATUSES

    return PlatformFigures(
        open_needs=needs_visible_to(user=user)
        .filter(status__in=ACTIVE_NEED_STATUSES)
        .count(),
        published_programmes=programmes_visible_to(user=user)
        .filter(status=ProgrammeStatus.PUBLISHED)
        .count(),
        providers=Provider.objects.count(),
        # Counted over visible needs: a state whose needs are all hidden from
        # this user must not show up as a state with needs.
        member_states=needs_visible_to(user=user)
        .filter(status__in=ACTIVE_NEED_STATUSES)
        .order_by()
        .values("member_state_id")
        .distinct()
        .count(),
    )
