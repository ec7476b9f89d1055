"""Reads with visibility built in: every list, detail, count and export uses them.

The rule for needs (DATASET.md): ``public`` needs are seen by anyone,
``registered`` needs by signed-in users of a member state or a *verified*
provider (anyone may register an unverified provider), and
``confidential`` needs by the owning state, curators and the providers the
state shares them with. Drafts are seen by their own state and curators only.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from functools import reduce
from typing import Any
from typing import cast

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import BooleanField
from django.db.models import Exists
from django.db.models import ExpressionWrapper
from django.db.models import ManyToManyField
from django.db.models import Model
from django.db.models import Q
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from matchmaking import i18n
from matchmaking.enums import ACTIVE_NEED_STATUSES
from matchmaking.enums import MembershipRole
from matchmaking.enums import NeedStatus
from matchmaking.enums import OrganisationRole
from matchmaking.enums import ProgrammeStatus
from matchmaking.enums import RegionLevel
from matchmaking.enums import Visibility
from matchmaking.models import TAG_FIELDS
from matchmaking.models import ApiToken
from matchmaking.models import AssistanceType
from matchmaking.models import Audience
from matchmaking.models import CostModel
from matchmaking.models import DeliveryMode
from matchmaking.models import Invitation
from matchmaking.models import JoinRequest
from matchmaking.models import JoinStatus
from matchmaking.models import Language
from matchmaking.models import Match
from matchmaking.models import Membership
from matchmaking.models import Need
from matchmaking.models import ParticipatingOrganisation
from matchmaking.models import Programme
from matchmaking.models import Provider
from matchmaking.models import Region
from matchmaking.models import SavedSearch
from matchmaking.models import Theme
from matchmaking.models import Topic
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


def programme_current_q() -> Q:
    """Programmes that have not ended: no end date, or one today or later."""
    return Q(ends_on__isnull=True) | Q(ends_on__gte=timezone.localdate())


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


# The catalogue's facets: name -> (grouping path from Programme, reference model)
CATALOGUE_FACETS: list[tuple[str, str, type[Model]]] = [
    ("theme", "topics__theme", Theme),
    ("topic", "topics", Topic),
    ("assistance", "assistance_types", AssistanceType),
    ("audience", "audiences", Audience),
    ("region", "eligible_regions", Region),
    ("language", "languages", Language),
    ("mode", "delivery_modes", DeliveryMode),
    ("cost", "cost_model", CostModel),
]


# The facets whose options are shown by name in the reader's language.
SORTED_BY_NAME = ("region", "language")


def _open_to_all_q() -> Q:
    """Programmes without a region or country limit: eligible everywhere."""
    # NOT IN, not NOT EXISTS: the same rows (programme_id is never NULL), but
    # PostgreSQL estimates a correlated NOT EXISTS at a cost per row that
    # puts every catalogue query filtered by region above the JIT threshold
    # (two seconds of compilation for a query that runs in 50 ms).
    regions = Programme.eligible_regions.through.objects.values("programme_id")
    countries = Programme.eligible_countries.through.objects.values("programme_id")
    return ~Q(pk__in=regions) & ~Q(pk__in=countries)


def _facet_q(name: str, path: str, values: list[str]) -> Q:
    # Subqueries, never joins: the filtered rows stay one per programme, so
    # the counts below need no DISTINCT.
    if name == "region":
        # Programmes open to every state are eligible in every region.
        return (
            Q(
                pk__in=Programme.eligible_regions.through.objects.filter(
                    region_id__in=values
                ).values("programme_id")
            )
            | _open_to_all_q()
        )
    if name == "cost":
        return Q(cost_model__in=values)
    # On the M2M table alone (joined to topics for themes): a subquery over
    # the programmes too makes the planner loop over them.
    relation, _sep, rest = path.partition("__")
    field = cast("ManyToManyField[Any, Any]", Programme._meta.get_field(relation))
    target = "__".join(filter(None, (field.m2m_reverse_field_name(), rest)))
    return Q(
        pk__in=_through(field)
        ._default_manager.filter(**{f"{target}__in": values})
        .values(field.m2m_field_name())
    )


def _through(field: ManyToManyField[Any, Any]) -> type[Model]:
    """The model of a many-to-many field's table (Django sets it on loading)."""
    through = field.remote_field.through
    if through is None:
        raise LookupError(f"{field.name} has no through model yet")
    return through


def _eligibility_q(values: list[str]) -> Q:
    q = Q()
    if "ldc" in values:
        q |= Q(ldc_only=True)
    if "sids" in values:
        q |= Q(sids_only=True)
    return q


