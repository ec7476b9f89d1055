"""Request-level security: the client address, private caching of signed-in pages."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


def client_ip(request: HttpRequest) -> str:
    """The client's address as trusted proxies report it, else REMOTE_ADDR.

    Mirrors DRF's throttling rule (``NUM_PROXIES``): with N trusted proxies in
    front, the client is the N-th address from the right of X-Forwarded-For,
    the one the outermost trusted proxy appended. With none (the default),
    X-Forwarded-For is ignored, so a forged header cannot change the identity
    that login lockout counts against.
    """
    remote_addr = request.META.get("REMOTE_ADDR", "")
    num_proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if num_proxies <= 0 or not forwarded:
        return remote_addr
    addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
    if not addresses:
        return remote_addr
    return addresses[-min(num_proxies, len(addresses))]


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
