"""A person's own pages: accepting an invitation, the profile, personal API tokens,
asking for a password reset.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from datetime import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.http import HttpRequest
from django.http import HttpResponse
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.shortcuts import redirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from matchmaking import forms
from matchmaking import i18n
from matchmaking import invitations
from matchmaking import selectors
from matchmaking.accounts import policy
from matchmaking.accounts import tokens
from matchmaking.models import ApiToken
from matchmaking.views.common import _page
from matchmaking.views.common import apply_form_errors
from matchmaking.views.common import error_text
from matchmaking.views.common import form_page
from matchmaking.views.common import secret_page

logger = logging.getLogger(__name__)


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Accept an invitation: create an account, or join as the signed-in user."""
    invitation = invitations.pending_invitation(token=token)
    if invitation is None:
        raise Http404
    signed_in = request.user.is_authenticated
    if signed_in and not policy.may_accept_invitation(
        user=request.user, invitation=invitation
    ):
        # Signed in as someone else: nothing to accept here, and the page
        # does not say which address was invited.
        return render(
            request,
            "matchmaking/invitation_accept.html",
            {"invitation": invitation, "form": None, "wrong_account": True},
            status=403,
        )
    form = None if signed_in else forms.AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and (signed_in or form.is_valid()):
        try:
            if signed_in:
                user = invitations.accept_invitation(token=token, user=request.user)
            else:
                data = form.cleaned_data
                user = invitations.accept_invitation(
                    token=token,
                    new_user={
                        "username": data["username"],
                        "first_name": data["first_name"],
                        "last_name": data["last_name"],
                        "password": data["password1"],
                    },
                )
                login(
                    request,
                    user,
                    backend="django.contrib.auth.backends.ModelBackend",
                )
        except ValidationError as error:
            messages.error(request, error_text(error))
            return redirect("home")
        messages.success(
            request,
            _("Welcome: you now act for %(org)s.")
            % {"org": invitation.member_state or invitation.provider},
        )
        return redirect(
            "state-dashboard" if invitation.member_state_id else "provider-dashboard"
        )
    return form_page(
        request,
        "matchmaking/invitation_accept.html",
        {"invitation": invitation, "form": form},
    )


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """The user's name, email and organisations."""
    form = forms.ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        language = i18n.supported(user.language) or (
            i18n.accept_language(request) or settings.LANGUAGE_CODE
        )
        with translation.override(language):
            messages.success(request, _("Your profile is saved."))
            return redirect(i18n.path_in_language(reverse("profile"), language))
    memberships = request.user.memberships.select_related(
        "member_state__country", "provider"
    )
    return form_page(
        request,
        "registration/profile.html",
        {"form": form, "memberships": memberships},
    )


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The user's API tokens: create one (shown once) or revoke one."""
    form = forms.ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        expires_at = None
        if data["expires_on"]:
            expires_at = timezone.make_aware(
                datetime.combine(data["expires_on"], time.max)
            )
        try:
            token, new_key = tokens.create_token(
                user=request.user,
                name=data["name"],
                scope=data["scope"],
                expires_at=expires_at,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "expires_at" in error.error_dict:
                error = ValidationError(
                    {"expires_on": error.error_dict.pop("expires_at")}
                )
            apply_form_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "Token “%(name)s” is created. Copy it now: it will not be "
                    "shown again."
                )
                % {"name": token.name},
            )
            form = forms.ApiTokenForm()
    token_list = selectors.api_tokens_of(user=request.user)
    return secret_page(
        request,
        "registration/api_tokens.html",
        form,
        {
            "new_key": new_key,
            "page": _page(request, token_list),
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the user's tokens."""
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    tokens.revoke_token(user=request.user, token=token)
    messages.success(request, _("Token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("api-tokens")


class _MailAfterResponse(HttpResponseRedirect):
    """A redirect that sends queued mails when the server has sent it.

    The server calls ``close()`` once the response is out (Django's handler
    then ends the request): the mails go first, as the request's own work.
    """

    def __init__(self, url: str, *, mails: list[Callable[[], None]]) -> None:
        super().__init__(url)
        self.mails = mails

    def close(self) -> None:
        for send in self.mails:
            try:
                send()
            except Exception:
                logger.exception("password-reset mail could not be sent")
        self.mails = []
        super().close()


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset request, answering before any mail is rendered or sent.

    The mails go when the response is closed, after the server has sent it,
    so the answer takes the same time for known and unknown addresses.
    """

    def form_valid(self, form: Any) -> HttpResponse:
        form.deferred_mail = []
        response = super().form_valid(form)
        return _MailAfterResponse(response["Location"], mails=form.deferred_mail)
