"""Choices of the roundtable side."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SessionKind(models.TextChoices):
    OPENING = "opening", _("Opening")
    PLENARY = "plenary", _("Plenary")
    MATCHMAKING = "matchmaking", _("Matchmaking")
    BREAKOUT = "breakout", _("Breakout")
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
