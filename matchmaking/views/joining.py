"""Joining: the public request to join, the curators' queue, colleagues'
invitations and confirmed e-mail changes (matchmaking/joining.py holds the rules).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.http import Http404
from django.http import HttpRequest
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.shortcuts import redirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils import translation
from django.utils.translation import gettext as _

from matchmaking import forms
from matchmaking import joining
from matchmaking import selectors
from matchmaking import uploads
from matchmaking.audit import client_ip
from matchmaking.models import JoinStatus
from matchmaking.views.common import _curator_only
from matchmaking.views.common import _page
from matchmaking.views.common import apply_form_errors
from matchmaking.views.common import form_page
from matchmaking.views.common import send_invitation


def _absolute(request: HttpRequest):
    return lambda path: request.build_absolute_uri(path)


# --- the public request ---------------------------------------------------------


def join_request(request: HttpRequest) -> HttpResponse:
    """Ask to join, for a provider organisation or as a focal point."""
    form = forms.JoinRequestForm(
        request.POST or None,
        request.FILES or None,
        initial={"kind": request.GET.get("as", "")},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if data.pop("nickname", ""):
            # A robot filled the hidden field: answer as if it went through.
            return redirect("join-sent")
        letter = data.pop("nomination_letter", None)
        data["language"] = translation.get_language() or ""
        try:
            joining.submit_join_request(
                data=data,
                letter=letter,
                confirm_url=lambda token: request.build_absolute_uri(
                    reverse("join-confirm", args=[token])
                ),
                client=client_ip(request),
            )
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            return redirect("join-sent")
    return form_page(request, "matchmaking/joining/join_form.html", {"form": form})


def join_sent(request: HttpRequest) -> HttpResponse:
    """The same answer to every request: look in your mailbox."""
    return render(request, "matchmaking/joining/join_sent.html")


def join_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The mailed link: a button confirms (a mail scanner's visit changes nothing)."""
    found = joining.request_for_confirmation(token=token)
    if found is None:
        raise Http404
    confirmed = found.status != JoinStatus.UNCONFIRMED
    if request.method == "POST" and not confirmed:
        joining.confirm_join_request(
            token=token,
            queue_url=request.build_absolute_uri(reverse("join-request-queue")),
        )
        confirmed = True
    return render(
        request,
        "matchmaking/joining/join_confirm.html",
        {"join_request": found, "confirmed": confirmed},
    )


# --- the curators' queue ----------------------------------------------------------


@login_required
def join_request_queue(request: HttpRequest) -> HttpResponse:
    """Requests waiting for a decision first, then those decided."""
    _curator_only(request)
    visible = selectors.join_requests_visible_to(user=request.user)
    return render(
        request,
        "matchmaking/joining/queue.html",
        {
            "pending": visible.filter(status=JoinStatus.PENDING),
            "page": _page(
                request,
                visible.exclude(status=JoinStatus.PENDING).order_by(
                    "-decided_at", "-id"
                ),
            ),
        },
    )


@login_required
def join_request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One request: its details, its letter, verify or reject with a reason."""
    _curator_only(request)
    found = get_object_or_404(
        selectors.join_requests_visible_to(user=request.user), pk=pk
    )
    form = forms.JoinDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if "verify" in request.POST:
                joining.verify_join_request(
                    user=request.user, join_request=found, url_for=_absolute(request)
                )
                messages.success(
                    request,
                    _("%(org)s is verified; its requester is told by mail.")
                    % {"org": found.organisation_label},
                )
            else:
                joining.reject_join_request(
                    user=request.user,
                    join_request=found,
                    reason=form.cleaned_data["reason"],
                )
                messages.success(
                    request,
                    _("The request is rejected; its requester is told by mail."),
                )
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            return redirect("join-request-queue")
    return form_page(
        request,
        "matchmaking/joining/detail.html",
        {
            "join_request": found,
            "form": form,
            "history": found.history.select_related("history_user").order_by(
                "history_date"
            ),
        },
    )


@login_required
def join_request_letter(request: HttpRequest, pk: int) -> HttpResponse:
    """The nomination letter (rebuilt when uploaded), for curators."""
    _curator_only(request)
    found = get_object_or_404(
        selectors.join_requests_visible_to(user=request.user).exclude(
            nomination_letter=""
        ),
        pk=pk,
    )
    return uploads.pdf_response(
        found.nomination_letter.open("rb"), name=f"nomination-{found.pk}.pdf"
    )


# --- a provider's colleagues --------------------------------------------------------


@login_required
def colleague_invitations(request: HttpRequest) -> HttpResponse:
    """A verified provider's programme manager invites colleagues to it."""
    provider = selectors.managed_providers(user=request.user).first()
    if provider is None:
        raise Http404
    form = forms.ColleagueInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sent = send_invitation(request, form, provider=provider)
        except PermissionDenied as error:
            raise Http404 from error
        if sent:
            return redirect("colleague-invitations")
    return form_page(
        request,
        "matchmaking/joining/colleagues.html",
        {
            "form": form,
            "provider": provider,
            "page": _page(request, selectors.invitations_sent_for(provider=provider)),
            "now": timezone.now(),
        },
    )


# --- e-mail changes ------------------------------------------------------------------


@login_required
def email_change(request: HttpRequest) -> HttpResponse:
    """Ask for a new address: a link goes to it, the address changes once opened."""
    form = forms.EmailChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            joining.request_email_change(
                user=request.user,
                new_email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                confirm_url=lambda token: request.build_absolute_uri(
                    reverse("email-change-confirm", args=[token])
                ),
            )
        except ValidationError as error:
            apply_form_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "A link is on its way to %(email)s: your address changes when "
                    "you open it."
                )
                % {"email": form.cleaned_data["email"]},
            )
            return redirect("profile")
    return form_page(request, "matchmaking/joining/email_change.html", {"form": form})


@login_required
def email_change_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The mailed link: a button applies the new address (the signed-in account
    that asked, within a day); a mail scanner's visit changes nothing."""
    if request.method != "POST":
        return render(request, "matchmaking/joining/email_confirm.html")
    try:
        user = joining.confirm_email_change(user=request.user, token=token)
    except (ValidationError, PermissionDenied) as error:
        raise Http404 from error
    messages.success(
        request, _("Your email address is now %(email)s.") % {"email": user.email}
    )
    return redirect("profile")
