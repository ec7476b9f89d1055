"""Sign-in with optional two-factor authentication (TOTP, django-otp) for curators.

A user with a confirmed TOTP device signs in in two steps: the password
(``LoginView``), then a code from the authenticator app (``login_verify``).
Only after the code is the session logged in, so no page, API call or admin
page is reachable with the password alone. Wrong codes count as failed logins
(django-axes locks the username and address out as for wrong passwords), and
the device's own throttle slows guessing further.
"""

from __future__ import annotations

import io
import time
from base64 import b32encode
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, login, user_login_failed
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from matchmaking.forms import GovukFormMixin

# Session key of a sign-in that passed the password step and awaits the code.
PENDING_KEY = "two_factor_pending"
# How long the code step stays open, and how many wrong codes it takes.
PENDING_SECONDS = 300
MAX_CODE_ATTEMPTS = 5


def confirmed_device(user: Any) -> TOTPDevice | None:
    """The user's confirmed TOTP device, if two-factor is on for them."""
    if user is None or not user.pk:
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def may_enrol(user: Any) -> bool:
    """Two-factor is offered to curators and staff (the secretariat)."""
    return bool(user.is_authenticated and (user.is_curator or user.is_staff))


class CodeForm(GovukFormMixin, forms.Form):
    """A six-digit code from the authenticator app."""

    token = forms.RegexField(
        label=gettext_lazy("Security code"),
        regex=r"^\s*\d{6}\s*$",
        max_length=12,
        help_text=gettext_lazy("The 6-digit code your authenticator app shows now."),
        error_messages={
            "invalid": gettext_lazy("Enter the 6 digits the app shows."),
            "required": gettext_lazy("Enter the security code."),
        },
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "class": "govuk-input govuk-input--width-5",
            }
        ),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].strip()


class DisableForm(CodeForm):
    """Turning two-factor off needs the password and a current code."""

    password = forms.CharField(
        label=gettext_lazy("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ("password", "token")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("Your password was entered incorrectly."))
        return password


class LoginView(auth_views.LoginView):
    """Django's sign-in, stopping before login for users with two-factor on."""

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if confirmed_device(user) is None:
            return super().form_valid(form)
        # Password right: hold the sign-in in a fresh session key until the code.
        self.request.session.cycle_key()
        self.request.session[PENDING_KEY] = {
            "user": user.pk,
            "backend": user.backend,
            "next": self.get_success_url(),
            "started": time.time(),
            "failures": 0,
        }
        return redirect("login-verify")


def _drop_pending(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)


@sensitive_post_parameters("token")
@never_cache
@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    """Second sign-in step: the code from the authenticator app."""
    pending = request.session.get(PENDING_KEY)
    user = None
    if pending and time.time() - pending["started"] <= PENDING_SECONDS:
        user = get_user_model().objects.filter(pk=pending["user"]).first()
    device = confirmed_device(user)
    if user is None or device is None or not user.is_active:
        _drop_pending(request)
        messages.error(request, _("Your sign-in timed out: sign in again."))
        return redirect("login")
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        _drop_pending(request)
        return render(request, "registration/locked_out.html", status=429)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _detail = device.verify_is_allowed()
        if allowed and device.verify_token(form.cleaned_data["token"]):
            _drop_pending(request)
            user.backend = pending["backend"]
            login(request, user)  # rotates the session key
            otp_login(request, device)
            return redirect(pending["next"])
        # Counts as a failed login for lockout and security logging.
        user_login_failed.send(
            sender=__name__, credentials=credentials, request=request
        )
        pending["failures"] += 1
        request.session[PENDING_KEY] = pending
        if pending["failures"] >= MAX_CODE_ATTEMPTS:
            _drop_pending(request)
            messages.error(request, _("Too many wrong codes: sign in again."))
            return redirect("login")
        form.add_error(
            "token",
            _("The code is wrong or has expired.")
            if allowed
            else _("Too many wrong codes in a row: wait a moment and try again."),
        )
    return render(
        request,
        "registration/login_verify.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


def _qr_svg(url: str) -> SafeString:
    """The otpauth URL as an inline SVG QR code (no script, no outside fetch)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=16)
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode()
    # Drop the XML declaration: the SVG sits inside HTML. The markup is made by
    # qrcode from our own otpauth URL (no user text in it), so marking it safe
    # is sound (bandit B308/B703, ruff S308 accepted for that reason).
    return mark_safe(svg[svg.index("<svg") :])  # noqa: S308  # nosec B308 B703


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@sensitive_post_parameters("token", "password")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Turn two-factor authentication on (scan, confirm a code) or off."""
    if not may_enrol(request.user):
        raise Http404
    device = confirmed_device(request.user)
    if device is not None:
        form = DisableForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            if device.verify_token(form.cleaned_data["token"]):
                TOTPDevice.objects.filter(user=request.user).delete()
                messages.success(request, _("Two-factor authentication is off."))
                return redirect("two-factor")
            form.add_error("token", _("The code is wrong or has expired."))
        return render(
            request,
            "registration/two_factor.html",
            {"enabled": True, "form": form},
            status=400 if request.method == "POST" else 200,
        )
    with transaction.atomic():
        pending_device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=request.user, confirmed=False)
            .first()
        ) or TOTPDevice.objects.create(
            user=request.user, name=_("Authenticator app"), confirmed=False
        )
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if pending_device.verify_token(form.cleaned_data["token"]):
            pending_device.confirmed = True
            pending_device.save(update_fields=["confirmed"])
            otp_login(request, pending_device)
            messages.success(
                request,
                _("Two-factor authentication is on: you will need a code at sign-in."),
            )
            return redirect("two-factor")
        form.add_error("token", _("The code is wrong or has expired."))
    secret = b32encode(pending_device.bin_key).decode()
    return render(
        request,
        "registration/two_factor.html",
        {
            "enabled": False,
            "form": form,
            "qr_svg": _qr_svg(pending_device.config_url),
            "secret": _grouped(secret),
        },
        status=400 if request.method == "POST" else 200,
    )
