"""The programme catalogue's reads: its facets, its filters, and every count
of them with one page of results in one query (``catalogue_counts``).

Visibility is the caller's: the programmes counted are the queryset it
passes (``selectors.programmes_visible_to`` searched and filtered)."""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from functools import reduce
from typing import Any
from typing import cast

from django.db import connection
from django.db.models import BooleanField
from django.db.models import ExpressionWrapper
from django.db.models import ManyToManyField
from django.db.models import Model
from django.db.models import Q
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from matchmaking import i18n
from matchmaking.enums import OrganisationRole
from matchmaking.enums import RegionLevel
from matchmaking.models import AssistanceType
from matchmaking.models import Audience
from matchmaking.models import CostModel
from matchmaking.models import DeliveryMode
from matchmaking.models import Language
from matchmaking.models import ParticipatingOrganisation
from matchmaking.models import Programme
from matchmaking.models import Region
from matchmaking.models import Theme
from matchmaking.models import Topic

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
