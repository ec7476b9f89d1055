"""The home page and the interface language."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.http import HttpResponse
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from matchmaking import i18n
from matchmaking import selectors


def home(request: HttpRequest) -> HttpResponse:
    """Say what the platform is and show live figures."""
    return render(
        request,
        "matchmaking/home.html",
        {"figures": selectors.platform_figures(user=request.user)},
    )


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The language switcher: remember the choice, show the same page in it.

    Signed-in users keep it in their profile (it then follows them to every
    device and into their mail), others in the language cookie.
    """
    code = request.POST.get("language")
    if code not in i18n.available_codes():
        return HttpResponseBadRequest(
            _("language: choose one of the languages offered.")
        )
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    bare = i18n.url_in_language(next_url, settings.LANGUAGE_CODE)
    # Pages outside the language prefixes (the admin, the API docs) keep
    # their URL and follow the new preference.
    prefixable = i18n.has_language_version(urlsplit(bare).path, code)
    response = redirect(i18n.url_in_language(bare, code) if prefixable else bare)
    if request.user.is_authenticated:
        request.user.language = code
        request.user.save(update_fields=["language"])
    else:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response
