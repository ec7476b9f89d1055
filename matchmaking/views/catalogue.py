"""The public programme catalogue with its facets, programme and provider pages."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.paginator import Page
from django.core.paginator import Paginator
from django.db.models import Q
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.http import HttpRequest
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.shortcuts import render
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from matchmaking import audit
from matchmaking import catalogue
from matchmaking import i18n
from matchmaking import reference_cache
from matchmaking import search
from matchmaking import selectors
from matchmaking import services
from matchmaking import stored_results
from matchmaking import translations
from matchmaking.enums import ProgrammeStatus
from matchmaking.funding import coordination
from matchmaking.funding import selectors as funding_selectors
from matchmaking.models import Programme
from matchmaking.models import Provider
from matchmaking.views.common import PAGE_SIZE
from matchmaking.views.common import _history_for_curators
from matchmaking.views.common import _linked
from matchmaking.views.common import _page
from matchmaking.views.common import _page_number
from matchmaking.views.common import _render


@dataclass(frozen=True)
class Facet:
    """One filter of the catalogue with its options and their counts."""

    name: str
    label: str
    options: list[dict[str, Any]]


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


# A text search (full text) counts the ended programmes it leaves out up to
# this many, then shows "(100+)": reading up to search.CAP of them for one
# number cost a fifth of a searched page at 100,000 programmes.
ENDED_CAP = 100


def _facet_choices(
    generation: tuple[int, ...] | None,
) -> dict[str, list[tuple[str, str]]]:
    """Every facet's options as (value, name), kept per generation and
    language in display order (``reference_cache``); read now, regions and
    languages unsorted (``_shown``), when not kept."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    return reference_cache.kept(
        f"catalogue-facets:{language}",
        generation,
        lambda: catalogue.catalogue_facet_choices(sort=generation is not None),
    )


def _shown(
    name: str,
    choices: list[tuple[str, str]],
    *,
    kept_sorted: bool,
    found: dict[str | None, int],
    chosen: list[str],
) -> list[tuple[str, str]]:
    """The options offered (found, or chosen), in display order: by name in
    the reader's language for regions and languages (unless kept so, sorted
    once filtered: collation keys are slow and most of the 184 languages are
    not offered)."""
    shown = [c for c in choices if found.get(c[0], 0) or c[0] in chosen]
    if not kept_sorted and name in catalogue.SORTED_BY_NAME:
        return i18n.sorted_by_name(shown, lambda choice: choice[1])
    return shown


def icontains_q(query: str) -> Q:
    """Programmes whose text or translations hold ``query`` as it is (the
    search off PostgreSQL)."""
    return (
        Q(title__icontains=query)
        | Q(summary__icontains=query)
        | Q(description__icontains=query)
        | translations.translated_q(Programme, query)
    )


def _searched(queryset: QuerySet, query: str, also: list[QuerySet]) -> QuerySet:
    """Programmes whose text, provider, tags or translations hold ``query``
    (full text and ranked on PostgreSQL, see matchmaking/search.py)."""
    if not query:
        return queryset
    return search.search(queryset, query, fallback=icontains_q(query), also=also)


