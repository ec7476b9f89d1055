"""Per-request reading of the signed-in user's memberships."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.http import HttpResponse

from matchmaking import selectors

READS = frozenset({"GET", "HEAD"})


class MembershipsOnceMiddleware:
    """A page that reads (GET, HEAD) asks who the user acts for once.

    The navigation, the visibility of needs and matches and the actions on
    each match all ask for the user's member states and providers: a page
    listing matches asked seven times. Nothing a read does changes them, so
    for such a request they are read once and kept on the user object until
    the response is built (``selectors.memoise_memberships``, as the API does
    for its reads); a write reads them afresh every time.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in READS:
            return self.get_response(request)
        user = request.user
        selectors.memoise_memberships(user=user)
        try:
            return self.get_response(request)
        finally:
            selectors.memoise_memberships(user=user, enabled=False)
