"""Choices of the roundtable side."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SessionKind(models.TextChoices):
    OPENING = "opening", _("Opening")
    PLENARY = "plenary", _("Plenary")
    MATCHMAKING = "matchmaking", _("Matchmaking")
    BREAKOUT = "breakout", _("Breakout")
    BILATERAL = "bilateral", _("Bilateral meetings")
    CLOSING = "closing", _("Closing")


class PitchState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    CONFIRMED = "confirmed", _("Confirmed")
    SCHEDULED = "scheduled", _("Scheduled")
    PRESENTED = "presented", _("Presented")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class SlotKind(models.TextChoices):
    PITCH = "pitch", _("Pitch")
    MEETING = "meeting", _("Bilateral meeting")
    BREAK = "break", _("Break")


class MeetingState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")


# Pitches that came through curation: they can be scheduled and presented.
ACCEPTED_PITCH_STATES = (
    PitchState.ACCEPTED,
    PitchState.CONFIRMED,
    PitchState.SCHEDULED,
    PitchState.PRESENTED,
)
# Pitches in a call that count as the provider's one pitch for the event.
ACTIVE_PITCH_STATES = (
    PitchState.SUBMITTED,
    PitchState.IN_REVIEW,
    *ACCEPTED_PITCH_STATES,
)
