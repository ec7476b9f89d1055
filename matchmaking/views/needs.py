"""The needs register and a member state's pages (a need's forms: views/records.py)."""

from __future__ import annotations

from collections import Counter

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.db.models import F
from django.db.models import Q
from django.http import Http404
from django.http import HttpRequest
from django.http import HttpResponse
from django.shortcuts import render

from matchmaking import audit
from matchmaking import i18n
from matchmaking import search
from matchmaking import selectors
from matchmaking import services
from matchmaking import stored_results
from matchmaking import translations
from matchmaking.enums import ACTIVE_NEED_STATUSES
from matchmaking.enums import MatchStatus
from matchmaking.enums import NeedStatus
from matchmaking.enums import RegionLevel
from matchmaking.models import Need
from matchmaking.models import Region
from matchmaking.models import Theme
from matchmaking.views.common import _history_for_curators
from matchmaking.views.common import _member_states
from matchmaking.views.common import _page
from matchmaking.views.common import _render
from matchmaking.views.matches import _with_actions


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
        needs = search.search(
            needs,
            query,
            fallback=Q(title__icontains=query)
            | Q(summary__icontains=query)
            | translations.translated_q(Need, query),
        )
    # Most relevant first when the search is ranked (PostgreSQL), else newest.
    order = ("-created_at", "id")
    if search.is_ranked(needs):
        order = ("-" + search.RANK, *order)
    return _render(
        request,
        "matchmaking/need_list.html",
        {
            "page": _page(
                request,
                needs.order_by(*order).prefetch_related("translations"),
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


def need_detail(request: HttpRequest, ref: str) -> HttpResponse:
    """One need; its owners (and curators) see the ranked suggestions."""
    need = audit.get_visible_or_404(
        request, selectors.needs_visible_to(user=request.user), ref=ref
    )
    user = request.user
    can_edit = user.is_authenticated and services.can_edit_record(
        user=user, record=need
    )
    matches = []
    if user.is_authenticated:
        matches = list(
            selectors.matches_visible_to(user=user)
            .filter(need=need)
            .select_related("programme__cost_model")
            .order_by(F("rank").asc(nulls_last=True), "-score", "programme_id")[:50]
        )
    for match in matches:
        match.need = need
    return render(
        request,
        "matchmaking/need_detail.html",
        {
            "need": need,
            "can_edit": can_edit,
            # Loaded into the page after it (need_near_misses).
            "show_near_misses": can_edit and need.status in ACTIVE_NEED_STATUSES,
            # The task worker stores suggestions: say when they await a refresh.
            "freshness": stored_results.need_freshness(need) if can_edit else None,
            "matches": _with_actions(user, matches, first=1),
            "transitions": [
                (value, label)
                for value, label in NeedStatus.choices
                if value in services.NEED_TRANSITIONS.get(need.status, ())
            ],
            "history": _history_for_curators(request, need),
        },
    )


@login_required
def need_near_misses(request: HttpRequest, ref: str) -> HttpResponse:
    """The programmes an active need narrowly missed, for its owners and curators.

    Its own request, loaded into the need's page after the page (htmx);
    without JavaScript, a page of its own. Read from what the task worker
    stored (web processes hold no matching index).
    """
    need = audit.get_visible_or_404(
        request, selectors.needs_visible_to(user=request.user), ref=ref
    )
    user = request.user
    if not (
        services.can_edit_record(user=user, record=need)
        and need.status in ACTIVE_NEED_STATUSES
    ):
        raise Http404
    context = {
        "need": need,
        "near_misses": stored_results.near_misses_for_need(user=user, need=need),
        "freshness": stored_results.near_miss_freshness(need),
    }
    if request.headers.get("HX-Request"):
        return render(request, "matchmaking/includes/near_misses.html", context)
    return render(request, "matchmaking/need_near_misses.html", context)


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
