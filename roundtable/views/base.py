"""What the roundtable pages share: lookups that answer 404, form errors, downloads
(the error and form-page helpers of both apps are in ``matchmaking.views.common``).

The pages are thin: they read from selectors and write via services. Anything the
viewer may not see is a 404, exactly like something missing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.http import HttpRequest
from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from matchmaking import selectors as mm_selectors
from matchmaking.audit import get_visible_or_404
from matchmaking.models import MemberState
from matchmaking.models import Provider
from matchmaking.views.common import apply_form_errors
from roundtable import selectors
from roundtable.models import Event
from roundtable.models import Pitch
from roundtable.slides import SlideDeckError


def _apply_errors(form: Any, error: ValidationError) -> None:
    """``apply_form_errors``, with a refused slide deck shown on its own field."""
    if isinstance(error, SlideDeckError) and "slide_deck" in form.fields:
        form.add_error("slide_deck", error)
    else:
        apply_form_errors(form, error)


def event_or_404(slug: str, user: Any) -> Event:
    return get_object_or_404(selectors.events_visible_to(user=user), slug=slug)


def visible_pitch_or_404(request: HttpRequest, pk: int) -> Pitch:
    return get_visible_or_404(
        request, selectors.pitches_visible_to(user=request.user), pk=pk
    )


def require_curator(request: HttpRequest) -> None:
    if not mm_selectors.is_curator(request.user):
        raise Http404


def provider_event_or_404(
    request: HttpRequest, slug: str
) -> tuple[Event, list[Provider]]:
    """The event and the user's organisations; 404 for someone acting for none."""
    event = event_or_404(slug, request.user)
    providers = providers_of(request.user)
    if not providers:
        raise Http404
    return event, providers


def providers_of(user: Any) -> list[Provider]:
    return list(
        Provider.objects.filter(pk__in=mm_selectors.provider_ids(user=user)).order_by(
            "name"
        )
    )


def states_of(user: Any) -> list[MemberState]:
    return list(
        MemberState.objects.filter(
            pk__in=mm_selectors.member_state_ids(user=user)
        ).select_related("country")
    )


def saved[T](
    request: HttpRequest, form: Any, save: Callable[[], T], message: str
) -> T | None:
    """What ``save`` returns for a valid POSTed form (with ``message`` shown); None
    when there is nothing to save or the services refused (the form holds why)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = save()
    except ValidationError as error:
        _apply_errors(form, error)
        return None
    messages.success(request, message)
    return result


def download(response: HttpResponse, name: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
