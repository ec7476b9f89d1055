"""Commitments made at the roundtable: the public list and page, recording
one (at a meeting or after a pitch), progress reports and state changes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.db.models import Q
from django.db.models import Sum
from django.http import Http404
from django.http import HttpRequest
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.shortcuts import redirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from matchmaking import selectors as mm_selectors
from matchmaking.models import Provider
from roundtable import forms
from roundtable import selectors
from roundtable import services
from roundtable.enums import OPEN_COMMITMENT_STATES
from roundtable.enums import CommitmentState


def commitment_list(request: HttpRequest) -> HttpResponse:
    """Every commitment, newest first, with what has been delivered."""
    commitments = selectors.commitments_visible_to(user=request.user)
    state = request.GET.get("state", "")
    if state in CommitmentState.values:
        commitments = commitments.filter(state=state)
    totals = commitments.aggregate(
        count=Count("id"),
        usd=Sum("amount_usd"),
        delivered=Count("id", filter=Q(state=CommitmentState.DELIVERED)),
    )
    return render(
        request,
        "roundtable/commitments.html",
        {
            "commitments": commitments[:200],
            "totals": totals,
            "states": CommitmentState.choices,
            "state": state,
        },
    )


def commitment_detail(request: HttpRequest, ref: str) -> HttpResponse:
    """One commitment, its progress reports, and the report form for its owners."""
    commitment = get_object_or_404(
        selectors.commitments_visible_to(user=request.user), ref=ref
    )
    can_report = request.user.is_authenticated and services.can_report(
        user=request.user, commitment=commitment
    )
    form = forms.CommitmentReportForm(request.POST or None) if can_report else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.report_progress(
                    user=request.user,
                    commitment=commitment,
                    narrative=data["narrative"],
                    share_delivered=data["share_delivered"],
                    spend=data["spend"],
                    evidence_links=(data["evidence_links"] or "").splitlines(),
                )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("Your progress report is published."))
                return redirect("commitment-detail", commitment.ref)
    return render(
        request,
        "roundtable/commitment_detail.html",
        {
            "commitment": commitment,
            "reports": commitment.reports.select_related("author"),
            "form": form,
            "can_report": can_report,
            "report_due": can_report
            and commitment.state in OPEN_COMMITMENT_STATES
            and commitment.next_report_due <= timezone.localdate(),
            "moves": [
                (value, label)
                for value, label in CommitmentState.choices
                if value != commitment.state
            ]
            if can_report
            else [],
        },
        status=400 if form is not None and form.errors else 200,
    )


@login_required
@require_POST
def commitment_state(request: HttpRequest, ref: str) -> HttpResponse:
    """Withdraw, mark delivered, or reopen a commitment."""
    commitment = get_object_or_404(
        selectors.commitments_visible_to(user=request.user), ref=ref
    )
    try:
        services.set_commitment_state(
            user=request.user,
            commitment=commitment,
            state=request.POST.get("state", ""),
        )
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("commitment-detail", commitment.ref)


@login_required
def commitment_create(request: HttpRequest) -> HttpResponse:
    """Record a commitment, from a meeting or a pitch (``?meeting=`` / ``?pitch=``)."""
    user = request.user
    ids = mm_selectors.provider_ids(user=user)
    if not ids and not mm_selectors.is_curator(user):
        raise Http404
    meeting = pitch = None
    source = request.GET
    if source.get("meeting"):
        meeting = get_object_or_404(
            selectors.meetings_visible_to(user=user), pk=source.get("meeting")
        )
        ids = {meeting.pitch.provider_id} & (ids or {meeting.pitch.provider_id})
    elif source.get("pitch"):
        pitch = get_object_or_404(
            selectors.pitches_visible_to(user=user), pk=source.get("pitch")
        )
        ids = {pitch.provider_id} & (ids or {pitch.provider_id})
    providers = list(Provider.objects.filter(pk__in=ids).order_by("name"))
    if not providers:
        raise Http404
    form = forms.CommitmentForm(request.POST or None, providers=providers)
    if request.method == "POST" and form.is_valid():
        try:
            commitment = services.record_commitment(
                user=user,
                provider_id=form.cleaned_data["provider"].pk,
                data=form.service_data(),
                pitch=pitch,
                meeting=meeting,
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("The commitment is published."))
            return redirect("commitment-detail", commitment.ref)
    return render(
        request,
        "roundtable/commitment_form.html",
        {"form": form, "meeting": meeting, "pitch": pitch},
        status=400 if form.errors else 200,
    )
