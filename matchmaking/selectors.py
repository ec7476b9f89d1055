"""Reads with visibility built in: every list, detail, count and export uses them.

The rule for needs (docs/DATASET.md): ``public`` needs are seen by anyone,
``registered`` needs by signed-in users of a member state or a *verified*
provider (anyone may register an unverified provider), and
``confidential`` needs by the owning state, curators and the providers the
state shares them with. Drafts are seen by their own state and curators only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any
from typing import cast

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists
from django.db.models import Q
from django.db.models import QuerySet
from django.utils import timezone

from matchmaking.enums import ACTIVE_NEED_STATUSES
from matchmaking.enums import MembershipRole
from matchmaking.enums import NeedStatus
from matchmaking.enums import ProgrammeStatus
from matchmaking.enums import Visibility
from matchmaking.models import TAG_FIELDS
from matchmaking.models import ApiToken
from matchmaking.models import Invitation
from matchmaking.models import JoinRequest
from matchmaking.models import JoinStatus
from matchmaking.models import Match
from matchmaking.models import Membership
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.models import Provider
from matchmaking.models import SavedSearch
from matchmaking.models import User
from matchmaking.models import WebhookEndpoint

AnyUser = User | AnonymousUser


def is_curator(user: AnyUser) -> bool:
    """Curators (and superusers) see and edit everything."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_curator or user.is_superuser)
    )


# A read of the API asks for the user's memberships several times (who may see
# the record, then its matches): for such a request the API layer lets them be
# read once, both kinds in one query, and kept on the user object until the
# request ends (``memoise_memberships``; nothing in a read changes them).
_MEMO = "_cbm_memberships"


def memoise_memberships(*, user: AnyUser, enabled: bool = True) -> None:
    """Read the user's memberships at most once for the rest of this request
    (``enabled=False``: read them afresh every time, as by default)."""
    if not user.is_authenticated:
        return
    if enabled:
        setattr(user, _MEMO, {})
    elif hasattr(user, _MEMO):
        delattr(user, _MEMO)


def _membership_ids(user: User, column: str) -> set[int]:
    memo: dict[str, set[int]] | None = getattr(user, _MEMO, None)
    if memo is None:
        # No ordering: Membership's default one joins the user for nothing.
        return set(
            Membership.objects.filter(user=user, **{f"{column}__isnull": False})
            .order_by()
            .values_list(column, flat=True)
        )
    if not memo:
        memo.update(member_state_id=set(), provider_id=set())
        rows = (
            Membership.objects.filter(user=user)
            .order_by()
            .values_list("member_state_id", "provider_id")
        )
        for state, provider in rows:
            if state is not None:
                memo["member_state_id"].add(state)
            if provider is not None:
                memo["provider_id"].add(provider)
    return set(memo[column])


def memberships(*, user: AnyUser) -> tuple[set[int], set[int]]:
    """The member states and the providers the user acts for, in one query
    (none when the request's memo has them)."""
    if not user.is_authenticated:
        return set(), set()
    if getattr(user, _MEMO, None) is not None:
        return (
            _membership_ids(user, "member_state_id"),
            _membership_ids(user, "provider_id"),
        )
    states: set[int] = set()
    providers: set[int] = set()
    for state, provider in (
        Membership.objects.filter(user=user)
        .order_by()
        .values_list("member_state_id", "provider_id")
    ):
        if state is not None:
            states.add(state)
        if provider is not None:
            providers.add(provider)
    return states, providers


def member_state_ids(*, user: AnyUser) -> set[int]:
    """The member states the user acts for."""
    if not user.is_authenticated:
        return set()
    return _membership_ids(user, "member_state_id")


def provider_ids(*, user: AnyUser) -> set[int]:
    """The providers the user acts for."""
    if not user.is_authenticated:
        return set()
    return _membership_ids(user, "provider_id")


def need_visibility_q(
    *,
    user: AnyUser,
    states: set[int] | None = None,
    providers: set[int] | None = None,
) -> Q | None:
    """The filter of needs the user may see; None means all of them.

    ``states`` and ``providers``: the user's, when the caller has read them.
    """
    if is_curator(user):
        return None
    published = ~Q(status=NeedStatus.DRAFT)
    visible = published & Q(visibility=Visibility.PUBLIC)
    if user.is_authenticated and user.is_active:
        if states is None:
            states = member_state_ids(user=user)
        if providers is None:
            providers = provider_ids(user=user)
        # Registered organisations: member states (set up by curators) and
        # providers a curator verified. Registering a provider is open to any
        # account, so an unverified one must not open these needs (checked in
        # the same query: no extra round trip).
        if states:
            visible |= published & Q(visibility=Visibility.REGISTERED)
        elif providers:
            visible |= (
                published
                & Q(visibility=Visibility.REGISTERED)
                & Q(Exists(Provider.objects.filter(pk__in=providers, is_verified=True)))
            )
        if states:
            visible |= Q(member_state_id__in=states)
        if providers:
            visible |= (
                published
                & Q(visibility=Visibility.CONFIDENTIAL)
                & Q(shared_with__in=providers)
            )
    return visible


