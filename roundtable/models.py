"""Data of the event side: the Global Roundtable, its sessions, pitches and reports."""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from matchmaking.models import Programme, Provider

from .enums import PitchState, SessionKind, SlotKind

MAX_PITCH_SECONDS = 180


class Event(models.Model):
    """A roundtable: the Global Roundtable on ICT security capacity building."""

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-starts_on", "slug"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="event_ends_after_start",
                violation_error_message=_("An event cannot end before it starts."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Session(models.Model):
    """A block of the event's agenda: plenary, matchmaking or breakout."""

    event = models.ForeignKey(
        Event,
        on_delete=models.CASCADE,
        related_name="sessions",
        verbose_name=_("event"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=SessionKind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    track = models.CharField(_("track"), max_length=100, blank=True)
    room = models.CharField(_("room"), max_length=100, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("chair"),
    )
    chair_name = models.CharField(_("chair (as shown)"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)

    class Meta:
        ordering = ["event", "starts_at", "id"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="session_ends_after_start",
                violation_error_message=_("A session must end after it starts."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_kind_display()})"


def slide_deck_path(instance: Pitch, filename: str) -> str:
    """Store decks under a generated name: the uploader's file name is never used."""
    suffix = PurePath(filename).suffix.lower()
    if suffix != ".pdf":
        suffix = ".pdf"
    return f"decks/{uuid.uuid4().hex}{suffix}"


class Pitch(models.Model):
    """A provider's 3-minute elevator pitch at the matchmaking session."""

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="pitches", verbose_name=_("event")
    )
    session = models.ForeignKey(
        Session,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pitches",
        verbose_name=_("session"),
    )
    provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        related_name="pitches",
        verbose_name=_("provider"),
    )
    presenter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pitches",
        verbose_name=_("presenter"),
    )
    presenter_name = models.CharField(_("presenter (as shown)"), max_length=200)
    title = models.CharField(_("title"), max_length=200)
    abstract = models.TextField(_("abstract"))
    programmes = models.ManyToManyField(
        Programme, blank=True, related_name="pitches", verbose_name=_("programmes")
    )
    slide_deck = models.FileField(
        _("slide deck"), upload_to=slide_deck_path, blank=True
    )
    slide_count = models.PositiveSmallIntegerField(_("slides"), null=True, blank=True)
    duration_seconds = models.PositiveSmallIntegerField(
        _("duration (seconds)"), default=MAX_PITCH_SECONDS
    )
    state = models.CharField(
        _("state"), max_length=16, choices=PitchState.choices, default=PitchState.DRAFT
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["event", "title", "id"]
        verbose_name = _("pitch")
        verbose_name_plural = _("pitches")
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_seconds__gt=0)
                & Q(duration_seconds__lte=MAX_PITCH_SECONDS),
                name="pitch_duration_at_most_3_minutes",
                violation_error_message=_("A pitch lasts at most 3 minutes."),
            ),
            models.CheckConstraint(
                condition=Q(slide_count__isnull=True) | Q(slide_count__lte=3),
                name="pitch_at_most_3_slides",
                violation_error_message=_("A pitch has at most 3 slides."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} - {self.presenter_name}"


class TimeSlot(models.Model):
    """A slot in a session: a pitch, a bilateral meeting table, or a break."""

    session = models.ForeignKey(
        Session,
        on_delete=models.CASCADE,
        related_name="slots",
        verbose_name=_("session"),
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=SlotKind.choices, default=SlotKind.PITCH
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    location = models.CharField(
        _("table or place"), max_length=100, blank=True, default=""
    )
    pitch = models.OneToOneField(
        Pitch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="slot",
        verbose_name=_("pitch"),
    )

    class Meta:
        ordering = ["session", "starts_at", "location", "id"]
        verbose_name = _("time slot")
        verbose_name_plural = _("time slots")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="slot_ends_after_start",
                violation_error_message=_("A slot must end after it starts."),
            ),
            models.UniqueConstraint(
                fields=["session", "starts_at", "location"],
                name="slot_unique_start_per_place",
            ),
        ]

    def __str__(self) -> str:
        where = f" @ {self.location}" if self.location else ""
        return f"{self.session.title} {self.starts_at:%H:%M}{where}"

    def clean(self) -> None:
        session = self.session if self.session_id else None
        if (
            session
            and self.starts_at
            and self.ends_at
            and (self.starts_at < session.starts_at or self.ends_at > session.ends_at)
        ):
            raise ValidationError(
                _("A slot must lie within its session's start and end.")
            )
        if self.pitch_id and self.kind != SlotKind.PITCH:
            raise ValidationError({"pitch": _("Only pitch slots hold a pitch.")})


class SessionReport(models.Model):
    """The rapporteur's account of a session: summary, key issues, commitments."""

    session = models.OneToOneField(
        Session,
        on_delete=models.CASCADE,
        related_name="report",
        verbose_name=_("session"),
    )
    rapporteur = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rapporteur"),
    )
    summary = models.TextField(_("summary"))
    key_issues = models.TextField(_("key issues"), blank=True)
    commitments = models.TextField(_("commitments"), blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["session"]
        verbose_name = _("session report")
        verbose_name_plural = _("session reports")

    def __str__(self) -> str:
        return _("Report: %(session)s") % {"session": self.session.title}
