"""Choices of the roundtable side."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SessionKind(models.TextChoices):
    OPENING = "opening", _("Opening")
    PLENARY = "plenary", _("Plenary")
    MATCHMAKING = "matchmaking", _("Matchmaking")
    BREAKOUT = "breakout", _("Breakout")
    BILATERAL = "bilateral", _("Bilateral meetings")
    CLOSING = "closing", _("Closing")


class PitchState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("pitch status", "Draft")
    SUBMITTED = "submitted", pgettext_lazy("pitch status", "Submitted")
    IN_REVIEW = "in_review", pgettext_lazy("pitch status", "In review")
    ACCEPTED = "accepted", pgettext_lazy("pitch status", "Accepted")
    REJECTED = "rejected", pgettext_lazy("pitch status", "Rejected")
    CONFIRMED = "confirmed", pgettext_lazy("pitch status", "Confirmed")
    SCHEDULED = "scheduled", pgettext_lazy("pitch status", "Scheduled")
    PRESENTED = "presented", pgettext_lazy("pitch status", "Presented")
    WITHDRAWN = "withdrawn", pgettext_lazy("pitch status", "Withdrawn")


class SlotKind(models.TextChoices):
    PITCH = "pitch", _("Pitch")
    MEETING = "meeting", _("Bilateral meeting")
    BREAK = "break", _("Break")


class MeetingState(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("meeting status", "Requested")
    ACCEPTED = "accepted", pgettext_lazy("meeting status", "Accepted")
    DECLINED = "declined", pgettext_lazy("meeting status", "Declined")
    EXPIRED = "expired", pgettext_lazy("meeting status", "Expired")
    CANCELLED = "cancelled", pgettext_lazy("meeting status", "Cancelled")


# Pitches whose provider may still edit them (while the call is open).
EDITABLE_PITCH_STATES = (PitchState.DRAFT, PitchState.SUBMITTED, PitchState.IN_REVIEW)
# Pitches the running order of a matchmaking session takes.
SCHEDULABLE_PITCH_STATES = (
    PitchState.ACCEPTED,
    PitchState.CONFIRMED,
    PitchState.SCHEDULED,
)
# Pitches that came through curation: they can be scheduled and presented.
ACCEPTED_PITCH_STATES = (*SCHEDULABLE_PITCH_STATES, PitchState.PRESENTED)
# Pitches in a call that count as the provider's one pitch for the event.
ACTIVE_PITCH_STATES = (
    PitchState.SUBMITTED,
    PitchState.IN_REVIEW,
    *ACCEPTED_PITCH_STATES,
)
# Pitches their provider may withdraw.
WITHDRAWABLE_PITCH_STATES = (*EDITABLE_PITCH_STATES, *SCHEDULABLE_PITCH_STATES)
# Pitches a delegation may ask a meeting about.
REQUESTABLE_PITCH_STATES = ACCEPTED_PITCH_STATES


class CommitmentState(models.TextChoices):
    ANNOUNCED = "announced", pgettext_lazy("commitment status", "Announced")
    IN_PROGRESS = "in_progress", pgettext_lazy("commitment status", "In progress")
    DELIVERED = "delivered", pgettext_lazy("commitment status", "Delivered")
    WITHDRAWN = "withdrawn", pgettext_lazy("commitment status", "Withdrawn")


# Commitments still owing progress reports (and reminders).
OPEN_COMMITMENT_STATES = (CommitmentState.ANNOUNCED, CommitmentState.IN_PROGRESS)
