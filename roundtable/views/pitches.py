"""Pitch pages: drafting and editing, the slide deck, translations, workflow steps,
and the pitches that answer a delegation's needs."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.http import Http404
from django.http import HttpRequest
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.shortcuts import redirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.decorators.http import require_POST

from matchmaking import selectors as mm_selectors
from matchmaking.audit import log_denied_access
from matchmaking.views.common import error_text
from matchmaking.views.common import form_page
from matchmaking.views.translations import delete_and_redirect
from matchmaking.views.translations import panel_urls
from matchmaking.views.translations import translations_page
from roundtable import forms
from roundtable import selectors
from roundtable import services
from roundtable.enums import REQUESTABLE_PITCH_STATES
from roundtable.models import Pitch
from roundtable.models import Review
from roundtable.slides import slide_deck_response
from roundtable.views.base import event_or_404
from roundtable.views.base import provider_event_or_404
from roundtable.views.base import saved
from roundtable.views.base import states_of
from roundtable.views.base import visible_pitch_or_404


def pitch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A pitch, its actions, the review form and the meeting request form."""
    pitch = visible_pitch_or_404(request, pk)
    user = request.user
    selectors.with_states_shown(user=user, pitches=[pitch])
    context: dict[str, Any] = {
        "pitch": pitch,
        "actions": selectors.allowed_pitch_actions(user=user, pitch=pitch),
        "can_download": selectors.can_download_slide_deck(user=user, pitch=pitch),
        "can_translate": user.is_authenticated
        and services.can_translate_pitch(user=user, pitch=pitch),
    }
    if "review" in context["actions"]:
        mine = Review.objects.filter(pitch=pitch, curator=user).first()
        context["review_form"] = forms.ReviewForm(review=mine)
    if mm_selectors.is_curator(user):
        context["reviews"] = selectors.reviews_visible_to(user=user).filter(pitch=pitch)
        # What the pitch answers: reviewers score its relevance to stated needs.
        context["answers"] = selectors.needs_answered_by(user=user, pitch=pitch)
    states = states_of(user) if user.is_authenticated else []
    if states and pitch.state in REQUESTABLE_PITCH_STATES:
        context["meeting_form"] = forms.MeetingRequestForm(states=states, pitch=pitch)
    return render(request, "roundtable/pitch_detail.html", context)


def pitch_deck(request: HttpRequest, pk: int) -> HttpResponse:
    """The slide deck, to those allowed; 404 to everyone else."""
    pitch = get_object_or_404(Pitch.objects.select_related("event"), pk=pk)
    if not selectors.can_download_slide_deck(user=request.user, pitch=pitch):
        log_denied_access(request, Pitch, pitch.pk, action="slide_deck")
        raise Http404
    return slide_deck_response(pitch)


@login_required
def my_pitches(request: HttpRequest, slug: str) -> HttpResponse:
    """The pitches of the user's organisations for an event."""
    event, providers = provider_event_or_404(request, slug)
    pitches = selectors.pitches_visible_to(user=request.user).filter(
        event=event, provider__in=providers
    )
    return render(
        request,
        "roundtable/my_pitches.html",
        {
            "event": event,
            "pitches": selectors.with_states_shown(user=request.user, pitches=pitches),
            "call": selectors.call_for_pitches_of(event=event),
        },
    )


@login_required
def pitch_create(request: HttpRequest, slug: str) -> HttpResponse:
    """A provider drafts (and may submit) a pitch with its deck."""
    event, providers = provider_event_or_404(request, slug)
    form = forms.PitchForm(
        request.POST or None, request.FILES or None, providers=providers
    )
    submit = request.POST.get("submit") == "1"

    def save() -> Pitch:
        pitch = services.create_pitch(
            user=request.user,
            event=event,
            provider=form.cleaned_data["provider"],
            data=form.service_data(),
            slide_deck=form.cleaned_data.get("slide_deck"),
        )
        if submit:
            services.submit_pitch(user=request.user, pitch=pitch)
        return pitch

    message = (
        _("Your pitch is submitted to the curators.")
        if submit
        else _("Your pitch is saved as a draft.")
    )
    pitch = saved(request, form, save, message)
    if pitch is not None:
        return redirect("pitch-detail", pk=pitch.pk)
    return form_page(
        request,
        "roundtable/pitch_form.html",
        {"form": form, "event": event, "pitch": None},
    )


