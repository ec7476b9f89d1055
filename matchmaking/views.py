"""HTML pages of the matchmaking side (thin: reads come from selectors).

Anything the viewer may not see is a 404, exactly like something missing.
"""

from __future__ import annotations

import operator
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import reduce
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import (
    audit,
    duplicates,
    forms,
    i18n,
    selectors,
    services,
    suggestions,
    translations,
)
from .enums import (
    ACTIVE_NEED_STATUSES,
    MatchStatus,
    NeedStatus,
    ProgrammeStatus,
    RegionLevel,
    UnmetReason,
)
from .models import (
    ApiToken,
    AssistanceType,
    Audience,
    CostModel,
    DeliveryMode,
    Language,
    Match,
    MatchEvent,
    MemberState,
    Need,
    Programme,
    Provider,
    Region,
    Theme,
    Topic,
)

PAGE_SIZE = 20


# --- helpers ------------------------------------------------------------------


def _page(
    request: HttpRequest, items: Any, param: str = "page", count: int | None = None
) -> Page:
    """One page of a list, with the links to its neighbours (filters kept).

    ``count``: the number of items when the view already knows it (no COUNT).
    """
    paginator = Paginator(items, PAGE_SIZE)
    if count is not None:
        paginator.count = count  # a cached_property: set, it is not queried
    return _linked(request, paginator.get_page(request.GET.get(param)), param)


