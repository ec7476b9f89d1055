"""Curators' review of pitches: the review queue and a review."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.http import HttpResponse
from django.shortcuts import redirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from matchmaking.views.common import error_text
from roundtable import forms
from roundtable import selectors
from roundtable import services
from roundtable.views.base import event_or_404
from roundtable.views.base import require_curator
from roundtable.views.base import visible_pitch_or_404


@login_required
@require_POST
def pitch_review(request: HttpRequest, pk: int) -> HttpResponse:
    """A curator's review."""
    require_curator(request)
    pitch = visible_pitch_or_404(request, pk)
    form = forms.ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.review_pitch(
                user=request.user,
                pitch=pitch,
                scores=form.scores(),
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("Your review is saved."))
    else:
        messages.error(request, _("Score every criterion from 1 to 5."))
    return redirect("pitch-detail", pk=pk)


@login_required
def review_queue(request: HttpRequest, slug: str) -> HttpResponse:
    """Curators: pitches under curation with aggregated scores, and the balance."""
    require_curator(request)
    event = event_or_404(slug, request.user)
    return render(
        request,
        "roundtable/review_queue.html",
        {
            "event": event,
            "pitches": selectors.review_queue(user=request.user, event=event),
            "balance": selectors.pitch_balance(user=request.user, event=event),
            "call": selectors.call_for_pitches_of(event=event),
        },
    )