@login_required
def pitch_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a pitch (and replace its deck) while the call allows it."""
    pitch = visible_pitch_or_404(request, pk)
    if "edit" not in selectors.allowed_pitch_actions(user=request.user, pitch=pitch):
        raise Http404
    form = forms.PitchForm(
        request.POST or None,
        request.FILES or None,
        providers=[pitch.provider],
        pitch=pitch,
    )
    edited = saved(
        request,
        form,
        lambda: services.update_pitch(
            user=request.user,
            pitch=pitch,
            data=form.service_data(),
            slide_deck=form.cleaned_data.get("slide_deck"),
        ),
        _("Your changes are saved."),
    )
    if edited is not None:
        return redirect("pitch-detail", pk=pitch.pk)
    return form_page(
        request,
        "roundtable/pitch_form.html",
        {"form": form, "event": pitch.event, "pitch": pitch},
    )


def _translatable_pitch(request: HttpRequest, pk: int) -> Pitch:
    """A pitch the user sees and may translate; 404 otherwise, as if missing."""
    pitch = visible_pitch_or_404(request, pk)
    if not services.can_translate_pitch(user=request.user, pitch=pitch):
        log_denied_access(request, Pitch, pitch.pk, action="translate")
        raise Http404
    return pitch


@login_required
@require_http_methods(["GET", "POST"])
def pitch_translations(request: HttpRequest, pk: int) -> HttpResponse:
    """The translations of a pitch's title and abstract (its provider, curators)."""
    pitch = _translatable_pitch(request, pk)
    return translations_page(
        request,
        obj=pitch,
        can_edit=lambda: services.can_translate_pitch(user=request.user, pitch=pitch),
        urls=panel_urls("pitch", pitch.pk),
        back_url=reverse("pitch-detail", args=[pitch.pk]),
    )


@login_required
@require_POST
def pitch_translation_delete(
    request: HttpRequest, pk: int, language: str
) -> HttpResponse:
    """Delete a pitch's translation in one language."""
    pitch = _translatable_pitch(request, pk)
    return delete_and_redirect(
        request,
        obj=pitch,
        language=language,
        can_edit=lambda: services.can_translate_pitch(user=request.user, pitch=pitch),
        back_url=reverse("pitch-translations", args=[pitch.pk]),
    )


PITCH_ACTIONS = {
    "submit": services.submit_pitch,
    "withdraw": services.withdraw_pitch,
    "start_review": services.start_review,
    "accept": services.accept_pitch,
    "reject": services.reject_pitch,
    "confirm": services.confirm_pitch,
    "mark_presented": services.mark_presented,
}


@login_required
@require_POST
def pitch_action(request: HttpRequest, pk: int) -> HttpResponse:
    """One workflow step of a pitch."""
    pitch = visible_pitch_or_404(request, pk)
    service = PITCH_ACTIONS.get(request.POST.get("action", ""))
    if service is None:
        raise Http404
    try:
        pitch = service(user=request.user, pitch=pitch)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request,
            _("The pitch is now %(state)s.")
            % {"state": pitch.get_state_display().lower()},
        )
    return redirect("pitch-detail", pk=pk)


@login_required
def pitches_for_you(request: HttpRequest, slug: str) -> HttpResponse:
    """For a member state's delegate: pitches that answer its open needs."""
    event = event_or_404(slug, request.user)
    if not mm_selectors.member_state_ids(user=request.user):
        raise Http404
    return render(
        request,
        "roundtable/pitches_for_you.html",
        {
            "event": event,
            "found": selectors.pitches_for(user=request.user, event=event),
        },
    )
