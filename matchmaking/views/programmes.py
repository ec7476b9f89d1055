"""A provider's pages: its dashboard, programme forms and the needs that suit a
programme.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from matchmaking import (
    forms,
    selectors,
)
from matchmaking.enums import (
    MatchStatus,
)
from matchmaking.models import (
    Programme,
)
from matchmaking.views.common import (
    _create_page,
    _edit_page,
    _editable_or_404,
    _page,
    _providers,
    _status_changed,
)
from matchmaking.views.matches import _with_actions


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


@login_required
def programme_create(request: HttpRequest) -> HttpResponse:
    """Register a programme for one of the user's providers."""
    providers = _providers(request.user)
    if not providers:
        raise Http404
    return _create_page(
        request,
        forms.ProgrammeForm(request.POST or None, providers=providers),
        "provider",
        published=_("“%(title)s” is published in the catalogue."),
        draft=_("“%(title)s” is saved as a draft."),
    )


def _editable_programme(request: HttpRequest, ref: str) -> Programme:
    return _editable_or_404(
        request, selectors.programmes_visible_to(user=request.user), ref
    )


@login_required
def programme_edit(request: HttpRequest, ref: str) -> HttpResponse:
    """Edit a programme of the user's provider."""
    return _edit_page(request, _editable_programme(request, ref), forms.ProgrammeForm)


@login_required
@require_POST
def programme_status(request: HttpRequest, ref: str) -> HttpResponse:
    """Publish, pause, close or reopen a programme."""
    return _status_changed(
        request,
        _editable_programme(request, ref),
        _("The programme is now %(status)s."),
    )


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
