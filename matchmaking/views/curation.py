"""The secretariat's pages: review queue, verification, the match board, proposals,
allocation and invitations.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.db.models import Q
from django.http import HttpRequest
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.shortcuts import redirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from matchmaking import allocation_slates
from matchmaking import duplicates
from matchmaking import forms
from matchmaking import i18n
from matchmaking import selectors
from matchmaking import services
from matchmaking.enums import ACTIVE_NEED_STATUSES
from matchmaking.enums import MatchStatus
from matchmaking.enums import ProgrammeStatus
from matchmaking.enums import RegionLevel
from matchmaking.enums import UnmetReason
from matchmaking.models import Invitation
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.models import Region
from matchmaking.models import Theme
from matchmaking.views.common import _curator_only
from matchmaking.views.common import _page
from matchmaking.views.common import _render
from matchmaking.views.common import _safe_next
from matchmaking.views.common import apply_form_errors
from matchmaking.views.common import form_page
from matchmaking.views.common import send_invitation


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
                apply_form_errors(form, error)
            else:
                messages.success(
                    request,
                    _("You proposed “%(programme)s” for “%(need)s”.")
                    % {"programme": programme.title, "need": need.title},
                )
                return redirect("match-detail", pk=match.pk)
    return form_page(
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
    )


@login_required
def invitation_list(request: HttpRequest) -> HttpResponse:
    """Curators invite users and see the invitations sent."""
    _curator_only(request)
    form = forms.InvitationForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and send_invitation(
            request,
            form,
            state=form.cleaned_data["state"],
            provider=form.cleaned_data["provider"],
        )
    ):
        return redirect("invitation-list")
    sent = Invitation.objects.select_related(
        "member_state__country", "provider", "invited_by"
    ).order_by("-created_at", "id")
    return form_page(
        request,
        "matchmaking/invitation_list.html",
        {"form": form, "page": _page(request, sent), "now": timezone.now()},
    )


@login_required
def allocation(request: HttpRequest) -> HttpResponse:
    """A capacity-aware slate proposed by the engine, with how long it took."""
    _curator_only(request)
    apply_form = forms.ApplySlateForm(request.POST or None)
    if request.method == "POST" and not apply_form.is_valid():
        for errors in apply_form.errors.values():
            messages.error(request, " ".join(errors))
    elif request.method == "POST":
        try:
            proposed = services.apply_slate(
                user=request.user,
                pairs=apply_form.cleaned_data["pairs"],
                note=apply_form.cleaned_data["note"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)s match proposed.",
                    "%(count)s matches proposed.",
                    len(proposed),
                )
                % {"count": len(proposed)},
            )
            return redirect("match-board")
    form = forms.AllocationForm(request.GET or None)
    proposal = None
    pending = False
    rows: list[dict] = []
    if form.is_bound and form.is_valid():
        # Computed by the task worker (web processes hold no matching index).
        slate = allocation_slates.slate_for(
            fairness=form.cleaned_data["fairness"],
            need_limit=form.cleaned_data["need_limit"],
        )
        slate.refresh_from_db()  # the immediate backend ran it already
        pending = slate.computed_at is None
        proposal = None if pending else slate
        pairs = [] if pending else slate.pairs
        needs = Need.objects.select_related("member_state__country").in_bulk(
            [need_id for need_id, _p, _s in pairs]
        )
        programmes = Programme.objects.select_related("provider").in_bulk(
            [programme_id for _n, programme_id, _s in pairs]
        )
        rows = [
            {
                "need": needs[need_id],
                "programme": programmes[programme_id],
                "score": score,
                "pair": f"{need_id}:{programme_id}",
            }
            for need_id, programme_id, score in pairs
            if need_id in needs and programme_id in programmes
        ]
    return render(
        request,
        "matchmaking/allocation.html",
        {
            "form": form,
            "proposal": proposal,
            "pending": pending,
            "rows": rows,
            "apply_form": apply_form,
            "pairs": " ".join(row["pair"] for row in rows),
        },
    )