def programme_list(request: HttpRequest) -> HttpResponse:
    """The catalogue of published programmes, with faceted search."""
    published = selectors.programmes_visible_to(
        user=request.user, with_tags=False
    ).filter(status=ProgrammeStatus.PUBLISHED)
    # Ended programmes are left out unless asked for ("ended=1").
    with_ended = request.GET.get("ended") == "1"
    ended = published.exclude(selectors.programme_current_q())
    visible = published
    if not with_ended:
        visible = published.filter(selectors.programme_current_q())
    query = request.GET.get("q", "").strip()[:200].replace("\x00", "")
    # Worked out once: it looks up names. Each a set of ids read through an
    # index (the provider's name on its own, small, table: a join would make
    # the database read the provider of every programme to test its name).
    providers = Provider.objects.filter(name__icontains=query).values("pk")
    # Reference data (options, names) kept per generation: one query.
    generation = reference_cache.generation()
    also = (
        [
            Programme.objects.filter(provider__in=providers).values("pk"),
            *i18n.reference_ids(query, Programme, generation),
        ]
        if query
        else []
    )
    # Full text: every set counted is cut at search.CAP + 1 programmes (read
    # through the indexes), and the page ranks those; more than CAP found is
    # said as such, and the counts read from a cut set as "at least".
    limit = search.CAP + 1
    prepared = search.prepare(Programme, query) if query else None
    bounded = prepared is not None

    def bound(queryset: QuerySet, cut: int = limit) -> tuple[str, list[Any]]:
        assert prepared is not None  # noqa: S101  # only when bounded
        return search.bounded_ids(
            queryset,
            prepared,
            also=also,
            limit=cut,
            columns=catalogue.BOUND_COLUMNS,
        )

    def bound_ended(queryset: QuerySet) -> tuple[str, list[Any]]:
        return bound(queryset, ENDED_CAP + 1)

    # A bounded search reads its sets through ``bound`` and is ranked: the
    # searched queryset is built only for the others.
    base = None if bounded else _searched(visible, query, also)
    ranked = base is None or search.is_ranked(base)
    order = ("-" + search.RANK, "title", "id") if ranked else ("title", "id")
    selected = {
        name: [v for v in request.GET.getlist(name) if v and "\x00" not in v][:50]
        for name in [*[f[0] for f in catalogue.CATALOGUE_FACETS], "eligibility"]
    }
    # Part of a funding organisation's name, as the API's ``funder``.
    funder = request.GET.get("funder", "").strip()[:200].replace("\x00", "")
    filters = catalogue.catalogue_filters(selected=selected, funder=funder)

    # With a search or a filter, the ids of the page asked for are read with
    # the counts, so the search and filters run once; a number past the last
    # page (known with the count only) reads its page afterwards. Without,
    # the page is a query of its own, on the title index.
    shared = bool(query or filters)
    probe = Paginator((), PAGE_SIZE)
    probe.count = sys.maxsize
    wanted = _page_number(probe, request.GET.get("page")) if shared else None
    # Ended programmes are counted by the same query, from the same search,
    # when they are left out.
    with_ended_count = shared and not with_ended
    if bounded:
        searched = published if with_ended_count else visible
    else:
        searched = _searched(published, query, also) if with_ended_count else base
        assert searched is not None  # noqa: S101  # built when not bounded
    # The page's slice, never past the CAP-th result when the search is cut.
    size = PAGE_SIZE
    if bounded and wanted is not None:
        size = max(0, min(PAGE_SIZE, search.CAP - (wanted - 1) * PAGE_SIZE))
    read = catalogue.catalogue_counts(
        searched=searched,
        filters=filters,
        shared=shared,
        page=None if wanted is None else ((wanted - 1) * PAGE_SIZE, size),
        rank=search.rank_sql(Programme, query, "p", prepared=prepared)
        if ranked
        else None,
        current=selectors.programme_current_q() if with_ended_count else None,
        bound=bound if bounded else None,
        bound_ended=bound_ended if bounded else None,
    )
    counts = read.counts

    def cut(name: str) -> bool:
        """Whether ``name``'s counts were read from a cut set (at least)."""
        return read.sizes.get(name, 0) > search.CAP

    facets = []
    choices = _facet_choices(generation)
    for name, _path, _model in catalogue.CATALOGUE_FACETS:
        found = counts.get(name, {})
        if name == "region":
            # Programmes open to every state count in every region.
            open_to_all = counts.get("open", {}).get(None, 0)
            found = {
                value: found.get(value, 0) + open_to_all
                for value, _label in choices[name]
            }
        chosen = selected[name]
        at_least = cut(name)
        options = [
            {
                "id": f"f-{name}-{slugify(value)}",
                "value": value,
                "label": label,
                "count": found.get(value, 0),
                "at_least": at_least,
                "selected": value in chosen,
            }
            for value, label in _shown(
                name,
                choices[name],
                kept_sorted=generation is not None,
                found=found,
                chosen=chosen,
            )
        ]
        facets.append(Facet(name, _FACET_LABELS[name](), options))
    elig_counts = {flag: counts.get(flag, {}).get(None, 0) for flag in ("ldc", "sids")}
    facets.append(
        Facet(
            "eligibility",
            _FACET_LABELS["eligibility"](),
            [
                {
                    "id": "f-eligibility-ldc",
                    "value": "ldc",
                    "label": _("Least developed countries"),
                    "count": elig_counts["ldc"],
                    "at_least": cut("eligibility"),
                    "selected": "ldc" in selected["eligibility"],
                },
                {
                    "id": "f-eligibility-sids",
                    "value": "sids",
                    "label": _("Small island developing States"),
                    "count": elig_counts["sids"],
                    "at_least": cut("eligibility"),
                    "selected": "sids" in selected["eligibility"],
                },
            ],
        )
    )
    if with_ended_count:
        ended_count = counts["ended"][None]
    elif bounded:
        ended_count = search.bounded_count(
            ended.filter(*filters.values()), prepared, also=also, limit=ENDED_CAP + 1
        )
    else:
        ended_count = _searched(ended, query, also).filter(*filters.values()).count()
    facets.append(
        Facet(
            "ended",
            _("Status"),
            [
                {
                    "id": "f-ended-1",
                    "value": "1",
                    "label": _("Include ended programmes"),
                    "count": ended_count,
                    "at_least": bounded and ended_count > ENDED_CAP,
                    "selected": with_ended,
                }
            ],
        )
    )
    more = bounded and counts["total"][None] > search.CAP
    # The page's rows: by the ids the counts read, or (a page they did not
    # read) through a query of its own, built only then.
    paginator = Paginator((), PAGE_SIZE)
    paginator.count = search.CAP if more else counts["total"][None]
    number = _page_number(paginator, request.GET.get("page"))
    if number is not None and number == wanted:
        # Its ids came with the counts: read those rows only.
        rows = list(
            visible.filter(pk__in=read.page_ids)
            .order_by("title", "id")
            .prefetch_related("topics", translations.prefetch_translations())
        )
        # In the order the counts query read them (by relevance when ranked).
        position = {pk: i for i, pk in enumerate(read.page_ids)}
        rows.sort(key=lambda row: position[row.pk])
        page = _linked(request, Page(rows, number, paginator), "page")
    else:
        if base is not None:
            listed = base.filter(*filters.values())
        else:
            # A page the counts did not read (past the last): of the same set.
            assert prepared is not None  # noqa: S101  # bounded
            found = search.bounded_ids(
                visible.filter(*filters.values()), prepared, also=also, limit=limit
            )
            ids = RawSQL(*found)  # noqa: S611  # nosec B611
            listed = visible.filter(pk__in=ids).annotate(
                **{search.RANK: search.rank(Programme, query)}
            )
        # The page shows topics only: prefetch nothing else. Its count came above.
        paginator.object_list = listed.order_by(*order).prefetch_related(
            "topics", translations.prefetch_translations()
        )
        page = _linked(request, paginator.get_page(request.GET.get("page")), "page")
    return _render(
        request,
        "matchmaking/programme_list.html",
        {
            "page": page,
            "facets": facets,
            "query": query,
            "funder": funder,
            "any_filter": bool(query or filters or with_ended),
            # More than CAP found: the page lists the CAP most relevant of
            # those read, and says so.
            "more_than": search.CAP if more else None,
        },
        partial="results",
    )


def programme_detail(request: HttpRequest, ref: str) -> HttpResponse:
    """One programme: what it offers, to whom, and how to ask for it."""
    programme = audit.get_visible_or_404(
        request, selectors.programmes_visible_to(user=request.user), ref=ref
    )
    can_edit = request.user.is_authenticated and services.can_edit_record(
        user=request.user, record=programme
    )
    advice = []
    if can_edit and programme.status == ProgrammeStatus.PUBLISHED:
        advice = stored_results.gap_advice(user=request.user, programme=programme)
    return render(
        request,
        "matchmaking/programme_detail.html",
        {
            "programme": programme,
            "can_edit": can_edit,
            "advice": advice,
            "freshness": stored_results.programme_freshness(programme)
            if can_edit
            else None,
            "funding": funding_selectors.programme_funding(programme=programme),
            # Before they publish (and after), its provider and curators see
            # other funders' programmes serving the same countries and topics.
            "overlaps": coordination.overlaps_for(programme)
            if can_edit or selectors.is_curator(request.user)
            else [],
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
