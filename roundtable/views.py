"""HTML pages of the roundtable (thin: reads from selectors, writes via services).

Anything the viewer may not see is a 404, exactly like something missing.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from matchmaking import selectors as mm_selectors
from matchmaking.audit import get_visible_or_404, log_denied_access
from matchmaking.models import NOTE_TEXT, MemberState, Provider, Theme
from matchmaking.views.translations import (
    delete_and_redirect,
    panel_urls,
    translations_page,
)
from roundtable import forms, selectors, services
from roundtable.enums import REQUESTABLE_PITCH_STATES, SessionKind
from roundtable.ical import ICAL_CONTENT_TYPE, agenda_calendar, meetings_calendar
from roundtable.models import Event, Pitch, Review, Session
from roundtable.slides import SlideDeckError, slide_deck_response

# --- helpers --------------------------------------------------------------------------


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _apply_form_errors(form: Any, error: ValidationError) -> None:
    if isinstance(error, SlideDeckError) and "slide_deck" in form.fields:
        form.add_error("slide_deck", error)
    elif hasattr(error, "error_dict"):
        for field, errs in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, error)


def _event(slug: str, user: Any) -> Event:
    return get_object_or_404(selectors.events_visible_to(user=user), slug=slug)


def _visible_pitch(request: HttpRequest, pk: int) -> Pitch:
    return get_visible_or_404(
        request, selectors.pitches_visible_to(user=request.user), pk=pk
    )


def _require_curator(request: HttpRequest) -> None:
    if not mm_selectors.is_curator(request.user):
        raise Http404


def _providers(user: Any) -> list[Provider]:
    return list(
        Provider.objects.filter(pk__in=mm_selectors.provider_ids(user=user)).order_by(
            "name"
        )
    )


def _states(user: Any) -> list[MemberState]:
    return list(
        MemberState.objects.filter(
            pk__in=mm_selectors.member_state_ids(user=user)
        ).select_related("country")
    )


def _agenda(event: Event, user: Any) -> tuple[dict[str, Any], Any]:
    """The published agenda (or, before any publication, the live visible one)."""
    version = selectors.published_agenda(event=event)
    if version is not None and not mm_selectors.is_curator(user):
        return version.snapshot, version
    return selectors.agenda_data(user=user, event=event), version


def _when(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def _pitch_in_language(
    pitch: dict[str, Any] | None, labels: dict[str, str]
) -> dict[str, Any] | None:
    """A slot's pitch with its theme named in the active language.

    The agenda data (frozen in published versions, exported as JSON and
    iCalendar) names themes in English; pages show the reader's language.
    """
    if not pitch:
        return pitch
    return {**pitch, "theme": labels.get(pitch["theme"], pitch["theme"])}


def _rows(agenda: dict[str, Any], breakouts: dict[int, Session]) -> list[dict]:
    """Sessions and slots with real datetimes (and the breakout's seats)."""
    labels = {theme.name: theme.label for theme in Theme.objects.all()}
    return [
        {
            **session,
            "start": _when(session["starts_at"]),
            "end": _when(session["ends_at"]),
            "breakout": breakouts.get(session["id"]),
            "slots": [
                {
                    **slot,
                    "pitch": _pitch_in_language(slot["pitch"], labels),
                    "start": _when(slot["starts_at"]),
                    "end": _when(slot["ends_at"]),
                }
                for slot in session["slots"]
            ],
        }
        for session in agenda["sessions"]
    ]


def _form_page(
    request: HttpRequest, template: str, context: dict[str, Any]
) -> HttpResponse:
    """A form page: 400 when a POST comes back with errors."""
    status = 400 if request.method == "POST" else 200
    return render(request, template, context, status=status)


def _download(response: HttpResponse, name: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- the agenda -----------------------------------------------------------------------


def roundtable_home(request: HttpRequest) -> HttpResponse:
    """The most recent event's agenda."""
    event = (
        selectors.events_visible_to(user=request.user).order_by("-starts_on").first()
    )
    if event is None:
        raise Http404
    return redirect("event-agenda", slug=event.slug)


def event_agenda(request: HttpRequest, slug: str) -> HttpResponse:
    """The public agenda; curators see the live one and the tools to change it."""
    event = _event(slug, request.user)
    agenda, version = _agenda(event, request.user)
    curator = mm_selectors.is_curator(request.user)
    breakouts = {
        s.pk: s for s in selectors.breakouts_of(user=request.user, event=event)
    }
    return render(
        request,
        "roundtable/agenda.html",
        {
            "event": event,
            "sessions": _rows(agenda, breakouts),
            "version": version,
            "curator": curator,
            "call": selectors.call_for_pitches_of(event=event),
            "matchmaking_sessions": Session.objects.filter(
                event=event, kind=SessionKind.MATCHMAKING
            ).order_by("starts_at"),
            "is_state": bool(mm_selectors.member_state_ids(user=request.user)),
            "is_provider": bool(mm_selectors.provider_ids(user=request.user)),
        },
    )


def event_agenda_print(request: HttpRequest, slug: str) -> HttpResponse:
    """A printable agenda (no navigation)."""
    event = _event(slug, request.user)
    agenda, version = _agenda(event, request.user)
    return render(
        request,
        "roundtable/agenda_print.html",
        {"event": event, "sessions": _rows(agenda, {}), "version": version},
    )


def event_agenda_json(request: HttpRequest, slug: str) -> JsonResponse:
    """The agenda as JSON."""
    event = _event(slug, request.user)
    agenda, _version = _agenda(event, request.user)
    return JsonResponse(agenda, encoder=DjangoJSONEncoder)


def event_agenda_ics(request: HttpRequest, slug: str) -> HttpResponse:
    """The whole event as an iCalendar file."""
    event = _event(slug, request.user)
    agenda, _version = _agenda(event, request.user)
    response = HttpResponse(agenda_calendar(agenda), content_type=ICAL_CONTENT_TYPE)
    return _download(response, f"{event.slug}.ics")


def session_ics(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """One session (with its pitches) as an iCalendar file."""
    event = _event(slug, request.user)
    agenda, _version = _agenda(event, request.user)
    if not any(s["id"] == pk for s in agenda["sessions"]):
        raise Http404
    response = HttpResponse(
        agenda_calendar(agenda, session_id=pk), content_type=ICAL_CONTENT_TYPE
    )
    return _download(response, f"{event.slug}-session-{pk}.ics")


@login_required
@require_POST
def event_manage(request: HttpRequest, slug: str) -> HttpResponse:
    """Curators: release decisions, schedule the pitches, publish the agenda."""
    _require_curator(request)
    event = _event(slug, request.user)
    action = request.POST.get("action", "")
    try:
        if action == "release":
            count = services.release_event_decisions(user=request.user, event=event)
            messages.success(
                request,
                ngettext(
                    "%(n)s decision is announced.",
                    "%(n)s decisions are announced.",
                    count,
                )
                % {"n": count},
            )
        elif action == "schedule":
            session = get_object_or_404(
                Session, pk=request.POST.get("session"), event=event
            )
            plan = services.schedule_pitches(
                user=request.user,
                session=session,
                lead_in_seconds=int(request.POST.get("lead_in_minutes") or 0) * 60,
            )
            placed, overflow = len(plan.placements), len(plan.overflow)
            text = ngettext(
                "%(n)s pitch is on the running order.",
                "%(n)s pitches are on the running order.",
                placed,
            ) % {"n": placed}
            if overflow:
                text += " " + ngettext(
                    "%(n)s pitch did not fit.", "%(n)s pitches did not fit.", overflow
                ) % {"n": overflow}
            messages.success(request, text)
        elif action == "publish":
            version = services.publish_agenda(
                user=request.user, event=event, note=request.POST.get("note", "")[:300]
            )
            messages.success(
                request, _("Version %(n)s is published.") % {"n": version.number}
            )
        else:
            raise ValidationError(_("Unknown action."))
    except (ValidationError, ValueError) as error:
        messages.error(
            request,
            _error_text(error) if isinstance(error, ValidationError) else str(error),
        )
    return redirect("event-agenda", slug=event.slug)


# --- pitches --------------------------------------------------------------------------


def pitch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A pitch, its actions, the review form and the meeting request form."""
    pitch = _visible_pitch(request, pk)
    user = request.user
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
    states = _states(user) if user.is_authenticated else []
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
    event = _event(slug, request.user)
    providers = _providers(request.user)
    if not providers:
        raise Http404
    pitches = selectors.pitches_visible_to(user=request.user).filter(
        event=event, provider__in=providers
    )
    return render(
        request,
        "roundtable/my_pitches.html",
        {
            "event": event,
            "pitches": pitches,
            "call": selectors.call_for_pitches_of(event=event),
        },
    )


@login_required
def pitch_create(request: HttpRequest, slug: str) -> HttpResponse:
    """A provider drafts (and may submit) a pitch with its deck."""
    event = _event(slug, request.user)
    providers = _providers(request.user)
    if not providers:
        raise Http404
    form = forms.PitchForm(
        request.POST or None, request.FILES or None, providers=providers
    )
    if request.method == "POST" and form.is_valid():
        try:
            pitch = services.create_pitch(
                user=request.user,
                event=event,
                provider=form.cleaned_data["provider"],
                data=form.service_data(),
                slide_deck=form.cleaned_data.get("slide_deck"),
            )
            if request.POST.get("submit") == "1":
                services.submit_pitch(user=request.user, pitch=pitch)
        except ValidationError as error:
            _apply_form_errors(form, error)
        else:
            messages.success(
                request,
                _("Your pitch is submitted to the curators.")
                if request.POST.get("submit") == "1"
                else _("Your pitch is saved as a draft."),
            )
            return redirect("pitch-detail", pk=pitch.pk)
    return _form_page(
        request,
        "roundtable/pitch_form.html",
        {"form": form, "event": event, "pitch": None},
    )


@login_required
def pitch_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a pitch (and replace its deck) while the call allows it."""
    pitch = _visible_pitch(request, pk)
    if "edit" not in selectors.allowed_pitch_actions(user=request.user, pitch=pitch):
        raise Http404
    form = forms.PitchForm(
        request.POST or None,
        request.FILES or None,
        providers=[pitch.provider],
        pitch=pitch,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_pitch(
                user=request.user,
                pitch=pitch,
                data=form.service_data(),
                slide_deck=form.cleaned_data.get("slide_deck"),
            )
        except ValidationError as error:
            _apply_form_errors(form, error)
        else:
            messages.success(request, _("Your changes are saved."))
            return redirect("pitch-detail", pk=pitch.pk)
    return _form_page(
        request,
        "roundtable/pitch_form.html",
        {"form": form, "event": pitch.event, "pitch": pitch},
    )


def _translatable_pitch(request: HttpRequest, pk: int) -> Pitch:
    """A pitch the user sees and may translate; 404 otherwise, as if missing."""
    pitch = _visible_pitch(request, pk)
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
    pitch = _visible_pitch(request, pk)
    service = PITCH_ACTIONS.get(request.POST.get("action", ""))
    if service is None:
        raise Http404
    try:
        pitch = service(user=request.user, pitch=pitch)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            _("The pitch is now %(state)s.")
            % {"state": pitch.get_state_display().lower()},
        )
    return redirect("pitch-detail", pk=pk)


@login_required
@require_POST
def pitch_review(request: HttpRequest, pk: int) -> HttpResponse:
    """A curator's review."""
    _require_curator(request)
    pitch = _visible_pitch(request, pk)
    form = forms.ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.review_pitch(
                user=request.user,
                pitch=pitch,
                scores=form.scores(),
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("Your review is saved."))
    else:
        messages.error(request, _("Score every criterion from 1 to 5."))
    return redirect("pitch-detail", pk=pk)


@login_required
def review_queue(request: HttpRequest, slug: str) -> HttpResponse:
    """Curators: pitches under curation with aggregated scores, and the balance."""
    _require_curator(request)
    event = _event(slug, request.user)
    return render(
        request,
        "roundtable/review_queue.html",
        {
            "event": event,
            "pitches": selectors.review_queue(user=request.user, event=event),
            "balance": selectors.pitch_balance(user=request.user, event=event),
            "call": selectors.call_for_pitches_of(event=event),
        },
    )


@login_required
def pitches_for_you(request: HttpRequest, slug: str) -> HttpResponse:
    """For a member state's delegate: pitches that answer its open needs."""
    event = _event(slug, request.user)
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


# --- meetings -------------------------------------------------------------------------


@login_required
@require_POST
def meeting_request(request: HttpRequest, pk: int) -> HttpResponse:
    """A delegation asks the presenter of a pitch for a meeting."""
    pitch = _visible_pitch(request, pk)
    states = _states(request.user)
    if not states:
        raise Http404
    form = forms.MeetingRequestForm(request.POST, states=states, pitch=pitch)
    if not form.is_valid():
        messages.error(request, _("Check the meeting request and try again."))
        return redirect("pitch-detail", pk=pk)
    try:
        services.request_meeting(user=request.user, pitch=pitch, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Your request is sent to the presenter."))
    return redirect("meeting-list")


@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    """Requests to answer, requests sent, and the personal schedule."""
    user = request.user
    incoming, sent = selectors.meeting_requests_of(user=user)
    return render(
        request,
        "roundtable/meetings.html",
        {
            "incoming": incoming,
            "sent": sent,
            "schedule": selectors.meeting_schedule_of(user=user),
        },
    )


@login_required
@require_POST
def meeting_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept, decline or cancel a meeting."""
    meeting = get_object_or_404(selectors.meetings_visible_to(user=request.user), pk=pk)
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "")[:NOTE_TEXT]
    try:
        if action == "accept":
            services.accept_meeting(user=request.user, meeting=meeting)
        elif action == "decline":
            services.decline_meeting(user=request.user, meeting=meeting, reason=reason)
        elif action == "cancel":
            services.cancel_meeting(user=request.user, meeting=meeting, reason=reason)
        else:
            raise Http404
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        meeting.refresh_from_db()
        messages.success(
            request,
            _("The meeting is %(state)s.")
            % {"state": meeting.get_state_display().lower()},
        )
    return redirect("meeting-list")


@login_required
def meeting_schedule_ics(request: HttpRequest) -> HttpResponse:
    """The user's accepted meetings as an iCalendar file."""
    schedule = list(selectors.meeting_schedule_of(user=request.user))
    tz = schedule[0].pitch.event.timezone if schedule else "UTC"
    data = meetings_calendar(schedule, name=_("My roundtable meetings"), tz=tz)
    return _download(
        HttpResponse(data, content_type=ICAL_CONTENT_TYPE), "my-meetings.ics"
    )


# --- breakouts and reports ------------------------------------------------------------


@login_required
@require_POST
def breakout_registration(request: HttpRequest, pk: int) -> HttpResponse:
    """Take or give up a seat in a breakout."""
    session = get_object_or_404(selectors.sessions_visible_to(user=request.user), pk=pk)
    try:
        if request.POST.get("action") == "cancel":
            services.cancel_breakout_registration(user=request.user, session=session)
            messages.success(request, _("You have given up your seat."))
        else:
            services.register_for_breakout(user=request.user, session=session)
            messages.success(request, _("You are registered."))
    except ValidationError as error:
        messages.error(request, _error_text(error))
    return redirect("event-agenda", slug=session.event.slug)


def session_report(request: HttpRequest, pk: int) -> HttpResponse:
    """A session's report (published, or a draft to its writers)."""
    report = get_object_or_404(
        selectors.reports_visible_to(user=request.user), session_id=pk
    )
    can_write = services.may_write_report(
        user=request.user, session=report.session, report=report
    )
    return render(
        request,
        "roundtable/report.html",
        {"report": report, "session": report.session, "can_write": can_write},
    )


@login_required
def session_report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The rapporteur writes (and publishes) the report."""
    session = get_object_or_404(selectors.sessions_visible_to(user=request.user), pk=pk)
    report = selectors.report_of(session=session)
    if not services.may_write_report(user=request.user, session=session, report=report):
        raise Http404
    initial = (
        {f: getattr(report, f) for f in services.REPORT_FIELDS} if report else None
    )
    form = forms.ReportForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            report = services.write_session_report(
                user=request.user, session=session, data=form.cleaned_data
            )
            if request.POST.get("publish") == "1":
                services.publish_session_report(user=request.user, report=report)
        except ValidationError as error:
            _apply_form_errors(form, error)
        else:
            messages.success(request, _("The report is saved."))
            return redirect("session-report", pk=session.pk)
    return _form_page(
        request,
        "roundtable/report_form.html",
        {"form": form, "session": session, "report": report},
    )


def agenda_versions(request: HttpRequest, slug: str) -> HttpResponse:
    """The list of published versions (JSON of one version with ?v=N)."""
    event = _event(slug, request.user)
    versions = selectors.agenda_versions_of(event=event)
    number = request.GET.get("v")
    if number:
        if not number.isdigit():
            raise Http404
        version = get_object_or_404(versions.defer(None), number=int(number))
        return HttpResponse(
            json.dumps(version.snapshot, ensure_ascii=False),
            content_type="application/json",
        )
    return render(
        request, "roundtable/versions.html", {"event": event, "versions": versions}
    )