def _linked(request: HttpRequest, page: Page, param: str) -> Page:
    """The page with the links to its neighbours (filters kept)."""

    def url(number: int) -> str:
        query = request.GET.copy()
        query[param] = str(number)
        return f"{request.path}?{query.urlencode()}"

    page.prev_url = url(page.previous_page_number()) if page.has_previous() else ""
    page.next_url = url(page.next_page_number()) if page.has_next() else ""
    return page


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _render(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render the page, or only its partial when htmx asks for it."""
    name = f"{template}#{partial}" if partial and _is_htmx(request) else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


@dataclass(frozen=True)
class Roles:
    """What the signed-in user acts as, for the navigation."""

    state_ids: frozenset[int]
    provider_ids: frozenset[int]
    curator: bool


def _roles(user: Any) -> Roles:
    if not user.is_authenticated:
        return Roles(frozenset(), frozenset(), curator=False)
    rows = list(user.memberships.values_list("member_state_id", "provider_id"))
    return Roles(
        frozenset(s for s, _p in rows if s),
        frozenset(p for _s, p in rows if p),
        curator=selectors.is_curator(user),
    )


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Context processor: the user's roles, read once per request when needed."""
    return {"roles": SimpleLazyObject(lambda: _roles(request.user))}


def _member_states(user: Any) -> list[MemberState]:
    return list(
        MemberState.objects.filter(memberships__user=user).select_related("country")
    )


def _providers(user: Any) -> list[Provider]:
    return list(Provider.objects.filter(memberships__user=user))


# --- public pages ------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    """Say what the platform is and show live figures."""
    return render(
        request,
        "matchmaking/home.html",
        {"figures": selectors.platform_figures(user=request.user)},
    )


@dataclass(frozen=True)
class Facet:
    """One filter of the catalogue with its options and their counts."""

    name: str
    label: str
    options: list[dict[str, Any]]

    @property
    def selected_count(self) -> int:
        return sum(1 for o in self.options if o["selected"])


# name -> (label, subquery filter builder, grouping path, reference model)
_FACETS: list[tuple[str, str, str, Any]] = [
    ("theme", "Theme", "topics__theme", Theme),
    ("topic", "Topic", "topics", Topic),
    ("assistance", "Assistance type", "assistance_types", AssistanceType),
    ("audience", "Audience", "audiences", Audience),
    ("region", "Eligible region", "eligible_regions", Region),
    ("language", "Language", "languages", Language),
    ("mode", "Delivery mode", "delivery_modes", DeliveryMode),
    ("cost", "Cost", "cost_model", CostModel),
]
_FACET_LABELS = {
    "theme": lambda: _("Theme"),
    "topic": lambda: _("Topic"),
    "assistance": lambda: _("Assistance type"),
    "audience": lambda: _("Audience"),
    "region": lambda: _("Eligible region"),
    "language": lambda: _("Language"),
    "mode": lambda: _("Delivery mode"),
    "cost": lambda: _("Cost"),
    "eligibility": lambda: _("Reserved for"),
}


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
    field = Programme._meta.get_field(relation)
    target = "__".join(filter(None, (field.m2m_reverse_field_name(), rest)))
    return Q(
        pk__in=field.remote_field.through.objects.filter(
            **{f"{target}__in": values}
        ).values(field.m2m_field_name())
    )


def _eligibility_q(values: list[str]) -> Q:
    q = Q()
    if "ldc" in values:
        q |= Q(ldc_only=True)
    if "sids" in values:
        q |= Q(sids_only=True)
    return q


@dataclass(frozen=True)
class CatalogueCounts:
    """The catalogue's counts and the ids of one page of its results."""

    counts: dict[str, dict[str | None, int]]
    page_ids: list[int]


def _catalogue_counts(
    searched: QuerySet[Programme],
    filters: dict[str, Q],
    *,
    shared: bool,
    page: tuple[int, int] | None = None,
) -> CatalogueCounts:
    """Every count of the catalogue's filters, in one query.

    facet -> option -> programmes; "open" (no region or country limit),
    "ldc", "sids" and "total" (the results) under the key None. Each facet
    counts the programmes passing every *other* filter (OR within a facet,
    AND across facets). ``page`` (offset, limit), with ``shared`` only: the
    same query also reads the ids of that slice of the results in catalogue
    order (title, id), so the search and filters are not run again for the
    page.

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
        cte, inner, params = subqueries[key]
        if shared:
            # Only generated CTE names and model columns are formatted in;
            # every value stays a parameter of the compiled querysets.
            join = f"INNER JOIN {cte} ON {cte}.pk = {column}"
            where = list(conditions)
            params = ()
        else:
            join = ""
            where = [f"{column} IN ({inner})", *conditions]
        return f"{join} WHERE {' AND '.join(where)}" if where else join, list(params)

    programme = quote(Programme._meta.db_table)
    for name, _label, path, _model in _FACETS:
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
            where, where_params = restrict("p.id", name)
            sql = " ".join(
                (
                    "SELECT 'cost', p.cost_model_id, COUNT(*) FROM",
                    programme,
                    "p",
                    where,
                    "GROUP BY p.cost_model_id",
                )
            )
        else:
            field = Programme._meta.get_field(path)
            table = quote(field.remote_field.through._meta.db_table)
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
    where, where_params = restrict(
        "p.id",
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
    sql = " ".join(("SELECT 'open', NULL, COUNT(*) FROM", programme, "p", where))
    branches.append((sql, where_params))
    for flag in ("ldc", "sids"):
        where, where_params = restrict("p.id", "eligibility", f"p.{flag}_only")
        sql = " ".join((f"SELECT '{flag}', NULL, COUNT(*) FROM", programme, "p", where))
        branches.append((sql, where_params))
    # The number of results, for the paginator: every filter applies.
    where, where_params = restrict("p.id", "")
    sql = " ".join(("SELECT 'total', NULL, COUNT(*) FROM", programme, "p", where))
    branches.append((sql, where_params))
    if page is not None:
        offset, limit = page
        where, where_params = restrict("p.id", "")
        sql = " ".join(
            (
                "SELECT 'page', NULL, pg.id FROM (SELECT p.id FROM",
                programme,
                "p",
                where,
                "ORDER BY p.title, p.id LIMIT %s OFFSET %s) pg",
            )
        )
        branches.append((sql, [*where_params, limit, offset]))
    sql = " UNION ALL ".join(b for b, _ in branches)
    params = [p for _sql, branch in branches for p in branch]
    if shared:
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
        search, search_params = (
            searched.select_related(None)
            .order_by()
            .values("pk")
            .query.sql_with_params()
        )
        ctes = ", ".join(
            [f"search (pk) AS ({search})"]
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
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for facet, key, n in cursor.fetchall():
            if facet == "page":
                page_ids.append(n)
            else:
                counts[facet][None if key is None else str(key)] = n
    return CatalogueCounts(counts, page_ids)


def _facet_options(name: str, model: Any) -> list[Any]:
    """The reference rows a facet may offer, in display order once sorted."""
    if name == "region":
        return list(model.objects.filter(level=RegionLevel.REGION))
    return list(model.objects.all())


def _sorted_options(name: str, model: Any, rows: list[Any]) -> list[Any]:
    """The options shown, in display order: by name in the reader's language
    for regions and languages (sorted once filtered: collation keys are slow
    and most of the 184 languages are not offered)."""
    if name == "region":
        return i18n.sorted_by_name(rows)
    if model is Language:
        return i18n.sorted_by_name(rows, i18n.display_name)
    return rows


def _page_number(paginator: Paginator, raw: Any) -> int | None:
    """The page ``Paginator.get_page`` shows for ``raw``; None: out of range."""
    try:
        return paginator.validate_number(raw)
    except PageNotAnInteger:
        return 1
    except EmptyPage:
        return None


def programme_list(request: HttpRequest) -> HttpResponse:
    """The catalogue of published programmes, with faceted search."""
    visible = selectors.programmes_visible_to(
        user=request.user, with_tags=False
    ).filter(status=ProgrammeStatus.PUBLISHED)
    base = visible
    query = request.GET.get("q", "").strip()[:200].replace("\x00", "")
    if query:
        base = base.filter(
            Q(title__icontains=query)
            | Q(summary__icontains=query)
            | Q(description__icontains=query)
            | Q(provider__name__icontains=query)
            | i18n.reference_search_q(query, Programme)
            | translations.translated_q(Programme, query)
        )
    selected = {
        name: [v for v in request.GET.getlist(name) if v and "\x00" not in v][:50]
        for name in [*[f[0] for f in _FACETS], "eligibility"]
    }
    filters: dict[str, Q] = {}
    for name, _label, path, _model in _FACETS:
        if selected[name]:
            filters[name] = _facet_q(name, path, selected[name])
    if selected["eligibility"]:
        filters["eligibility"] = _eligibility_q(selected["eligibility"])

    # With a search or a filter, the ids of the page asked for are read with
    # the counts, so the search and filters run once; a number past the last
    # page (known with the count only) reads its page afterwards. Without,
    # the page is a query of its own, on the title index.
    shared = bool(query or filters)
    probe = Paginator((), PAGE_SIZE)
    probe.count = sys.maxsize
    wanted = _page_number(probe, request.GET.get("page")) if shared else None
    read = _catalogue_counts(
        base,
        filters,
        shared=shared,
        page=None if wanted is None else ((wanted - 1) * PAGE_SIZE, PAGE_SIZE),
    )
    counts = read.counts
    facets = []
    for name, _label, _path, model in _FACETS:
        options_src = _facet_options(name, model)
        found = counts.get(name, {})
        if name == "region":
            # Programmes open to every state count in every region.
            open_to_all = counts.get("open", {}).get(None, 0)
            found = {
                str(r.pk): found.get(str(r.pk), 0) + open_to_all for r in options_src
            }
        shown = [
            ref
            for ref in options_src
            if found.get(str(ref.pk), 0) or str(ref.pk) in selected[name]
        ]
        options = [
            {
                "value": str(ref.pk),
                "label": i18n.display_name(ref),
                "count": found.get(str(ref.pk), 0),
                "selected": str(ref.pk) in selected[name],
            }
            for ref in _sorted_options(name, model, shown)
        ]
        facets.append(Facet(name, _FACET_LABELS[name](), options))
    elig_counts = {flag: counts.get(flag, {}).get(None, 0) for flag in ("ldc", "sids")}
    facets.append(
        Facet(
            "eligibility",
            _FACET_LABELS["eligibility"](),
            [
                {
                    "value": "ldc",
                    "label": _("Least developed countries"),
                    "count": elig_counts["ldc"],
                    "selected": "ldc" in selected["eligibility"],
                },
                {
                    "value": "sids",
                    "label": _("Small island developing States"),
                    "count": elig_counts["sids"],
                    "selected": "sids" in selected["eligibility"],
                },
            ],
        )
    )
    # The page shows topics only: prefetch nothing else. Its count came above.
    paginator = Paginator(
        base.filter(*filters.values())
        .order_by("title", "id")
        .prefetch_related("topics", "translations"),
        PAGE_SIZE,
    )
    paginator.count = counts["total"][None]
    number = _page_number(paginator, request.GET.get("page"))
    if number is not None and number == wanted:
        # Its ids came with the counts: read those rows only.
        rows = (
            visible.filter(pk__in=read.page_ids)
            .order_by("title", "id")
            .prefetch_related("topics", "translations")
        )
        page = _linked(request, Page(rows, number, paginator), "page")
    else:
        page = _linked(request, paginator.get_page(request.GET.get("page")), "page")
    return _render(
        request,
        "matchmaking/programme_list.html",
        {
            "page": page,
            "facets": facets,
            "query": query,
            "any_filter": bool(query or filters),
        },
        partial="results",
    )


def programme_detail(request: HttpRequest, ref: str) -> HttpResponse:
    """One programme: what it offers, to whom, and how to ask for it."""
    programme = audit.get_visible_or_404(
        request, selectors.programmes_visible_to(user=request.user), ref=ref
    )
    can_edit = request.user.is_authenticated and services.can_edit_programme(
        user=request.user, programme=programme
    )
    return render(
        request,
        "matchmaking/programme_detail.html",
        {
            "programme": programme,
            "can_edit": can_edit,
            "history": _history_for_curators(request, programme),
        },
    )


def _history_for_curators(request: HttpRequest, obj: Any) -> list | None:
    """The audit trail of an object the viewer already sees; curators only."""
    if not selectors.is_curator(request.user):
        return None
    return audit.history_entries(obj)


def provider_detail(request: HttpRequest, ref: str) -> HttpResponse:
    """A provider and its published programmes."""
    provider = get_object_or_404(
        selectors.providers_visible_to(user=request.user), ref=ref
    )
    programmes = (
        selectors.programmes_visible_to(user=request.user, with_tags=False)
        .filter(provider=provider, status=ProgrammeStatus.PUBLISHED)
        .order_by("title", "id")
    )
    return render(
        request,
        "matchmaking/provider_detail.html",
        {"provider": provider, "page": _page(request, programmes)},
    )


def need_list(request: HttpRequest) -> HttpResponse:
    """The register of needs the viewer may see, filterable by theme and region."""
    # The register shows no tags: none are prefetched.
    needs = selectors.needs_visible_to(user=request.user, with_tags=False).exclude(
        status__in=[NeedStatus.DRAFT, NeedStatus.WITHDRAWN]
    )
    theme = request.GET.get("theme", "")
    region = request.GET.get("region", "")
    query = request.GET.get("q", "").strip()[:200].replace("\x00", "")
    if theme:
        needs = needs.filter(
            pk__in=Need.objects.filter(topics__theme=theme).values("pk")
        )
    if region:
        needs = needs.filter(member_state__country__region_id=region)
    if query:
        needs = needs.filter(
            Q(title__icontains=query)
            | Q(summary__icontains=query)
            | translations.translated_q(Need, query)
        )
    return _render(
        request,
        "matchmaking/need_list.html",
        {
            "page": _page(
                request,
                needs.order_by("-created_at", "id").prefetch_related("translations"),
            ),
            "themes": Theme.objects.all(),
            "regions": i18n.sorted_by_name(
                Region.objects.filter(level=RegionLevel.REGION)
            ),
            "theme": theme,
            "region": region,
            "query": query,
        },
        partial="results",
    )


def _match_rows(matches: list[Match]) -> list[dict[str, Any]]:
    return [{"match": m, "components": _components(m)} for m in matches]


_COMPONENT_LABELS = {
    "topics": lambda: _("Shared topics"),
    "topic": lambda: _("Shared topics"),
    "eligibility": lambda: _("Eligibility"),
    "language": lambda: _("Language"),
    "languages": lambda: _("Language"),
    "delivery": lambda: _("Delivery mode"),
    "delivery_mode": lambda: _("Delivery mode"),
    "text": lambda: _("Text relevance"),
    "assistance": lambda: _("Assistance type"),
    "audience": lambda: _("Audience"),
}


def _components(match: Match) -> list[tuple[str, int]]:
    """The score components as (label, percent) rows."""
    rows = []
    if isinstance(match.components, dict):
        # jsonb (PostgreSQL) does not keep key order: show them in a fixed one.
        order = {key: i for i, key in enumerate(_COMPONENT_LABELS)}
        keys = sorted(match.components, key=lambda k: (order.get(k, len(order)), k))
        for key in keys:
            value = match.components[key]
            if isinstance(value, int | float) and not isinstance(value, bool):
                label = _COMPONENT_LABELS.get(key)
                text = label() if label else key.replace("_", " ").capitalize()
                rows.append((text, round(max(0.0, min(1.0, value)) * 100)))
    return rows


def need_detail(request: HttpRequest, ref: str) -> HttpResponse:
    """One need; its owners (and curators) see the ranked suggestions."""
    need = audit.get_visible_or_404(
        request, selectors.needs_visible_to(user=request.user), ref=ref
    )
    user = request.user
    can_edit = user.is_authenticated and services.can_edit_need(user=user, need=need)
    matches = []
    if user.is_authenticated:
        matches = list(
            selectors.matches_visible_to(user=user)
            .filter(need=need)
            .select_related("programme__cost_model")
            .order_by("rank", "-score", "programme_id")[:50]
        )
    for match in matches:
        match.need = need
    return render(
        request,
        "matchmaking/need_detail.html",
        {
            "need": need,
            "can_edit": can_edit,
            "matches": _with_actions(user, matches),
            "transitions": [
                (value, label)
                for value, label in NeedStatus.choices
                if value in services.NEED_TRANSITIONS.get(need.status, ())
            ],
            "history": _history_for_curators(request, need),
        },
    )


def _with_actions(user: Any, matches: list[Match]) -> list[dict[str, Any]]:
    if not user.is_authenticated:
        return []
    roles = _roles(user)
    rows = []
    for match in matches:
        parties = set()
        if roles.curator:
            parties.add(services.CURATOR)
        if match.need.member_state_id in roles.state_ids:
            parties.add(services.STATE)
        if match.programme.provider_id in roles.provider_ids:
            parties.add(services.PROVIDER)
        actions = [
            name
            for name, t in services.MATCH_TRANSITIONS.items()
            if match.status in t.sources and parties & t.parties
        ]
        rows.append(
            {
                "match": match,
                "components": _components(match),
                "actions": [a for a in actions if a != "decline"],
                "can_decline": "decline" in actions,
                "can_give_feedback": match.status == MatchStatus.COMPLETED
                and bool(parties & {services.STATE, services.CURATOR}),
            }
        )
    return rows


# --- match workflow ----------------------------------------------------------

ACTION_LABELS = {
    "express_interest": lambda: _("Express interest"),
    "introduce": lambda: _("Accept and introduce"),
    "agree": lambda: _("Confirm the agreement"),
    "start_delivery": lambda: _("Start delivery"),
    "complete": lambda: _("Mark delivery completed"),
}
ACTION_DONE = {
    "express_interest": lambda m: _(
        "You expressed interest in “%(programme)s”. Its provider can now accept "
        "and introduce you."
    ),
    "introduce": lambda m: _(
        "You accepted the interest of %(state)s: the match is now introduced."
    ),
    "agree": lambda m: _("The agreement on “%(programme)s” is recorded."),
    "start_delivery": lambda m: _("Delivery of “%(programme)s” has started."),
    "complete": lambda m: _(
        "Delivery of “%(programme)s” is completed. Please give feedback."
    ),
    "decline": lambda m: _("The match with “%(programme)s” is declined."),
}


def _visible_match(request: HttpRequest, pk: int) -> Match:
    return audit.get_visible_or_404(
        request,
        selectors.matches_visible_to(user=request.user).select_related(
            "programme__cost_model"
        ),
        pk=pk,
    )


@login_required
def match_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One match: why it was suggested, its history and the next steps."""
    match = _visible_match(request, pk)
    events = (
        MatchEvent.objects.filter(match=match).select_related("actor").order_by("at")
    )
    return render(
        request,
        "matchmaking/match_detail.html",
        {
            "row": _with_actions(request.user, [match])[0],
            "events": events,
            "history": _history_for_curators(request, match),
            "feedback_form": forms.FeedbackForm(
                initial={
                    "rating": match.feedback_rating,
                    "outcome": match.feedback_outcome,
                    "comments": match.feedback_comments,
                }
            ),
            "decline_form": forms.DeclineForm(),
        },
    )


@login_required
@require_POST
def match_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a match one step along its workflow."""
    match = _visible_match(request, pk)
    action = request.POST.get("action", "")
    note = request.POST.get("reason", "").strip()[:2000]
    try:
        match = services.transition_match(
            user=request.user, match=match, action=action, note=note
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    except PermissionDenied:
        raise Http404 from None
    else:
        done = ACTION_DONE.get(action)
        if done:
            messages.success(
                request,
                done(match)
                % {
                    "programme": match.programme.title,
                    "state": match.need.member_state,
                },
            )
    if _is_htmx(request):
        fresh = _visible_match(request, pk)
        response = render(
            request,
            "matchmaking/includes/match_card.html",
            {
                "row": _with_actions(request.user, [fresh])[0],
                "show_need": request.POST.get("show_need") == "1",
                "htmx_messages": True,
            },
        )
        patch_vary_headers(response, ["HX-Request"])
        return response
    return redirect(_safe_next(request, reverse("match-detail", args=[match.pk])))


def _safe_next(request: HttpRequest, default: str) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@login_required
@require_POST
def match_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    """The state rates a completed delivery."""
    match = _visible_match(request, pk)
    form = forms.FeedbackForm(request.POST)
    if form.is_valid():
        try:
            services.record_feedback(
                user=request.user, match=match, feedback=form.cleaned_data
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("Thank you: your feedback is recorded."))
        return redirect("match-detail", pk=match.pk)
    events = MatchEvent.objects.filter(match=match).select_related("actor")
    return render(
        request,
        "matchmaking/match_detail.html",
        {
            "row": _with_actions(request.user, [match])[0],
            "events": events,
            "history": _history_for_curators(request, match),
            "feedback_form": form,
            "decline_form": forms.DeclineForm(),
        },
        status=400,
    )


# --- member-state focal points --------------------------------------------------


@login_required
def state_dashboard(request: HttpRequest) -> HttpResponse:
    """The needs of the user's member states, by status."""
    states = _member_states(request.user)
    needs = selectors.needs_visible_to(user=request.user, with_tags=False).filter(
        member_state__in=[s.pk for s in states]
    )
    counts = Counter(
        dict(
            needs.order_by()
            .values_list("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        )
    )
    status = request.GET.get("status", "")
    if status in NeedStatus.values:
        needs = needs.filter(status=status)
    needs = needs.annotate(
        match_count=Count(
            "matches", filter=~Q(matches__status=MatchStatus.DECLINED), distinct=True
        ),
        interest_count=Count(
            "matches",
            filter=Q(
                matches__status__in=[
                    MatchStatus.INTEREST,
                    MatchStatus.INTRODUCED,
                    MatchStatus.AGREED,
                    MatchStatus.IN_DELIVERY,
                ]
            ),
            distinct=True,
        ),
    ).order_by("-updated_at", "id")
    return _render(
        request,
        "matchmaking/state_dashboard.html",
        {
            "states": states,
            "status_counts": [
                (value, label, counts.get(value, 0))
                for value, label in NeedStatus.choices
            ],
            "status": status,
            "total": sum(counts.values()),
            "page": _page(request, needs),
        },
        partial="results",
    )


def _need_form_context(form: forms.NeedForm, need: Need | None) -> dict[str, Any]:
    return {"form": form, "need": need}


def _apply_form_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errs in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, error)


@login_required
def need_create(request: HttpRequest) -> HttpResponse:
    """Post a need for one of the user's member states."""
    states = _member_states(request.user)
    if not states:
        raise Http404
    form = forms.NeedForm(request.POST or None, member_states=states)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        state = data.pop("member_state")
        publish = request.POST.get("publish") == "1"
        try:
            need = services.create_need(
                user=request.user, member_state=state, data=data, publish=publish
            )
        except ValidationError as error:
            _apply_form_errors(form, error)
        else:
            if publish:
                messages.success(
                    request,
                    _(
                        "Your need “%(title)s” is published. Suggested programmes "
                        "appear below as soon as the matching engine has run."
                    )
                    % {"title": need.title},
                )
            else:
                messages.success(
                    request,
                    _("Your need “%(title)s” is saved as a draft.")
                    % {"title": need.title},
                )
            return redirect("need-detail", ref=need.ref)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "matchmaking/need_form.html",
        _need_form_context(form, None),
        status=status,
    )


def _editable_need(request: HttpRequest, ref: str) -> Need:
    need = audit.get_visible_or_404(
        request, selectors.needs_visible_to(user=request.user), ref=ref
    )
    if not services.can_edit_need(user=request.user, need=need):
        audit.log_denied_access(request, Need, need.pk, action="edit")
        raise Http404
    return need


@login_required
def need_edit(request: HttpRequest, ref: str) -> HttpResponse:
    """Edit a need of the user's state."""
    need = _editable_need(request, ref)
    form = forms.NeedForm(request.POST or None, instance=need)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_need(
                user=request.user, need=need, data=dict(form.cleaned_data)
            )
        except ValidationError as error:
            _apply_form_errors(form, error)
        else:
            messages.success(request, _("Your changes are saved."))
            return redirect("need-detail", ref=need.ref)
    need.refresh_from_db()
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "matchmaking/need_form.html",
        _need_form_context(form, need),
        status=status,
    )


