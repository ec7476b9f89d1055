"""The agenda pages: the event's agenda (page, print, JSON, iCalendar), its
published versions, and the curators' tools to change it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404
from django.http import HttpRequest
from django.http import HttpResponse
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.shortcuts import redirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from matchmaking import selectors as mm_selectors
from matchmaking.models import Theme
from matchmaking.views.common import error_text
from roundtable import selectors
from roundtable import services
from roundtable.enums import SessionKind
from roundtable.enums import SlotKind
from roundtable.ical import ICAL_CONTENT_TYPE
from roundtable.ical import agenda_calendar
from roundtable.models import Event
from roundtable.models import Session
from roundtable.views.base import download
from roundtable.views.base import event_or_404
from roundtable.views.base import require_curator


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


def _rows(
    agenda: dict[str, Any], breakouts: dict[int, Session], *, curator: bool
) -> list[dict]:
    """Sessions and slots with real datetimes (and the breakout's seats).

    Others than curators see the slots with a pitch and the breaks: a running
    order of empty slots is no running order (its table is left out)."""
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
                if curator or slot["pitch"] or slot["kind"] == SlotKind.BREAK
            ],
        }
        for session in agenda["sessions"]
    ]


def roundtable_home(request: HttpRequest) -> HttpResponse:
    """The agenda of the event under way or the next one (else the latest)."""
    event = selectors.event_to_open(user=request.user)
    if event is None:
        raise Http404
    return redirect("event-agenda", slug=event.slug)


def event_agenda(request: HttpRequest, slug: str) -> HttpResponse:
    """The public agenda; curators see the live one and the tools to change it."""
    event = event_or_404(slug, request.user)
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
            # The header's "Roundtable" opens one event (event_to_open): the
            # others are reached from here.
            "other_events": selectors.events_visible_to(user=request.user)
            .exclude(pk=event.pk)
            .order_by("starts_on"),
            "sessions": _rows(agenda, breakouts, curator=curator),
            "version": version,
            "curator": curator,
            "call": selectors.call_for_pitches_of(event=event),
            # "Schedule pitches" only where pitches go: matchmaking sessions
            # that are not laid out as meeting tables.
            "matchmaking_sessions": Session.objects.filter(
                event=event, kind=SessionKind.MATCHMAKING
            )
            .exclude(slots__kind=SlotKind.MEETING)
            .order_by("starts_at"),
            "is_state": bool(mm_selectors.member_state_ids(user=request.user)),
            "is_provider": bool(mm_selectors.provider_ids(user=request.user)),
        },
    )


def event_agenda_print(request: HttpRequest, slug: str) -> HttpResponse:
    """A printable agenda (no navigation)."""
    event = event_or_404(slug, request.user)
    agenda, version = _agenda(event, request.user)
    return render(
        request,
        "roundtable/agenda_print.html",
        {
            "event": event,
            "sessions": _rows(agenda, {}, curator=False),
            "version": version,
        },
    )


def event_agenda_json(request: HttpRequest, slug: str) -> JsonResponse:
    """The agenda as JSON."""
    event = event_or_404(slug, request.user)
    agenda, _version = _agenda(event, request.user)
    return JsonResponse(agenda, encoder=DjangoJSONEncoder)


def event_agenda_ics(request: HttpRequest, slug: str) -> HttpResponse:
    """The whole event as an iCalendar file."""
    event = event_or_404(slug, request.user)
    agenda, _version = _agenda(event, request.user)
    response = HttpResponse(agenda_calendar(agenda), content_type=ICAL_CONTENT_TYPE)
    return download(response, f"{event.slug}.ics")


def session_ics(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """One session (with its pitches) as an iCalendar file."""
    event = event_or_404(slug, request.user)
    agenda, _version = _agenda(event, request.user)
    if not any(s["id"] == pk for s in agenda["sessions"]):
        raise Http404
    response = HttpResponse(
        agenda_calendar(agenda, session_id=pk), content_type=ICAL_CONTENT_TYPE
    )
    return download(response, f"{event.slug}-session-{pk}.ics")


@login_required
@require_POST
def event_manage(request: HttpRequest, slug: str) -> HttpResponse:
    """Curators: release decisions, schedule the pitches, publish the agenda."""
    require_curator(request)
    event = event_or_404(slug, request.user)
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
                # Not given: the running order keeps its current lead-in.
                lead_in_seconds=int(request.POST["lead_in_minutes"]) * 60
                if request.POST.get("lead_in_minutes")
                else None,
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
            error_text(error) if isinstance(error, ValidationError) else str(error),
        )
    return redirect("event-agenda", slug=event.slug)


def agenda_versions(request: HttpRequest, slug: str) -> HttpResponse:
    """The list of published versions (JSON of one version with ?v=N)."""
    event = event_or_404(slug, request.user)
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
