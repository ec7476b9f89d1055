"""The user's conversations (one per introduced match) and the header's count."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.http import HttpResponse
from django.shortcuts import render

from matchmaking.conversations import selectors as conversations
from matchmaking.models import User
from matchmaking.views.common import _page
from matchmaking.views.common import unread_badge


@login_required
def conversation_list(request: HttpRequest) -> HttpResponse:
    """The conversations of the user's matches, latest message first."""
    user = cast(User, request.user)
    page = _page(request, conversations.conversations_of(user=user))
    return render(
        request,
        "matchmaking/conversation_list.html",
        {
            "page": page,
            "rows": conversations.with_counts(user=user, matches=list(page)),
        },
    )


@login_required
def message_badge(request: HttpRequest) -> HttpResponse:
    """The header's count of unread messages."""
    return unread_badge(request, conversations.unread_count(user=request.user))
