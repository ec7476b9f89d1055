"""Routes of the roundtable's HTML pages (URL names are kebab-case)."""

from django.urls import path

from roundtable import views

urlpatterns = [
    path("", views.roundtable_home, name="roundtable-home"),
    path("events/<slug:slug>/", views.event_agenda, name="event-agenda"),
    path("events/<slug:slug>/print/", views.event_agenda_print, name="event-print"),
    path("events/<slug:slug>/agenda.json", views.event_agenda_json, name="event-json"),
    path("events/<slug:slug>/agenda.ics", views.event_agenda_ics, name="event-ics"),
    path(
        "events/<slug:slug>/sessions/<int:pk>.ics",
        views.session_ics,
        name="session-ics",
    ),
    path("events/<slug:slug>/versions/", views.agenda_versions, name="event-versions"),
    path("events/<slug:slug>/manage/", views.event_manage, name="event-manage"),
    path("events/<slug:slug>/review/", views.review_queue, name="review-queue"),
    path("events/<slug:slug>/for-you/", views.pitches_for_you, name="pitches-for-you"),
    path("events/<slug:slug>/my-pitches/", views.my_pitches, name="my-pitches"),
    path("events/<slug:slug>/pitches/new/", views.pitch_create, name="pitch-create"),
    path("pitches/<int:pk>/", views.pitch_detail, name="pitch-detail"),
    path("pitches/<int:pk>/edit/", views.pitch_edit, name="pitch-edit"),
    path(
        "pitches/<int:pk>/translations/",
        views.pitch_translations,
        name="pitch-translations",
    ),
    path(
        "pitches/<int:pk>/translations/<slug:language>/delete/",
        views.pitch_translation_delete,
        name="pitch-translation-delete",
    ),
    path("pitches/<int:pk>/slides.pdf", views.pitch_deck, name="pitch-deck"),
    path("pitches/<int:pk>/action/", views.pitch_action, name="pitch-action"),
    path("pitches/<int:pk>/review/", views.pitch_review, name="pitch-review"),
    path("pitches/<int:pk>/meeting/", views.meeting_request, name="meeting-request"),
    path("meetings/", views.meeting_list, name="meeting-list"),
    path("meetings/schedule.ics", views.meeting_schedule_ics, name="meeting-ics"),
    path("meetings/<int:pk>/action/", views.meeting_action, name="meeting-action"),
    path(
        "sessions/<int:pk>/registration/",
        views.breakout_registration,
        name="breakout-registration",
    ),
    path("sessions/<int:pk>/report/", views.session_report, name="session-report"),
    path(
        "sessions/<int:pk>/report/edit/",
        views.session_report_edit,
        name="session-report-edit",
    ),
]