def funded_by_name_q(value: str) -> Q:
    """Programmes one of whose funding organisations (registered provider or
    named organisation) has ``value`` in its name (the catalogue's and the
    API's ``funder`` filter)."""
    funders = ParticipatingOrganisation.objects.filter(
        Q(name__icontains=value) | Q(provider__name__icontains=value),
        role=OrganisationRole.FUNDING,
    )
    return Q(pk__in=funders.values("programme_id"))


def catalogue_filters(
    *, selected: dict[str, list[str]], funder: str = ""
) -> dict[str, Q]:
    """The catalogue's filters for the options selected, by facet (AND across),
    and the funder's name typed."""
    filters: dict[str, Q] = {}
    if funder:
        filters["funder"] = funded_by_name_q(funder)
    for name, path, _model in CATALOGUE_FACETS:
        if selected[name]:
            filters[name] = _facet_q(name, path, selected[name])
    if selected["eligibility"]:
        filters["eligibility"] = _eligibility_q(selected["eligibility"])
    return filters


# The programme's columns a bounded set carries (catalogue_counts), id first.
BOUND_COLUMNS = ("id", "cost_model_id", "ldc_only", "sids_only")


@dataclass(frozen=True)
class CatalogueCounts:
    """The catalogue's counts and the ids of one page of its results."""

    counts: dict[str, dict[str | None, int]]
    page_ids: list[int]
    # With ``bound``: facet ("eligibility", "total", "ended" too) -> the
    # number of programmes its counts were read from (``bound`` cut at most).
    sizes: dict[str, int] = field(default_factory=dict)


