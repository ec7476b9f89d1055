"""HTML pages of the matchmaking side (thin: reads come from selectors)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import selectors


def home(request: HttpRequest) -> HttpResponse:
    """Say what the platform is and show live figures."""
    return render(
        request,
        "matchmaking/home.html",
        {"figures": selectors.platform_figures(user=request.user)},
    )
