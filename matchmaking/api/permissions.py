"""Permissions of the API: who may call what. What one may *see* is in selectors."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from matchmaking import selectors
from matchmaking.models import ApiToken
from matchmaking.models import TokenScope


def via_token(request) -> bool:
    """Whether the request was authenticated with a personal API token."""
    return isinstance(request.auth, ApiToken)


class TokenScopeAllows(permissions.BasePermission):
    """A read-scope token may only use safe methods (read_write and manage: all)."""

    message = "This token is read-only."

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS or not via_token(request):
            return True
        return request.auth.scope in (TokenScope.READ_WRITE, TokenScope.MANAGE)

    def has_object_permission(self, request, view, obj) -> bool:
        return self.has_permission(request, view)


class IsCurator(permissions.BasePermission):
    """The secretariat only."""

    def has_permission(self, request, view) -> bool:
        return selectors.is_curator(request.user)

    def has_object_permission(self, request, view, obj) -> bool:
        return self.has_permission(request, view)


class ManagesTokens(permissions.BasePermission):
    """Tokens are created and revoked by a person signed in, or with a token of
    the ``manage`` scope (never with a read or read_write token)."""

    message = _(
        "Tokens are created and revoked from a signed-in session or with a token "
        "of the manage scope."
    )

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS or not via_token(request):
            return True
        return request.auth.scope == TokenScope.MANAGE


AUTHENTICATED = [permissions.IsAuthenticated, TokenScopeAllows]
# Public by design for reads (visibility still applies); writes need a user.
# DRF's own class, so the schema marks these operations' auth as optional.
PUBLIC_READ = [permissions.IsAuthenticatedOrReadOnly, TokenScopeAllows]
CURATORS = [permissions.IsAuthenticated, IsCurator, TokenScopeAllows]
