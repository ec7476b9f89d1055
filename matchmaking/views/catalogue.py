"""The public programme catalogue with its facets, programme and provider pages."""

from __future__ import annotations

import operator
import sys
from collections import defaultdict
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from matchmaking import (
    audit,
    i18n,
    selectors,
    services,
    translations,
)
from matchmaking.enums import (
    ProgrammeStatus,
    RegionLevel,
)
from matchmaking.models import (
    AssistanceType,
    Audience,
    CostModel,
    DeliveryMode,
    Language,
    Programme,
    Region,
    Theme,
    Topic,
)
from matchmaking.views.common import (
    PAGE_SIZE,
    _history_for_curators,
    _linked,
    _page,
    _page_number,
    _render,
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