@login_required
@require_POST
def need_status(request: HttpRequest, ref: str) -> HttpResponse:
    """Publish, withdraw, close or reopen a need."""
    need = _editable_need(request, ref)
    try:
        need = services.set_need_status(
            user=request.user, need=need, status=request.POST.get("status", "")
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            _("The need is now %(status)s.")
            % {"status": need.get_status_display().lower()},
        )
    return redirect("need-detail", ref=need.ref)


# --- providers ---------------------------------------------------------------


@login_required
def provider_dashboard(request: HttpRequest) -> HttpResponse:
    """The programmes of the user's providers and interest awaiting an answer."""
    providers = _providers(request.user)
    ids = [p.pk for p in providers]
    programmes = (
        selectors.programmes_visible_to(user=request.user, with_tags=False)
        .filter(provider__in=ids)
        .annotate(
            match_count=Count(
                "matches",
                filter=~Q(matches__status=MatchStatus.DECLINED),
                distinct=True,
            )
        )
        .order_by("title", "id")
    )
    waiting = (
        selectors.matches_visible_to(user=request.user)
        .filter(programme__provider__in=ids, status=MatchStatus.INTEREST)
        .order_by("-updated_at", "id")
    )
    return render(
        request,
        "matchmaking/provider_dashboard.html",
        {
            "providers": providers,
            "page": _page(request, programmes),
            "waiting": _page(request, waiting, "waiting_page"),
        },
    )


