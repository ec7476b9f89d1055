"""Routes of the roundtable's HTML pages (URL names are kebab-case)."""

from django.urls import path

from roundtable.views import (
    agenda,
    commitments,
    coordination,
    curation,
    meetings,
    pitches,
    sessions,
)

urlpatterns = [
    path("", agenda.roundtable_home, name="roundtable-home"),
    path("events/<slug:slug>/", agenda.event_agenda, name="event-agenda"),
    path("events/<slug:slug>/print/", agenda.event_agenda_print, name="event-print"),
    path("events/<slug:slug>/agenda.json", agenda.event_agenda_json, name="event-json"),
    path("events/<slug:slug>/agenda.ics", agenda.event_agenda_ics, name="event-ics"),
    path(
        "events/<slug:slug>/sessions/<int:pk>.ics",
        agenda.session_ics,
        name="session-ics",
    ),
    path("events/<slug:slug>/versions/", agenda.agenda_versions, name="event-versions"),
    path("events/<slug:slug>/manage/", agenda.event_manage, name="event-manage"),
    path("events/<slug:slug>/review/", curation.review_queue, name="review-queue"),
    path(
        "events/<slug:slug>/for-you/", pitches.pitches_for_you, name="pitches-for-you"
    ),
    path("events/<slug:slug>/my-pitches/", pitches.my_pitches, name="my-pitches"),
    path("events/<slug:slug>/pitches/new/", pitches.pitch_create, name="pitch-create"),
    path("pitches/<int:pk>/", pitches.pitch_detail, name="pitch-detail"),
    path("pitches/<int:pk>/edit/", pitches.pitch_edit, name="pitch-edit"),
    path(
        "pitches/<int:pk>/translations/",
        pitches.pitch_translations,
        name="pitch-translations",
    ),
    path(
        "pitches/<int:pk>/translations/<slug:language>/delete/",
        pitches.pitch_translation_delete,
        name="pitch-translation-delete",
    ),
    path("pitches/<int:pk>/slides.pdf", pitches.pitch_deck, name="pitch-deck"),
    path("pitches/<int:pk>/action/", pitches.pitch_action, name="pitch-action"),
    path("pitches/<int:pk>/review/", curation.pitch_review, name="pitch-review"),
    path("pitches/<int:pk>/meeting/", meetings.meeting_request, name="meeting-request"),
    path("meetings/", meetings.meeting_list, name="meeting-list"),
    path("commitments/", commitments.commitment_list, name="commitment-list"),
    path("coordination/", coordination.coordination_view, name="coordination"),
    path("commitments/new/", commitments.commitment_create, name="commitment-create"),
    path(
        "commitments/<slug:ref>/",
        commitments.commitment_detail,
        name="commitment-detail",
    ),
    path(
        "commitments/<slug:ref>/state/",
        commitments.commitment_state,
        name="commitment-state",
    ),
    path("meetings/schedule.ics", meetings.meeting_schedule_ics, name="meeting-ics"),
    path("meetings/<int:pk>/action/", meetings.meeting_action, name="meeting-action"),
    path(
        "sessions/<int:pk>/registration/",
        sessions.breakout_registration,
        name="breakout-registration",
    ),
    path("sessions/<int:pk>/report/", sessions.session_report, name="session-report"),
    path(
        "sessions/<int:pk>/report/edit/",
        sessions.session_report_edit,
        name="session-report-edit",
    ),
]
