"""A provider's pages: its dashboard and the needs that suit a programme (a
programme's forms: views/records.py).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.db.models import Q
from django.http import HttpRequest
from django.http import HttpResponse
from django.shortcuts import render

from matchmaking import selectors
from matchmaking.enums import MatchStatus
from matchmaking.views.common import _page
from matchmaking.views.common import _providers
from matchmaking.views.matches import _with_actions
from matchmaking.views.records import editable_record

# The need's long texts, which a match card does not show.
NEED_TEXTS = ("need__summary", "need__description")


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
            # Read only when the page asks (a provider to act for is shown).
            "invites_colleagues": selectors.managed_providers(user=request.user).exists,
        },
    )


@login_required
def programme_matches(request: HttpRequest, ref: str) -> HttpResponse:
    """The needs a programme matches, within what its provider may see."""
    programme = editable_record(request, "programme", ref, with_tags=False)
    # Of each need only what a match card shows (the programme is this one).
    matches = (
        selectors.matches_visible_to(user=request.user)
        .filter(programme=programme)
        .select_related(None)
        .select_related("need__member_state__country")
        .defer(*NEED_TEXTS)
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
            "rows": _with_actions(
                request.user, list(page.object_list), first=page.start_index()
            ),
        },
    )