def needs_visible_to_provider(*, provider_id: int) -> QuerySet[Need]:
    """Needs every member of a provider may see: published public ones,
    registered ones once the provider is verified, and confidential ones the
    owning state shares with the provider."""
    published = ~Q(status=NeedStatus.DRAFT)
    registered = Q(visibility=Visibility.REGISTERED) & Exists(
        Provider.objects.filter(pk=provider_id, is_verified=True)
    )
    shared = Q(visibility=Visibility.CONFIDENTIAL) & Q(
        pk__in=Need.shared_with.through.objects.filter(provider_id=provider_id).values(
            "need_id"
        )
    )
    return Need.objects.filter(
        published & (Q(visibility=Visibility.PUBLIC) | registered | shared)
    )


def need_provider_pairs_visible(
    *, pairs: Iterable[tuple[int, int]]
) -> set[tuple[int, int]]:
    """Which (need id, provider id) pairs ``needs_visible_to_provider`` allows,
    in few queries: published public needs (the rule's first part, one query)
    for every provider, the rest through the selector once per provider."""
    pairs = set(pairs)
    public = set(
        Need.objects.filter(
            pk__in=sorted({need for need, _provider in pairs}),
            visibility=Visibility.PUBLIC,
        )
        .exclude(status=NeedStatus.DRAFT)
        .values_list("pk", flat=True)
    )
    found = {(need, provider) for need, provider in pairs if need in public}
    rest: dict[int, set[int]] = {}
    for need, provider in pairs:
        if need not in public:
            rest.setdefault(provider, set()).add(need)
    for provider, needs in rest.items():
        found |= {
            (need, provider)
            for need in needs_visible_to_provider(provider_id=provider)
            .filter(pk__in=sorted(needs))
            .values_list("pk", flat=True)
        }
    return found


@dataclass(frozen=True)
class Signature:
    """What a person's view of needs and matches depends on: the role, the
    account's state and the organisations. Two people with the same signature
    see the same needs and matches."""

    curator: bool
    active: bool
    states: frozenset[int]
    providers: frozenset[int]


def signature_of(*, user: AnyUser) -> Signature:
    """The user's ``Signature``: everything the visibility rules of needs,
    programmes and matches read of a user (a curator's organisations change
    nothing, so they are not read; others' through the request's memo)."""
    if is_curator(user):
        return Signature(
            curator=True, active=True, states=frozenset(), providers=frozenset()
        )
    states, providers = memberships(user=user)
    return Signature(
        curator=False,
        active=bool(user.is_authenticated and user.is_active),
        states=frozenset(states),
        providers=frozenset(providers),
    )


def visibility_signatures(*, users: Iterable[AnyUser]) -> dict[Any, Signature]:
    """Each user's ``Signature`` (by user id), in one query."""
    users = list(users)
    orgs: dict[Any, tuple[set[int], set[int]]] = {u.pk: (set(), set()) for u in users}
    for user_id, state, provider in Membership.objects.filter(
        user_id__in=list(orgs)
    ).values_list("user_id", "member_state_id", "provider_id"):
        if state is not None:
            orgs[user_id][0].add(state)
        if provider is not None:
            orgs[user_id][1].add(provider)
    return {
        u.pk: Signature(
            curator=is_curator(u),
            active=bool(u.is_authenticated and u.is_active),
            states=frozenset(orgs[u.pk][0]),
            providers=frozenset(orgs[u.pk][1]),
        )
        for u in users
    }


def match_sides(*, ids: Iterable[int]) -> dict[int, tuple[int, int, int]]:
    """(need id, the need's state id, the programme's provider id) of these
    matches, by id (those that exist), in one query."""
    rows = Match.objects.filter(pk__in=sorted(set(ids))).values_list(
        "pk", "need_id", "need__member_state_id", "programme__provider_id"
    )
    return {pk: (need, state, provider) for pk, need, state, provider in rows}


