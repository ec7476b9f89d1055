"""Two-factor authentication (TOTP, django-otp), required for curators and staff.

Every role that sees confidential needs across states (curators, staff,
superusers: :func:`requires_two_factor`) must use it. With a confirmed TOTP
device the sign-in has two steps: the password (``LoginView``), then a code
from the authenticator app (``login_verify``); only after the code is the
session logged in. Without a device, the password signs in but
:class:`TwoFactorRequiredMiddleware` sends the session to the set-up page and
lets it reach nothing else (no page, admin page or API call by session) until
a device is confirmed. API tokens of these roles can only be created once
two-factor is on (``matchmaking.accounts.tokens.create_token``). Wrong codes
count as failed logins (lockout as for wrong passwords), and the device's own
throttle slows guessing further.
"""

from __future__ import annotations

import io
import time
from base64 import b32encode
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login
from django.contrib.auth import logout
from django.contrib.auth import user_login_failed
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.http import HttpRequest
from django.http import HttpResponse
from django.http import JsonResponse
from django.shortcuts import redirect
from django.shortcuts import render
from django.urls import Resolver404
from django.urls import resolve
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from matchmaking.accounts import throttle
from matchmaking.accounts.forms import CodeForm
from matchmaking.accounts.forms import DisableForm
from matchmaking.accounts.policy import confirmed_device
from matchmaking.accounts.policy import requires_two_factor

# Session key of a sign-in that passed the password step and awaits the code.
PENDING_KEY = "two_factor_pending"
# How long the code step stays open, and how many wrong codes it takes.
PENDING_SECONDS = 300
MAX_CODE_ATTEMPTS = 5


# Two-factor is offered to exactly the roles that need it.
may_enrol = requires_two_factor

# Where a session still without two-factor may go: setting it up, signing in
# or out, the language switcher, the health probe.
_OPEN_TO_UNVERIFIED = frozenset(
    {"two-factor", "login", "login-verify", "logout", "set_language", "health"}
)


def _open_to_unverified(path: str) -> bool:
    try:
        return resolve(path).url_name in _OPEN_TO_UNVERIFIED
    except Resolver404:
        return False


def _api_token_request(request: HttpRequest) -> bool:
    """An API call that presents a token: the API authenticates it, not the session
    (``TokenAuthentication`` comes first and refuses a bad key with 401)."""
    keyword = (request.headers.get("Authorization", "").split() or [""])[0].lower()
    return request.path_info.startswith("/api/") and keyword in {"token", "bearer"}


class TwoFactorRequiredMiddleware:
    """A curator's, staff member's or superuser's session reaches nothing else
    until two-factor authentication is on and verified for it.

    Without a confirmed device the session goes to the set-up page (pages,
    admin) or gets 403 (API by session). With a device but an unverified
    session (the device was added to a signed-in account), the session ends
    and the user signs in again with a code. API tokens are checked by the API.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            not requires_two_factor(user)
            or user.is_verified()
            or _api_token_request(request)
        ):
            return self.get_response(request)
        query = urlencode({"next": request.get_full_path()})
        if confirmed_device(user) is not None:
            logout(request)
            if _open_to_unverified(request.path_info):
                return self.get_response(request)
            return self._refuse(request) or redirect(f"{reverse('login')}?{query}")
        if _open_to_unverified(request.path_info):
            return self.get_response(request)
        return self._refuse(request) or redirect(f"{reverse('two-factor')}?{query}")

    @staticmethod
    def _refuse(request: HttpRequest) -> HttpResponse | None:
        """The API answers 403 instead of redirecting to a page."""
        if not request.path_info.startswith("/api/"):
            return None
        return JsonResponse(
            {
                "detail": _(
                    "Two-factor authentication is required for this account: "
                    "turn it on under Your account, or use an API token."
                )
            },
            status=403,
        )


def throttled(request: HttpRequest, username: Any) -> HttpResponse | None:
    """429 while the account's sign-in delay runs (nothing is checked then)."""
    wait = throttle.seconds_to_wait(username=username, request=request)
    if not wait:
        return None
    request.account_throttled = True
    response = render(
        request, "registration/locked_out.html", {"retry_after": wait}, status=429
    )
    response["Retry-After"] = str(wait)
    return response


class LoginView(auth_views.LoginView):
    """Django's sign-in, stopping before login for users with two-factor on,
    and refusing unevaluated while the account's throttle delay runs."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return throttled(request, request.POST.get("username")) or super().post(
            request, *args, **kwargs
        )

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if confirmed_device(user) is None:
            response = super().form_valid(form)
            throttle.remember_client(self.request, response, user.get_username())
            return response
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


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, guarded like the sign-in: while the account is
    locked out (django-axes) or its throttle delay runs, the current password
    is not checked (429); a wrong one counts as a failed sign-in (the form)."""

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username = request.user.get_username()
        if AxesProxyHandler.is_locked(request, {"username": username}):
            return render(request, "registration/locked_out.html", status=429)
        return throttled(request, username) or super().post(request, *args, **kwargs)


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
    if request.method == "POST" and (
        refused := throttled(request, user.get_username())
    ):
        return refused
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _detail = device.verify_is_allowed()
        if allowed and device.verify_token(form.cleaned_data["token"]):
            _drop_pending(request)
            user.backend = pending["backend"]
            login(request, user)  # rotates the session key
            otp_login(request, device)
            response = redirect(pending["next"])
            throttle.remember_client(request, response, user.get_username())
            return response
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


def _next_or(request: HttpRequest, default: str) -> str:
    """The page the set-up interrupted, if it is on this site."""
    target = request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


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
            return redirect(_next_or(request, "two-factor"))
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