def catalogue_counts(
    *,
    searched: QuerySet[Programme],
    filters: dict[str, Q],
    shared: bool,
    page: tuple[int, int] | None = None,
    rank: tuple[str, list[Any]] | None = None,
    current: Q | None = None,
    bound: Callable[[QuerySet[Programme]], tuple[str, list[Any]]] | None = None,
    bound_ended: Callable[[QuerySet[Programme]], tuple[str, list[Any]]] | None = None,
) -> CatalogueCounts:
    """Every count of the catalogue's filters, in one query.

    facet -> option -> programmes; "open" (no region or country limit),
    "ldc", "sids" and "total" (the results) under the key None. Each facet
    counts the programmes passing every *other* filter (OR within a facet,
    AND across facets). ``page`` (offset, limit), with ``shared`` only: the
    same query also reads the ids of that slice of the results in catalogue
    order (title, id), so the search and filters are not run again for the
    page. ``rank``: the relevance of a programme (table alias ``p``) as SQL
    and its parameters (``search.rank_sql``); the page is then read most
    relevant first, and only the page's candidates are ranked: the counts
    need no relevance. ``current`` (with ``shared`` only): ``searched``
    holds ended programmes too; the counts read those passing ``current``
    and "ended" counts the others passing every filter, so the search runs
    once for both. ``bound`` (with ``shared`` only; ``search.bounded_ids``):
    ``searched`` is not searched yet, and each set counted is the ids
    ``bound`` selects among the programmes passing its filters, at most its
    limit: a text search then reads a bounded number of rows however many
    match, and ``sizes`` says how many each count read. Its sets carry the
    programme's ``BOUND_COLUMNS`` (``id`` first), so the counts of the cost,
    eligibility, "open" and the total read them without the programme table.
    ``bound_ended``: ``bound`` for the ended programmes left out (a lower
    limit: only their count is shown).

    The programmes a facet counts are one set: the visible, published,
    searched programmes passing the other filters; facets without a selection
    share the same one. With ``shared`` (a text search or a filter) the
    searched programmes are a CTE read once (a text search reads every row,
    so running it per facet would cost a read each; with two filters or more
    it reads only the rows some count needs) and each distinct set is a CTE
    over it, evaluated once however many facets read it, and joined (its ids
    are unique): ``IN`` would make the planner guess its size and loop over
    it. Without (nothing asked), the one (indexed) subquery stays inline as
    ``IN``, where the planner knows its size and PostgreSQL reads the counts
    in parallel (CTEs would not let it). Tags are counted on the M2M
    tables alone, so no count needs DISTINCT except themes (a programme with
    two topics of one theme counts once). Identifiers come from the models;
    every value is a parameter.
    """
    quote = connection.ops.quote_name
    # key -> (CTE name, compiled subquery or None for "search" itself, params)
    subqueries: dict[str, tuple[str, str | None, tuple[Any, ...]]] = {}
    branches: list[tuple[str, list[Any]]] = []

    def restrict(
        column: str, excluding: str, *conditions: str
    ) -> tuple[str, list[Any]]:
        """The join and WHERE keeping ``column`` among the searched ids passing
        the other filters, and ``conditions``."""
        key = excluding if excluding in filters else ""
        others = [q for name, q in filters.items() if name != key]
        if key not in subqueries and bound is not None:
            kept = searched.filter(current) if current is not None else searched
            bounded, bounded_params = bound(kept.filter(*others))
            subqueries[key] = (f"s{len(subqueries)}", bounded, tuple(bounded_params))
        if key not in subqueries:
            if shared and not others:
                subqueries[key] = ("search", None, ())
            else:
                # Shared sets start from the searched ids (CTE "search",
                # below): the search itself runs once.
                qs = (
                    Programme.objects.filter(pk__in=RawSQL("SELECT pk FROM search", ()))
                    if shared
                    else searched
                ).filter(*others)
                inner, params = (
                    qs.select_related(None)
                    .order_by()
                    .values("pk")
                    .query.sql_with_params()
                )
                subqueries[key] = (f"s{len(subqueries)}", inner, params)
        cte, subquery, params = subqueries[key]
        if shared:
            # Only generated CTE names and model columns are formatted in;
            # every value stays a parameter of the compiled querysets.
            own = "id" if bound is not None else "pk"
            join = f"INNER JOIN {cte} ON {cte}.{own} = {column}"
            where = list(conditions)
            params = ()
        else:
            join = ""
            where = [f"{column} IN ({subquery})", *conditions]
        return f"{join} WHERE {' AND '.join(where)}" if where else join, list(params)

    programme = quote(Programme._meta.db_table)

    def rows(excluding: str, *conditions: str) -> tuple[str, list[Any]]:
        """``FROM`` and ``WHERE`` of a count over the programmes' own columns
        (alias ``p``): a bounded set carries them, so it is read alone."""
        if bound is None:
            where, params = restrict("p.id", excluding, *conditions)
            return f"{programme} p {where}", params
        restrict("p.id", excluding)  # the set, made once
        cte = subqueries[excluding if excluding in filters else ""][0]
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        return f"{cte} p{where}", []

    for name, path, _model in CATALOGUE_FACETS:
        if name == "theme":
            table = quote(Programme.topics.through._meta.db_table)
            topics = quote(Topic._meta.db_table)
            where, where_params = restrict("pt.programme_id", name)
            sql = " ".join(
                (
                    "SELECT 'theme', pairs.theme_id, COUNT(*) FROM (SELECT DISTINCT",
                    "t.theme_id, pt.programme_id FROM",
                    table,
                    "pt INNER JOIN",
                    topics,
                    "t ON t.slug = pt.topic_id",
                    where,
                    ") pairs GROUP BY pairs.theme_id",
                )
            )
        elif name == "cost":
            source, where_params = rows(name)
            sql = " ".join(
                (
                    "SELECT 'cost', p.cost_model_id, COUNT(*) FROM",
                    source,
                    "GROUP BY p.cost_model_id",
                )
            )
        else:
            field = cast("ManyToManyField[Any, Any]", Programme._meta.get_field(path))
            table = quote(_through(field)._meta.db_table)
            column = "m." + quote(field.m2m_reverse_name())
            where, where_params = restrict("m.programme_id", name)
            sql = " ".join(
                (
                    f"SELECT '{name}',",
                    column,
                    ", COUNT(*) FROM",
                    table,
                    "m",
                    where,
                    "GROUP BY",
                    column,
                )
            )
        branches.append((sql, where_params))
    regions = quote(Programme.eligible_regions.through._meta.db_table)
    countries = quote(Programme.eligible_countries.through._meta.db_table)
    source, where_params = rows(
        "region",
        " ".join(
            (
                "NOT EXISTS (SELECT 1 FROM",
                regions,
                "r WHERE r.programme_id = p.id) AND NOT EXISTS (SELECT 1 FROM",
                countries,
                "c WHERE c.programme_id = p.id)",
            )
        ),
    )
    sql = " ".join(("SELECT 'open', NULL, COUNT(*) FROM", source))
    branches.append((sql, where_params))
    for flag in ("ldc", "sids"):
        source, where_params = rows("eligibility", f"p.{flag}_only")
        sql = " ".join((f"SELECT '{flag}', NULL, COUNT(*) FROM", source))
        branches.append((sql, where_params))
    # The number of results, for the paginator: every filter applies.
    source, where_params = rows("")
    sql = " ".join(("SELECT 'total', NULL, COUNT(*) FROM", source))
    branches.append((sql, where_params))
    # A ranked text search (PostgreSQL): the page is read by relevance, then
    # by title; the relevance is computed in this branch only.
    if page is not None:
        offset, limit = page
        where, where_params = restrict("p.id", "")
        rank_sql, rank_params = rank if rank is not None and shared else ("", [])
        sql = " ".join(
            (
                "SELECT 'page', NULL, pg.id FROM (SELECT p.id FROM",
                programme,
                "p",
                where,
                "ORDER BY",
                f"{rank_sql} DESC," if rank_sql else "",
                "p.title, p.id LIMIT %s OFFSET %s) pg",
            )
        )
        branches.append((sql, [*where_params, *rank_params, limit, offset]))
    if bound is not None and current is not None:
        ended, bound_params = (bound_ended or bound)(
            searched.exclude(current).filter(*filters.values())
        )
        # bounded_ids(): compiled querysets, every value a parameter.
        sql = " ".join(("SELECT 'ended', NULL, COUNT(*) FROM (", ended, ") e"))
        branches.append((sql, bound_params))
    elif shared and current is not None:
        ended, ended_params = (
            Programme.objects.filter(
                pk__in=RawSQL("SELECT pk FROM found WHERE NOT found.current", ())
            )
            .filter(*filters.values())
            .values("pk")
            .query.sql_with_params()
        )
        # A compiled queryset: every value stays a parameter.
        sql = " ".join(("SELECT 'ended', NULL, COUNT(*) FROM (", ended, ") e"))
        branches.append((sql, list(ended_params)))
    if bound is not None:
        # How many programmes each set holds, to tell a cut one.
        for cte, _inner, _params in subqueries.values():
            sql = " ".join(("SELECT 'size',", f"'{cte}',", "COUNT(*) FROM", cte))
            branches.append((sql, []))
    sql = " UNION ALL ".join(b for b, _ in branches)
    params = [p for _sql, branch in branches for p in branch]
    if bound is not None:
        # Generated CTE names; each subquery compiled with its parameters.
        columns = ", ".join(BOUND_COLUMNS)
        ctes = ", ".join(
            f"{cte} ({columns}) AS ({inner})" for cte, inner, _ in subqueries.values()
        )
        sql = f"WITH {ctes} {sql}"
        params = [
            *(p for _c, _i, cte_params in subqueries.values() for p in cte_params),
            *params,
        ]
    elif shared:
        if len(filters) > 1:
            # Every count reads programmes passing all filters but at most
            # one: the search (a text search is slow) need not read the others.
            searched = searched.filter(
                reduce(
                    operator.or_,
                    (
                        reduce(
                            operator.and_, (q for n, q in filters.items() if n != name)
                        )
                        for name in filters
                    ),
                )
            )
        if current is None:
            found, search_params = (
                searched.select_related(None)
                .order_by()
                .values("pk")
                .query.sql_with_params()
            )
            first = [f"search (pk) AS ({found})"]
        else:
            # Read twice below: evaluated once.
            found, search_params = (
                searched.select_related(None)
                .order_by()
                .annotate(current=ExpressionWrapper(current, BooleanField()))
                .values("pk", "current")
                .query.sql_with_params()
            )
            first = [
                f"found (pk, current) AS ({found})",
                "search (pk) AS (SELECT pk FROM found WHERE found.current)",
            ]
        ctes = ", ".join(
            first
            + [
                f"{cte} (pk) AS ({inner})"
                for cte, inner, _ in subqueries.values()
                if inner is not None
            ]
        )
        sql = f"WITH {ctes} {sql}"
        params = [
            *search_params,
            *(p for _c, _i, cte_params in subqueries.values() for p in cte_params),
            *params,
        ]
    counts: dict[str, dict[str | None, int]] = defaultdict(dict)
    page_ids: list[int] = []
    read: dict[str, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for facet, key, n in cursor.fetchall():
            if facet == "page":
                page_ids.append(n)
            elif facet == "size":
                read[key] = n
            else:
                counts[facet][None if key is None else str(key)] = n
    sizes: dict[str, int] = {}
    if bound is not None:
        names = [f[0] for f in CATALOGUE_FACETS] + ["eligibility", "total"]
        for name in names:
            key = name if name in filters else ""
            sizes[name] = read[subqueries[key][0]]
        if "ended" in counts:
            sizes["ended"] = counts["ended"][None]
    return CatalogueCounts(counts, page_ids, sizes)


def catalogue_facet_options(*, name: str, model: Any) -> list[Any]:
    """The reference rows a facet may offer, in display order once sorted."""
    if name == "region":
        return list(model.objects.filter(level=RegionLevel.REGION))
    return list(model.objects.all())


def catalogue_facet_choices(*, sort: bool) -> dict[str, list[tuple[str, str]]]:
    """Every facet's options as (value, name in the active language): plain
    values, so that they can be kept (``reference_cache``). ``sort``: regions
    and languages in display order, by name the way readers of the language
    sort them (collation keys are slow: worth it for options kept); else in
    the tables' order, as the vocabularies always are."""
    choices: dict[str, list[tuple[str, str]]] = {}
    for name, _path, model in CATALOGUE_FACETS:
        found = [
            (str(row.pk), i18n.display_name(row))
            for row in catalogue_facet_options(name=name, model=model)
        ]
        if sort and name in SORTED_BY_NAME:
            found = i18n.sorted_by_name(found, lambda choice: choice[1])
        choices[name] = found
    return choices