def matches_visible_to_many(
    *, asks: dict[Signature, tuple[User, list[int]]]
) -> dict[Signature, set[int]]:
    """``matches_visible_to(user=...).filter(pk__in=ids)`` for many signatures
    at once (``asks``: a person with that signature, and the match ids asked
    about), in a few queries whatever their number.

    The rule is ``matches_visible_to``'s: curators see every match, the
    need's state sees it, and a provider's people see their programmes'
    matches whose need they may see. A person of providers only may see the
    needs that one of their providers may see (``needs_visible_to_provider``,
    through ``need_provider_pairs_visible``); a person of a state and a
    provider as well is asked the selector itself.
    """
    sides = match_sides(ids={pk for _user, ids in asks.values() for pk in ids})
    pairs: set[tuple[int, int]] = set()
    for sign, (_user, ids) in asks.items():
        if sign.curator or not sign.active or sign.states or not sign.providers:
            continue
        for pk in ids:
            if pk in sides and sides[pk][2] in sign.providers:
                pairs |= {(sides[pk][0], provider) for provider in sign.providers}
    allowed = need_provider_pairs_visible(pairs=pairs)
    found: dict[Signature, set[int]] = {}
    for sign, (user, ids) in asks.items():
        known = [pk for pk in ids if pk in sides]
        if sign.curator:
            found[sign] = set(known)
        elif not sign.active:
            found[sign] = set()
        elif sign.states and sign.providers:
            found[sign] = set(
                matches_visible_to(user=user)
                .filter(pk__in=known)
                .values_list("pk", flat=True)
            )
        else:
            found[sign] = {
                pk
                for pk in known
                if sides[pk][1] in sign.states
                or (
                    sides[pk][2] in sign.providers
                    and any((sides[pk][0], p) in allowed for p in sign.providers)
                )
            }
    return found


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
    return qs.prefetch_related(*TAG_FIELDS)


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
    # One starred argument: django-stubs' plugin crashes on two (6.1.2).
    return qs.prefetch_related(*(TAG_FIELDS + Programme.ELIGIBILITY_FIELDS))


def programme_current_q(*, today: date | None = None) -> Q:
    """Programmes that have not ended: no end date, or one today (default:
    the local date now) or later."""
    return Q(ends_on__isnull=True) | Q(ends_on__gte=today or timezone.localdate())


def providers_visible_to(*, user: AnyUser) -> QuerySet[Provider]:
    """Providers are public organisations."""
    return Provider.objects.select_related("stakeholder_group", "country")


def join_requests_visible_to(*, user: AnyUser) -> QuerySet[JoinRequest]:
    """Requests to join whose address is confirmed: curators only, oldest first."""
    if not is_curator(user):
        return JoinRequest.objects.none()
    return (
        JoinRequest.objects.select_related(
            "stakeholder_group", "country", "decided_by", "provider", "user"
        )
        .exclude(status=JoinStatus.UNCONFIRMED)
        .order_by("created_at", "id")
    )


def managed_providers(*, user: AnyUser) -> QuerySet[Provider]:
    """Verified providers the user manages (and may invite colleagues to)."""
    if not (user.is_authenticated and user.is_active):
        return Provider.objects.none()
    return Provider.objects.filter(
        is_verified=True,
        memberships__user=user,
        memberships__role=MembershipRole.MANAGER,
    ).order_by("name")


def invitations_sent_for(*, provider: Provider) -> QuerySet[Invitation]:
    """A provider's invitations, newest first."""
    return (
        Invitation.objects.filter(provider=provider)
        .select_related("provider")
        .order_by("-created_at", "id")
    )


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    """The user's own API tokens, newest first (the page and the API)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "id")


def webhooks_of(*, user: User) -> QuerySet[WebhookEndpoint]:
    """The user's own webhooks, newest first (the page and the API)."""
    return WebhookEndpoint.objects.filter(user=user).order_by("-created_at", "-id")


def saved_searches_of(*, user: User) -> QuerySet[SavedSearch]:
    """The user's own saved searches, newest first (the page and the API)."""
    return SavedSearch.objects.filter(user=user).order_by("-created_at", "-id")


def matches_visible_to(*, user: AnyUser) -> QuerySet[Match]:
    """Matches seen by curators and the parties: the need's state, the provider."""
    qs = Match.objects.select_related(
        "need__member_state__country", "programme__provider"
    )
    if is_curator(user):
        return qs
    if not (user.is_authenticated and user.is_active):
        return qs.none()
    states, providers = memberships(user=user)
    # needs_visible_to's rule, without its flattening by id: the IN below
    # already ignores a row the shared_with join repeats.
    rule = need_visibility_q(user=user, states=states, providers=providers)
    visible_needs = Need.objects.filter(cast(Q, rule)).values("pk")
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
    return PlatformFigures(
        open_needs=needs_visible_to(user=user)
        .filter(status__in=ACTIVE_NEED_STATUSES)
        .count(),
        published_programmes=programmes_visible_to(user=user)
        .filter(programme_current_q(), status=ProgrammeStatus.PUBLISHED)
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
