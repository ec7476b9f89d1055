"""A match's page, the actions on it and delivery feedback."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from matchmaking import (
    audit,
    forms,
    selectors,
    services,
)
from matchmaking.models import (
    NOTE_TEXT,
    Match,
    MatchEvent,
)
from matchmaking.notifications import introductions
from matchmaking.views.common import (
    _history_for_curators,
    _is_htmx,
    _safe_next,
    error_text,
)

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
    match = _visible_match(request, pk)
    form = forms.FeedbackForm(
        initial={
            "rating": match.feedback_rating,
            "outcome": match.feedback_outcome,
            "comments": match.feedback_comments,
        }
    )
    return _detail_page(request, match, form)


def _contacts(request: HttpRequest, match: Match) -> dict[str, Any]:
    """Both sides' named contacts, for the parties of an introduced match only."""
    contacts = introductions.match_contacts(user=request.user, match=match)
    return {
        "contacts": contacts,
        "contacts_list": [contacts.state, contacts.provider] if contacts else [],
    }


def _detail_page(
    request: HttpRequest,
    match: Match,
    feedback_form: forms.FeedbackForm,
    status: int = 200,
) -> HttpResponse:
    """A match's page: why it was suggested, its history, the next steps."""
    events = (
        MatchEvent.objects.filter(match=match).select_related("actor").order_by("at")
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
        },
        status=status,
    )


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
