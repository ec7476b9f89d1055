"""Routes of the roundtable's HTML pages (URL names are kebab-case), grouped by
their prefix."""

from django.urls import include
from django.urls import path

from roundtable.views import agenda
from roundtable.views import commitments
from roundtable.views import coordination
from roundtable.views import curation
from roundtable.views import meetings
from roundtable.views import pitches
from roundtable.views import sessions

event_pages = [
    path("", agenda.event_agenda, name="event-agenda"),
    path("print/", agenda.event_agenda_print, name="event-print"),
    path("agenda.json", agenda.event_agenda_json, name="event-json"),
    path("agenda.ics", agenda.event_agenda_ics, name="event-ics"),
    path("sessions/<int:pk>.ics", agenda.session_ics, name="session-ics"),
    path("versions/", agenda.agenda_versions, name="event-versions"),
    path("manage/", agenda.event_manage, name="event-manage"),
    path("review/", curation.review_queue, name="review-queue"),
    path("for-you/", pitches.pitches_for_you, name="pitches-for-you"),
    path("my-pitches/", pitches.my_pitches, name="my-pitches"),
    path("pitches/new/", pitches.pitch_create, name="pitch-create"),
]

pitch_pages = [
    path("", pitches.pitch_detail, name="pitch-detail"),
    path("edit/", pitches.pitch_edit, name="pitch-edit"),
    path("translations/", pitches.pitch_translations, name="pitch-translations"),
    path(
        "translations/<slug:language>/delete/",
        pitches.pitch_translation_delete,
        name="pitch-translation-delete",
    ),
    path("slides.pdf", pitches.pitch_deck, name="pitch-deck"),
    path("action/", pitches.pitch_action, name="pitch-action"),
    path("review/", curation.pitch_review, name="pitch-review"),
    path("meeting/", meetings.meeting_request, name="meeting-request"),
]

meeting_pages = [
    path("", meetings.meeting_list, name="meeting-list"),
    path("schedule.ics", meetings.meeting_schedule_ics, name="meeting-ics"),
    path("<int:pk>/action/", meetings.meeting_action, name="meeting-action"),
]

commitment_pages = [
    path("", commitments.commitment_list, name="commitment-list"),
    path("new/", commitments.commitment_create, name="commitment-create"),
    path("<slug:ref>/", commitments.commitment_detail, name="commitment-detail"),
    path("<slug:ref>/state/", commitments.commitment_state, name="commitment-state"),
]

session_pages = [
    path("registration/", sessions.breakout_registration, name="breakout-registration"),
    path("report/", sessions.session_report, name="session-report"),
    path("report/edit/", sessions.session_report_edit, name="session-report-edit"),
]

urlpatterns = [
    path("", agenda.roundtable_home, name="roundtable-home"),
    path("events/<slug:slug>/", include(event_pages)),
    path("pitches/<int:pk>/", include(pitch_pages)),
    path("meetings/", include(meeting_pages)),
    path("commitments/", include(commitment_pages)),
    path("coordination/", coordination.coordination_view, name="coordination"),
    path("sessions/<int:pk>/", include(session_pages)),
]