def _programme_form_page(
    request: HttpRequest, form: forms.ProgrammeForm, programme: Programme | None
) -> HttpResponse:
    return render(
        request,
        "matchmaking/programme_form.html",
        {"form": form, "programme": programme},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def programme_create(request: HttpRequest) -> HttpResponse:
    """Register a programme for one of the user's providers."""
    providers = _providers(request.user)
    if not providers:
        raise Http404
    form = forms.ProgrammeForm(request.POST or None, providers=providers)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        provider = data.pop("provider")
        publish = request.POST.get("publish") == "1"
        try:
            programme = services.create_programme(
                user=request.user, provider=provider, data=data, publish=publish
            )
        except ValidationError as error:
            _apply_form_errors(form, error)
        else:
            messages.success(
                request,
                (
                    _("“%(title)s” is published in the catalogue.")
                    if publish
                    else _("“%(title)s” is saved as a draft.")
                )
                % {"title": programme.title},
            )
            return redirect("programme-detail", ref=programme.ref)
    return _programme_form_page(request, form, None)


def _editable_programme(request: HttpRequest, ref: str) -> Programme:
    programme = audit.get_visible_or_404(
        request, selectors.programmes_visible_to(user=request.user), ref=ref
    )
    if not services.can_edit_programme(user=request.user, programme=programme):
        audit.log_denied_access(request, Programme, programme.pk, action="edit")
        raise Http404
    return programme


@login_required
def programme_edit(request: HttpRequest, ref: str) -> HttpResponse:
    """Edit a programme of the user's provider."""
    programme = _editable_programme(request, ref)
    form = forms.ProgrammeForm(request.POST or None, instance=programme)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_programme(
                user=request.user, programme=programme, data=dict(form.cleaned_data)
            )
        except ValidationError as error:
            _apply_form_errors(form, error)
        else:
            messages.success(request, _("Your changes are saved."))
            return redirect("programme-detail", ref=programme.ref)
    programme.refresh_from_db()
    return _programme_form_page(request, form, programme)


@login_required
@require_POST
def programme_status(request: HttpRequest, ref: str) -> HttpResponse:
    """Publish, pause, close or reopen a programme."""
    programme = _editable_programme(request, ref)
    try:
        programme = services.set_programme_status(
            user=request.user, programme=programme, status=request.POST.get("status")
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            _("The programme is now %(status)s.")
            % {"status": programme.get_status_display().lower()},
        )
    return redirect("programme-detail", ref=programme.ref)


@login_required
def programme_matches(request: HttpRequest, ref: str) -> HttpResponse:
    """The needs a programme matches, within what its provider may see."""
    programme = _editable_programme(request, ref)
    matches = (
        selectors.matches_visible_to(user=request.user)
        .filter(programme=programme)
        .order_by("-score", "need_id")
    )
    page = _page(request, matches)
    for match in page.object_list:
        match.programme = programme
    return render(
        request,
        "matchmaking/programme_matches.html",
        {
            "programme": programme,
            "page": page,
            "rows": _with_actions(request.user, list(page.object_list)),
        },
    )


# --- curators ---------------------------------------------------------------


def _curator_only(request: HttpRequest) -> None:
    if not selectors.is_curator(request.user):
        raise Http404


@login_required
def curator_review(request: HttpRequest) -> HttpResponse:
    """Providers to verify and the needs and programmes of the last 30 days."""
    _curator_only(request)
    since = timezone.now() - timedelta(days=30)
    providers = (
        selectors.providers_visible_to(user=request.user)
        .filter(is_verified=False)
        .order_by("created_at", "id")
    )
    # The queue shows no tags: none are prefetched.
    needs = (
        selectors.needs_visible_to(user=request.user, with_tags=False)
        .filter(created_at__gte=since)
        .order_by("-created_at", "id")
    )
    programmes = (
        selectors.programmes_visible_to(user=request.user, with_tags=False)
        .filter(created_at__gte=since)
        .order_by("-created_at", "id")
    )
    need_page = _page(request, needs, "needs_page")
    programme_page = _page(request, programmes, "programmes_page")
    return render(
        request,
        "matchmaking/curator_review.html",
        {
            "providers": _page(request, providers, "providers_page"),
            "needs": need_page,
            "programmes": programme_page,
            # Likely duplicates of the records on these pages (issue #7).
            "need_duplicates": duplicates.need_duplicates(
                user=request.user, need_ids=[n.pk for n in need_page]
            ),
            "programme_duplicates": duplicates.programme_duplicates(
                user=request.user, programme_ids=[p.pk for p in programme_page]
            ),
        },
    )


@login_required
@require_POST
def provider_verify(request: HttpRequest, ref: str) -> HttpResponse:
    """A curator verifies (or un-verifies) a provider."""
    _curator_only(request)
    provider = get_object_or_404(
        selectors.providers_visible_to(user=request.user), ref=ref
    )
    verified = request.POST.get("verified", "1") == "1"
    services.verify_provider(user=request.user, provider=provider, verified=verified)
    messages.success(
        request,
        (
            _("%(name)s is now verified.")
            if verified
            else _("%(name)s is no longer verified.")
        )
        % {"name": provider.name},
    )
    return redirect(_safe_next(request, reverse("curator-review")))


@login_required
def match_board(request: HttpRequest) -> HttpResponse:
    """All matches by status, region and theme; needs left unmet come first."""
    _curator_only(request)
    matches = selectors.matches_visible_to(user=request.user)
    status = request.GET.get("status", "")
    region = request.GET.get("region", "")
    theme = request.GET.get("theme", "")
    if region:
        matches = matches.filter(need__member_state__country__region_id=region)
    if theme:
        matches = matches.filter(
            need_id__in=Need.objects.filter(topics__theme=theme).values("pk")
        )
    counts = dict(
        matches.select_related(None)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    shown = sum(counts.values())
    if status in MatchStatus.values:
        matches = matches.filter(status=status)
        shown = counts.get(status, 0)
    # Latest first, one page in SQL (index match_latest_idx); the count comes
    # from the counts by status above.
    matches = matches.order_by("-updated_at", "id")
    unmet = (
        selectors.needs_visible_to(user=request.user, with_tags=False)
        .filter(status__in=ACTIVE_NEED_STATUSES)
        .exclude(unmet_reason=UnmetReason.NONE)
        .order_by("created_at", "id")
    )
    if region:
        unmet = unmet.filter(member_state__country__region_id=region)
    if theme:
        unmet = unmet.filter(
            pk__in=Need.objects.filter(topics__theme=theme).values("pk")
        )
    return _render(
        request,
        "matchmaking/match_board.html",
        {
            "unmet": _page(request, unmet, "unmet_page"),
            "page": _page(request, matches, count=shown),
            "status_counts": [
                (value, label, counts.get(value, 0))
                for value, label in MatchStatus.choices
            ],
            "total": sum(counts.values()),
            "status": status,
            "region": region,
            "theme": theme,
            "themes": Theme.objects.all(),
            "regions": i18n.sorted_by_name(
                Region.objects.filter(level=RegionLevel.REGION)
            ),
        },
        partial="results",
    )


@login_required
def match_propose(request: HttpRequest, ref: str) -> HttpResponse:
    """A curator proposes a programme for a need by hand, with a note."""
    _curator_only(request)
    need = get_object_or_404(selectors.needs_visible_to(user=request.user), ref=ref)
    query = request.GET.get("q", "").strip()[:200].replace("\x00", "")
    programmes = selectors.programmes_visible_to(user=request.user).filter(
        status=ProgrammeStatus.PUBLISHED
    )
    if query:
        programmes = programmes.filter(
            Q(title__icontains=query)
            | Q(ref__iexact=query)
            | Q(provider__name__icontains=query)
        )
    form = forms.ProposeMatchForm(
        request.POST or None, initial={"need": need.ref, "programme": ""}
    )
    if request.method == "POST" and form.is_valid():
        programme = programmes.filter(ref=form.cleaned_data["programme"]).first()
        if programme is None:
            form.add_error("programme", _("No published programme has this reference."))
        else:
            try:
                match = services.propose_match(
                    user=request.user,
                    need=need,
                    programme=programme,
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                _apply_form_errors(form, error)
            else:
                messages.success(
                    request,
                    _("You proposed “%(programme)s” for “%(need)s”.")
                    % {"programme": programme.title, "need": need.title},
                )
                return redirect("match-detail", pk=match.pk)
    return render(
        request,
        "matchmaking/match_propose.html",
        {
            "need": need,
            "form": form,
            "query": query,
            "page": _page(request, programmes.order_by("title", "id"))
            if query
            else None,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def gap_overview(request: HttpRequest) -> HttpResponse:
    """The former curators' gap table: the gap dashboard now covers it.

    Curators see the dashboard over every need (matchmaking/stats.py), with
    its filters, map and CSV exports; this address stays for bookmarks.
    """
    _curator_only(request)
    return redirect("gap-dashboard")


@login_required
def invitation_list(request: HttpRequest) -> HttpResponse:
    """Curators invite users and see the invitations sent."""
    from .models import Invitation

    _curator_only(request)
    form = forms.InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.invite_user(
            user=request.user,
            email=data["email"],
            member_state=data["member_state"],
            provider=data["provider"],
            role=data["role"],
            accept_url=lambda token: request.build_absolute_uri(
                reverse("invitation-accept", args=[token])
            ),
        )
        messages.success(
            request,
            _("An invitation is on its way to %(email)s.") % {"email": data["email"]},
        )
        return redirect("invitation-list")
    invitations = Invitation.objects.select_related(
        "member_state__country", "provider", "invited_by"
    ).order_by("-created_at", "id")
    return render(
        request,
        "matchmaking/invitation_list.html",
        {"form": form, "page": _page(request, invitations), "now": timezone.now()},
        status=400 if request.method == "POST" else 200,
    )


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Accept an invitation: create an account, or join as the signed-in user."""
    invitation = services.pending_invitation(token=token)
    if invitation is None:
        raise Http404
    signed_in = request.user.is_authenticated
    form = None if signed_in else forms.AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and (signed_in or form.is_valid()):
        try:
            if signed_in:
                user = services.accept_invitation(token=token, user=request.user)
            else:
                data = form.cleaned_data
                user = services.accept_invitation(
                    token=token,
                    new_user={
                        "username": data["username"],
                        "first_name": data["first_name"],
                        "last_name": data["last_name"],
                        "password": data["password1"],
                    },
                )
                login(
                    request,
                    user,
                    backend="django.contrib.auth.backends.ModelBackend",
                )
        except ValidationError as error:
            messages.error(request, _error_text(error))
            return redirect("home")
        messages.success(
            request,
            _("Welcome: you now act for %(org)s.")
            % {"org": invitation.member_state or invitation.provider},
        )
        return redirect(
            "state-dashboard" if invitation.member_state_id else "provider-dashboard"
        )
    return render(
        request,
        "matchmaking/invitation_accept.html",
        {"invitation": invitation, "form": form},
        status=400 if request.method == "POST" else 200,
    )


# --- the user's own pages -----------------------------------------------------


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """The user's name, email and organisations."""
    form = forms.ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        language = i18n.supported(user.language) or (
            i18n.accept_language(request) or settings.LANGUAGE_CODE
        )
        with translation.override(language):
            messages.success(request, _("Your profile is saved."))
            return redirect(i18n.path_in_language(reverse("profile"), language))
    memberships = request.user.memberships.select_related(
        "member_state__country", "provider"
    )
    return render(
        request,
        "registration/profile.html",
        {"form": form, "memberships": memberships},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The user's API tokens: create one (shown once) or revoke one."""
    from . import tokens

    form = forms.ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        expires_at = None
        if data["expires_on"]:
            expires_at = timezone.make_aware(
                datetime.combine(data["expires_on"], time.max)
            )
        try:
            token, new_key = tokens.create_token(
                user=request.user,
                name=data["name"],
                scope=data["scope"],
                expires_at=expires_at,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "expires_at" in error.error_dict:
                error = ValidationError(
                    {"expires_on": error.error_dict.pop("expires_at")}
                )
            _apply_form_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "Token “%(name)s” is created. Copy it now: it will not be "
                    "shown again."
                )
                % {"name": token.name},
            )
            form = forms.ApiTokenForm()
    token_list = ApiToken.objects.filter(user=request.user).order_by(
        "-created_at", "id"
    )
    response = render(
        request,
        "registration/api_tokens.html",
        {
            "form": form,
            "new_key": new_key,
            "page": _page(request, token_list),
            "now": timezone.now(),
        },
        status=400 if request.method == "POST" and form.errors else 200,
    )
    # The key is shown once: never let a cache or the back button replay it.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the user's tokens."""
    from . import tokens

    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    tokens.revoke_token(user=request.user, token=token)
    messages.success(request, _("Token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("api-tokens")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The language switcher: remember the choice, show the same page in it.

    Signed-in users keep it in their profile (it then follows them to every
    device and into their mail), others in the language cookie.
    """
    code = request.POST.get("language")
    if code not in i18n.available_codes():
        return HttpResponseBadRequest(
            _("language: choose one of the languages offered.")
        )
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    bare = i18n.url_in_language(next_url, settings.LANGUAGE_CODE)
    # Pages outside the language prefixes (the admin, the API docs) keep
    # their URL and follow the new preference.
    prefixable = i18n.has_language_version(urlsplit(bare).path, code)
    response = redirect(i18n.url_in_language(bare, code) if prefixable else bare)
    if request.user.is_authenticated:
        request.user.language = code
        request.user.save(update_fields=["language"])
    else:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


def languages_available() -> list[tuple[str, str]]:
    """The languages the interface is translated into."""
    return list(settings.LANGUAGES)


@login_required
def allocation(request: HttpRequest) -> HttpResponse:
    """A capacity-aware slate proposed by the engine, with how long it took."""
    _curator_only(request)
    form = forms.AllocationForm(request.GET or None)
    proposal = None
    rows: list[dict] = []
    if form.is_bound and form.is_valid():
        proposal = suggestions.propose_allocation(
            fairness=form.cleaned_data["fairness"],
            need_limit=form.cleaned_data["need_limit"],
        )
        needs = Need.objects.select_related("member_state__country").in_bulk(
            [p.need_id for p in proposal.pairs]
        )
        programmes = Programme.objects.select_related("provider").in_bulk(
            [p.programme_id for p in proposal.pairs]
        )
        rows = [
            {
                "need": needs[p.need_id],
                "programme": programmes[p.programme_id],
                "score": p.score,
            }
            for p in proposal.pairs
        ]
    return render(
        request,
        "matchmaking/allocation.html",
        {"form": form, "proposal": proposal, "rows": rows},
    )
