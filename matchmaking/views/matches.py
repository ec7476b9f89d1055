"""A match's page, the actions on it and delivery feedback."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.http import Http404
from django.http import HttpRequest
from django.http import HttpResponse
from django.shortcuts import redirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from matchmaking import audit
from matchmaking import forms
from matchmaking import selectors
from matchmaking import services
from matchmaking.conversations import selectors as conversations
from matchmaking.conversations import services as conversation_services
from matchmaking.conversations.subjects import author_name
from matchmaking.conversations.subjects import organisation_of
from matchmaking.conversations.text import message_html
from matchmaking.models import NOTE_TEXT
from matchmaking.models import Match
from matchmaking.models import MatchEvent
from matchmaking.models import Message
from matchmaking.notifications import introductions
from matchmaking.views.common import _history_for_curators
from matchmaking.views.common import _is_htmx
from matchmaking.views.common import _safe_next
from matchmaking.views.common import error_text

_COMPONENT_LABELS = {
    "topics": lambda: _("Shared topics"),
    "topic": lambda: _("Shared topics"),
    "eligibility": lambda: _("Eligibility"),
    "language": lambda: _("Language"),
    "languages": lambda: _("Language"),
    "delivery": lambda: _("Delivery mode"),
    "delivery_mode": lambda: _("Delivery mode"),
    "text": lambda: _("Text relevance"),
    "assistance": lambda: _("Assistance type"),
    "audience": lambda: _("Audience"),
    "reach": lambda: _("Made for the country's region or group"),
}


def _components(match: Match) -> list[tuple[str, int]]:
    """The score components as (label, percent) rows."""
    rows = []
    if isinstance(match.components, dict):
        # jsonb (PostgreSQL) does not keep key order: show them in a fixed one.
        order = {key: i for i, key in enumerate(_COMPONENT_LABELS)}
        keys = sorted(match.components, key=lambda k: (order.get(k, len(order)), k))
        for key in keys:
            value = match.components[key]
            if isinstance(value, int | float) and not isinstance(value, bool):
                label = _COMPONENT_LABELS.get(key)
                text = label() if label else key.replace("_", " ").capitalize()
                rows.append((text, round(max(0.0, min(1.0, value)) * 100)))
    return rows


def _with_actions(
    user: Any, matches: list[Match], first: int | None = None
) -> list[dict[str, Any]]:
    """Rows of matches with what the user may do on each (the services decide).

    ``first``: the rank shown on the first row, the others following it (ranks
    are the list's order: unique and consecutive); None shows no rank.
    """
    return [
        {
            "position": None if first is None else first + i,
            "match": row.match,
            "components": _components(row.match),
            "actions": [a for a in row.actions if a != "decline"],
            "can_decline": "decline" in row.actions,
            "can_give_feedback": row.can_give_feedback,
        }
        for i, row in enumerate(services.match_actions(user=user, matches=matches))
    ]


ACTION_DONE = {
    "express_interest": lambda m: _(
        "You expressed interest in “%(programme)s”. Its provider can now accept "
        "and introduce you."
    ),
    "introduce": lambda m: _(
        "You accepted the interest of %(state)s: the match is now introduced."
    ),
    "agree": lambda m: _("The agreement on “%(programme)s” is recorded."),
    "start_delivery": lambda m: _("Delivery of “%(programme)s” has started."),
    "complete": lambda m: _(
        "Delivery of “%(programme)s” is completed. Please give feedback."
    ),
    "decline": lambda m: _("The match with “%(programme)s” is declined."),
}


def _visible_match(request: HttpRequest, pk: int) -> Match:
    return audit.get_visible_or_404(
        request,
        selectors.matches_visible_to(user=request.user).select_related(
            "programme__cost_model"
        ),
        pk=pk,
    )


@login_required
def match_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One match: why it was suggested, its history and the next steps."""
    return _detail_page(request, _visible_match(request, pk))


def _contacts(request: HttpRequest, match: Match) -> dict[str, Any]:
    """Both sides' named contacts, for the parties of an introduced match only."""
    contacts = introductions.match_contacts(user=request.user, match=match)
    return {
        "contacts": contacts,
        "contacts_list": [contacts.state, contacts.provider] if contacts else [],
    }


def _conversation(
    request: HttpRequest,
    match: Match,
    form: forms.MessageForm | None = None,
    hide_errors: dict[int, str] | None = None,
) -> dict[str, Any]:
    """The match's conversation as the viewer may read it; opening it reads it."""
    user = request.user
    side = conversations.side_of(user=user, match=match)
    read_to = conversations.last_read_id(user=user, match=match)
    rows = []
    for message in conversations.messages_of(match=match):
        message.match = match  # the one already read: no query per message
        rows.append(
            {
                "message": message,
                "author": author_name(message),
                "organisation": organisation_of(message),
                "html": message_html(message.body),
                "new": message.pk > read_to
                and message.author_id != user.pk
                and not message.is_hidden,
                "hide_error": (hide_errors or {}).get(message.pk, ""),
            }
        )
    if side is not None and rows and rows[-1]["message"].pk > read_to:
        conversation_services.mark_read(user=user, match=match)
    return {
        "conversation": {
            "rows": rows,
            "open": conversations.is_open(match),
            "party": side is not None,
            "may_write": side is not None and conversations.is_open(match),
            "curator": selectors.is_curator(user),
            "form": form or forms.MessageForm(),
            "limit": NOTE_TEXT,
        }
    }


def _detail_page(
    request: HttpRequest,
    match: Match,
    feedback_form: forms.FeedbackForm | None = None,
    status: int = 200,
    **conversation: Any,
) -> HttpResponse:
    """A match's page: why it was suggested, its history, the next steps."""
    events = (
        MatchEvent.objects.filter(match=match).select_related("actor").order_by("at")
    )
    if feedback_form is None:
        feedback_form = forms.FeedbackForm(
            initial={
                "rating": match.feedback_rating,
                "outcome": match.feedback_outcome,
                "comments": match.feedback_comments,
            }
        )
    return render(
        request,
        "matchmaking/match_detail.html",
        {
            "row": _with_actions(request.user, [match])[0],
            "events": events,
            "history": _history_for_curators(request, match),
            "feedback_form": feedback_form,
            "decline_form": forms.DeclineForm(),
            **_contacts(request, match),
            **_conversation(request, match, **conversation),
        },
        status=status,
    )


def _conversation_part(
    request: HttpRequest, match: Match, form: forms.MessageForm | None = None
) -> HttpResponse:
    """The conversation alone, for htmx (errors answer 200: htmx swaps no 4xx)."""
    response = render(
        request,
        "matchmaking/includes/conversation.html",
        {"row": {"match": match}, **_conversation(request, match, form=form)},
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_POST
def match_message(request: HttpRequest, pk: int) -> HttpResponse:
    """A party writes to the other side (htmx swaps the conversation; or a redirect)."""
    match = _visible_match(request, pk)
    form = forms.MessageForm(request.POST)
    if form.is_valid():
        try:
            conversation_services.post_message(
                user=request.user, match=match, body=form.cleaned_data["body"]
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            if _is_htmx(request):
                return _conversation_part(request, match)
            messages.success(request, _("Your message is sent."))
            return redirect(reverse("match-detail", args=[match.pk]) + "#conversation")
    if _is_htmx(request):
        return _conversation_part(request, match, form)
    return _detail_page(request, match, status=400, form=form)


@login_required
@require_POST
def match_message_hide(request: HttpRequest, pk: int, message_pk: int) -> HttpResponse:
    """A curator hides a message, with a reason the parties read instead."""
    match = _visible_match(request, pk)
    if not selectors.is_curator(request.user):
        raise Http404
    message = Message.objects.filter(match=match, pk=message_pk).first()
    if message is None:
        raise Http404
    try:
        conversation_services.hide_message(
            user=request.user, message=message, reason=request.POST.get("reason", "")
        )
    except ValidationError as error:
        return _detail_page(
            request,
            match,
            status=400,
            hide_errors={message.pk: error_text(error)},
        )
    messages.success(request, _("The message is hidden."))
    return redirect(reverse("match-detail", args=[match.pk]) + "#conversation")


def _position(request: HttpRequest) -> int | None:
    """The rank the card had in its list (a card swapped in place keeps it)."""
    value = request.POST.get("position", "")
    return int(value) if value.isdigit() and 0 < int(value) <= 10_000 else None


@login_required
@require_POST
def match_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a match one step along its workflow."""
    match = _visible_match(request, pk)
    action = request.POST.get("action", "")
    note = request.POST.get("reason", "").strip()[:NOTE_TEXT]
    code = request.POST.get("code", "") if action == "decline" else ""
    try:
        match = services.transition_match(
            user=request.user,
            match=match,
            action=action,
            note=note,
            decline_code=code,
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    except PermissionDenied:
        raise Http404 from None
    else:
        done = ACTION_DONE.get(action)
        if done:
            messages.success(
                request,
                done(match)
                % {
                    "programme": match.programme.title,
                    "state": match.need.member_state,
                },
            )
    if _is_htmx(request):
        fresh = _visible_match(request, pk)
        response = render(
            request,
            "matchmaking/includes/match_card.html",
            {
                "row": _with_actions(request.user, [fresh], _position(request))[0],
                "show_need": request.POST.get("show_need") == "1",
                "htmx_messages": True,
            },
        )
        patch_vary_headers(response, ["HX-Request"])
        return response
    return redirect(_safe_next(request, reverse("match-detail", args=[match.pk])))


@login_required
@require_POST
def match_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    """The state rates a completed delivery."""
    match = _visible_match(request, pk)
    form = forms.FeedbackForm(request.POST)
    if form.is_valid():
        try:
            services.record_feedback(
                user=request.user, match=match, feedback=form.cleaned_data
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("Thank you: your feedback is recorded."))
        return redirect("match-detail", pk=match.pk)
    return _detail_page(request, match, form, status=400)
