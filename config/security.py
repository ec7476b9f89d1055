"""Request-level security: private caching of signed-in pages."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.http import HttpResponse
from django.utils.cache import patch_cache_control


class PrivatePagesMiddleware:
    """Keep signed-in users' responses out of shared caches and the back button.

    Every response to an authenticated request that has not chosen its own
    caching gets ``Cache-Control: private, no-store``, so a proxy never serves
    one user's page to another and a page stays gone after logout.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not response.has_header("Cache-Control")
        ):
            patch_cache_control(response, private=True, no_store=True)
        return response
