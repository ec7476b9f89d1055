"""Bilateral meetings: requests, answers and the personal schedule."""

from __future__ import annotations

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
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from matchmaking import selectors as mm_selectors
from matchmaking.models import NOTE_TEXT
from matchmaking.views.common import error_text
from roundtable import forms
from roundtable import selectors
from roundtable import services
from roundtable.ical import ICAL_CONTENT_TYPE
from roundtable.ical import meetings_calendar
from roundtable.views.base import download
from roundtable.views.base import states_of
from roundtable.views.base import visible_pitch_or_404


@login_required
@require_POST
def meeting_request(request: HttpRequest, pk: int) -> HttpResponse:
    """A delegation asks the presenter of a pitch for a meeting."""
    pitch = visible_pitch_or_404(request, pk)
    states = states_of(request.user)
    if not states:
        raise Http404
    form = forms.MeetingRequestForm(request.POST, states=states, pitch=pitch)
    if not form.is_valid():
        messages.error(request, _("Check the meeting request and try again."))
        return redirect("pitch-detail", pk=pk)
    try:
        services.request_meeting(user=request.user, pitch=pitch, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, error_text(error))
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
            "my_provider_ids": mm_selectors.provider_ids(user=user),
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
        messages.error(request, error_text(error))
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
    return download(
        HttpResponse(data, content_type=ICAL_CONTENT_TYPE), "my-meetings.ics"
    )
