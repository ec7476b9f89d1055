"""Token authentication for the API: ``Authorization: Token <key>`` or ``Bearer``."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication
from rest_framework import exceptions

from matchmaking.accounts import tokens
from matchmaking.i18n import supported


class TokenAuthentication(authentication.BaseAuthentication):
    """Personal API tokens; a revoked or expired token or an inactive user fails."""

    keywords = ("token", "bearer")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower().decode("latin-1") not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid token header: give the key after the keyword.")
            )
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        token = tokens.authenticate_key(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed(
                _("Invalid, expired or revoked token.")
            )
        if not request.headers.get("Accept-Language"):
            # No Accept-Language: answer in the token owner's profile language.
            language = supported(token.user.language)
            if language:
                translation.activate(language)
                request._request.LANGUAGE_CODE = language
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Token realm="api"'


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "matchmaking.api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A personal API token: `Token <key>` (or `Bearer <key>`).",
        }
