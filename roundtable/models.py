"""Data of the event side: the Global Roundtable, its sessions, pitches and reports."""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from matchmaking.models import LONG_TEXT
from matchmaking.models import NOTE_TEXT
from matchmaking.models import SHORT_TEXT
from matchmaking.models import AssistanceType
from matchmaking.models import ContentTranslation
from matchmaking.models import Country
from matchmaking.models import Language
from matchmaking.models import Match
from matchmaking.models import MemberState
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.models import Provider
from matchmaking.models import Region
from matchmaking.models import StakeholderGroup
from matchmaking.models import Theme
from matchmaking.models import Timestamped
from matchmaking.models import Topic
from matchmaking.models import limited_text
from matchmaking.models import new_ref
from matchmaking.models.base import choice_field
from matchmaking.models.base import in_order
from matchmaking.models.base import optional_fk
from matchmaking.models.base import parent_fk
from matchmaking.models.base import protected_fk
from matchmaking.models.base import tags
from matchmaking.models.base import user_fk
from matchmaking.models.funding import currency_field
from matchmaking.models.funding import money_field
from roundtable.enums import ACTIVE_PITCH_STATES
from roundtable.enums import CommitmentState
from roundtable.enums import MeetingState
from roundtable.enums import PitchState
from roundtable.enums import SessionKind
from roundtable.enums import SlotKind

MAX_PITCH_SECONDS = 180
MAX_PITCH_SLIDES = 3
MAX_DECK_BYTES = 10 * 1024 * 1024


class Event(Timestamped):
    """A roundtable: the Global Roundtable on ICT security capacity building."""

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = limited_text(_("description"), LONG_TEXT, blank=True)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))

    class Meta:
        ordering = ["-starts_on", "slug"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            in_order(
                "starts_on",
                "ends_on",
                same_ok=True,
                name="event_ends_after_start",
                message=_("An event cannot end before it starts."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Session(models.Model):
    """A block of the event's agenda: plenary, matchmaking or breakout."""

    event = parent_fk(Event, "sessions", _("event"))
    kind = choice_field(_("kind"), SessionKind)
    title = models.CharField(_("title"), max_length=200)
    description = limited_text(_("description"), LONG_TEXT, blank=True)
    track = models.CharField(_("track"), max_length=100, blank=True)
    room = models.CharField(_("room"), max_length=100, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    chair = user_fk(_("chair"))
    chair_name = models.CharField(_("chair (as shown)"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)

    class Meta:
        ordering = ["event", "starts_at", "id"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        constraints = [
            in_order(
                "starts_at",
                "ends_at",
                name="session_ends_after_start",
                message=_("A session must end after it starts."),
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


class Pitch(Timestamped):
    """A provider's 3-minute elevator pitch at the matchmaking session."""

    event = parent_fk(Event, "pitches", _("event"))
    session = optional_fk(Session, _("session"), related_name="pitches")
    provider = protected_fk(Provider, _("provider"), related_name="pitches")
    presenter = user_fk(_("presenter"), related_name="pitches")
    presenter_name = models.CharField(_("presenter (as shown)"), max_length=200)
    title = models.CharField(_("title"), max_length=200)
    abstract = limited_text(_("abstract"), SHORT_TEXT)
    content_language = protected_fk(
        Language,
        _("written in"),
        default="en",
        help_text=_("The language the title and abstract are written in."),
    )
    # Translations of the title and abstract (the translation's "summary").
    translations = GenericRelation(ContentTranslation)
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
    state = choice_field(_("state"), PitchState, default=PitchState.DRAFT)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decision staged"), null=True, blank=True)
    decided_by = user_fk(_("decided by"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    # When the released decision reached its contacts: a release re-run mails
    # only the pitches without it (a mail that failed is retried).
    decision_mailed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Audit trail of the pitch workflow (submitted, accepted, confirmed ...).
    history = HistoricalRecords()

    class Meta:
        ordering = ["event", "title", "id"]
        verbose_name = _("pitch")
        verbose_name_plural = _("pitches")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "provider"],
                condition=Q(state__in=ACTIVE_PITCH_STATES),
                name="pitch_one_active_per_provider_and_event",
                violation_error_message=_(
                    "A provider gives one pitch per event: this one already has one."
                ),
            ),
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

    session = parent_fk(Session, "slots", _("session"))
    kind = choice_field(_("kind"), SlotKind, default=SlotKind.PITCH)
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
            in_order(
                "starts_at",
                "ends_at",
                name="slot_ends_after_start",
                message=_("A slot must end after it starts."),
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


class SessionReport(Timestamped):
    """The rapporteur's account of a session: summary, key issues, commitments."""

    session = parent_fk(Session, "report", _("session"), one=True)
    rapporteur = user_fk(_("rapporteur"))
    summary = limited_text(_("summary"), LONG_TEXT)
    key_issues = limited_text(_("key issues"), LONG_TEXT, blank=True)
    commitments = limited_text(_("commitments"), LONG_TEXT, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        ordering = ["session"]
        verbose_name = _("session report")
        verbose_name_plural = _("session reports")

    def __str__(self) -> str:
        return _("Report: %(session)s") % {"session": self.session.title}


class CallForPitches(Timestamped):
    """An event's call for pitches: when it is open, the rules, who may answer."""

    event = parent_fk(Event, "call_for_pitches", _("event"), one=True)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    max_seconds = models.PositiveSmallIntegerField(
        _("longest pitch (seconds)"), default=MAX_PITCH_SECONDS
    )
    max_slides = models.PositiveSmallIntegerField(
        _("most slides"), default=MAX_PITCH_SLIDES
    )
    max_bytes = models.PositiveIntegerField(
        _("largest slide deck (bytes)"), default=MAX_DECK_BYTES
    )
    eligible_stakeholder_groups = tags(
        StakeholderGroup,
        _("eligible stakeholder groups"),
        help_text=_("Providers of these groups may submit; none selected: all."),
    )
    guidance = limited_text(_("guidance for presenters"), LONG_TEXT, blank=True)
    decisions_released_at = models.DateTimeField(
        _("decisions released"), null=True, blank=True
    )

    class Meta:
        ordering = ["-opens_at", "id"]
        verbose_name = _("call for pitches")
        verbose_name_plural = _("calls for pitches")
        constraints = [
            in_order(
                "opens_at",
                "closes_at",
                name="call_closes_after_opening",
                message=_("A call must close after it opens."),
            ),
            models.CheckConstraint(
                condition=Q(max_seconds__gte=1, max_seconds__lte=MAX_PITCH_SECONDS),
                name="call_pitch_at_most_3_minutes",
                violation_error_message=_("A pitch lasts at most 3 minutes."),
            ),
            models.CheckConstraint(
                condition=Q(max_slides__gte=1, max_slides__lte=MAX_PITCH_SLIDES),
                name="call_at_most_3_slides",
                violation_error_message=_("A pitch has at most 3 slides."),
            ),
            models.CheckConstraint(
                condition=Q(max_bytes__gte=1, max_bytes__lte=MAX_DECK_BYTES),
                name="call_deck_at_most_10_mb",
                violation_error_message=_("A slide deck is at most 10 MB."),
            ),
        ]

    def __str__(self) -> str:
        return _("Call for pitches: %(event)s") % {"event": self.event.name}

    def is_open_at(self, moment) -> bool:
        """Whether pitches can be submitted and edited at that moment."""
        return self.opens_at <= moment < self.closes_at

    @property
    def decisions_released(self) -> bool:
        return self.decisions_released_at is not None


# How a curator's scores on each criterion weigh in a review's overall score.
# Relevance to the needs states have posted counts most: the point of the
# roundtable is to connect offers to stated needs. Weights add up to 1, so the
# weighted score stays on the 1..5 scale of the criteria.
REVIEW_WEIGHTS: dict[str, float] = {
    "relevance": 0.4,
    "clarity": 0.2,
    "feasibility": 0.2,
    "reach": 0.2,
}
_SCORE = [MinValueValidator(1), MaxValueValidator(5)]


class Review(Timestamped):
    """A curator's scores (1..5 per criterion) and comment on a pitch."""

    pitch = parent_fk(Pitch, "reviews", _("pitch"))
    curator = parent_fk(settings.AUTH_USER_MODEL, "pitch_reviews", _("curator"))
    relevance = models.PositiveSmallIntegerField(
        _("relevance to stated needs"), validators=_SCORE
    )
    clarity = models.PositiveSmallIntegerField(_("clarity"), validators=_SCORE)
    feasibility = models.PositiveSmallIntegerField(_("feasibility"), validators=_SCORE)
    reach = models.PositiveSmallIntegerField(
        _("reach to LDCs and SIDS"), validators=_SCORE
    )
    comment = limited_text(_("comment"), NOTE_TEXT, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["pitch", "created_at", "id"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            models.UniqueConstraint(
                fields=["pitch", "curator"],
                name="review_one_per_pitch_and_curator",
                violation_error_message=_("You have already reviewed this pitch."),
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__gte": 1, f"{name}__lte": 5}),
                    name=f"review_{name}_1_to_5",
                    violation_error_message=_("Scores go from 1 to 5."),
                )
                for name in REVIEW_WEIGHTS
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pitch} / {self.curator}"

    @property
    def weighted_score(self) -> float:
        """The criteria's scores weighted by REVIEW_WEIGHTS (1..5)."""
        return round(
            sum(getattr(self, name) * w for name, w in REVIEW_WEIGHTS.items()), 2
        )


class AgendaVersion(models.Model):
    """A published version of an event's agenda, frozen as JSON."""

    event = parent_fk(Event, "agenda_versions", _("event"))
    number = models.PositiveIntegerField(_("version"))
    published_at = models.DateTimeField(_("published"))
    published_by = user_fk(_("published by"))
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    snapshot = models.JSONField(_("agenda"))

    class Meta:
        ordering = ["event", "-number"]
        get_latest_by = "number"
        verbose_name = _("agenda version")
        verbose_name_plural = _("agenda versions")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "number"], name="agenda_version_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="agenda_version_from_1"
            ),
        ]

    def __str__(self) -> str:
        return _("%(event)s, agenda v%(number)s") % {
            "event": self.event.name,
            "number": self.number,
        }


class Meeting(Timestamped):
    """A bilateral follow-up meeting a member state asks of a pitch's presenter."""

    pitch = parent_fk(Pitch, "meetings", _("pitch"))
    member_state = parent_fk(MemberState, "roundtable_meetings", _("member state"))
    requested_by = parent_fk(
        settings.AUTH_USER_MODEL, "requested_meetings", _("requested by")
    )
    presenter = user_fk(
        _("presenter"),
        related_name="presenter_meetings",
        help_text=_("Who meets the delegation; set when the request is accepted."),
    )
    need = optional_fk(Need, _("about the need"))
    programme = optional_fk(Programme, _("about the programme"))
    message = limited_text(_("message"), NOTE_TEXT, blank=True)
    state = choice_field(_("state"), MeetingState, default=MeetingState.REQUESTED)
    expires_at = models.DateTimeField(_("answer by"))
    slot = optional_fk(
        TimeSlot, _("slot"), on_delete=models.PROTECT, related_name="meetings"
    )
    # Copied from the slot so the database can refuse to book a person twice.
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    response_note = limited_text(_("answer"), NOTE_TEXT, blank=True)
    responded_at = models.DateTimeField(_("answered"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_at", "created_at", "id"]
        verbose_name = _("follow-up meeting")
        verbose_name_plural = _("follow-up meetings")
        constraints = [
            models.UniqueConstraint(
                fields=["slot"],
                condition=Q(state=MeetingState.ACCEPTED),
                name="meeting_one_per_slot",
                violation_error_message=_("This table is already taken then."),
            ),
            models.UniqueConstraint(
                fields=["presenter", "starts_at"],
                condition=Q(state=MeetingState.ACCEPTED),
                name="meeting_presenter_not_double_booked",
                violation_error_message=_("The presenter already meets someone then."),
            ),
            models.UniqueConstraint(
                fields=["requested_by", "starts_at"],
                condition=Q(state=MeetingState.ACCEPTED),
                name="meeting_requester_not_double_booked",
                violation_error_message=_("The requester already meets someone then."),
            ),
            models.UniqueConstraint(
                fields=["pitch", "member_state"],
                condition=Q(state__in=[MeetingState.REQUESTED, MeetingState.ACCEPTED]),
                name="meeting_one_open_request_per_state_and_pitch",
                violation_error_message=_(
                    "Your delegation already has a meeting with this presenter."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(state=MeetingState.ACCEPTED)
                | Q(
                    slot__isnull=False,
                    presenter__isnull=False,
                    starts_at__isnull=False,
                    ends_at__isnull=False,
                ),
                name="meeting_accepted_has_slot",
                violation_error_message=_("An accepted meeting has a slot."),
            ),
            in_order(
                "starts_at", "ends_at", open_ok=True, name="meeting_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["state", "expires_at"])]

    def __str__(self) -> str:
        return _("%(state)s with %(presenter)s (%(pitch)s)") % {
            "state": self.member_state,
            "presenter": self.pitch.presenter_name,
            "pitch": self.pitch.title,
        }


class BreakoutRegistration(models.Model):
    """A participant's seat in a breakout session."""

    session = parent_fk(Session, "registrations", _("session"))
    user = parent_fk(
        settings.AUTH_USER_MODEL, "breakout_registrations", _("participant")
    )
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)

    class Meta:
        ordering = ["session", "created_at", "id"]
        verbose_name = _("breakout registration")
        verbose_name_plural = _("breakout registrations")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "user"],
                name="breakout_registration_once",
                violation_error_message=_("You are already registered."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.session.title}"


def new_commitment_ref() -> str:
    return new_ref("cmt")


class Commitment(Timestamped):
    """A structured pledge made at the roundtable: who commits what, for whom,
    how much, by when, where it came from and which programmes deliver it."""

    ref = models.SlugField(
        _("reference"), max_length=100, unique=True, default=new_commitment_ref
    )
    provider = protected_fk(
        Provider, _("committing organisation"), related_name="commitments"
    )
    title = models.CharField(_("title"), max_length=300)
    description = limited_text(_("description"), SHORT_TEXT, blank=True)
    theme = optional_fk(Theme, _("theme"), on_delete=models.PROTECT)
    topics = tags(Topic, _("topics"))
    assistance_types = tags(AssistanceType, _("assistance types"))
    countries = tags(Country, _("countries"))
    regions = tags(Region, _("regions"))
    for_ldcs = models.BooleanField(_("least developed countries"), default=False)
    for_sids = models.BooleanField(_("small island developing States"), default=False)
    amount = money_field(_("amount"), null=True, blank=True)
    currency = currency_field(default="USD")
    amount_usd = money_field(_("amount (USD)"), null=True, blank=True)
    in_kind = limited_text(_("in kind"), NOTE_TEXT, blank=True)
    due_on = models.DateField(_("by when"))
    state = choice_field(
        _("status"), CommitmentState, default=CommitmentState.ANNOUNCED
    )
    event = optional_fk(Event, _("event"), related_name="commitments")
    session = optional_fk(Session, _("session"), related_name="commitments")
    pitch = optional_fk(Pitch, _("pitch"), related_name="commitments")
    meeting = optional_fk(Meeting, _("meeting"), related_name="commitments")
    match = optional_fk(Match, _("match"))
    programmes = models.ManyToManyField(
        Programme,
        blank=True,
        related_name="commitments",
        verbose_name=_("delivering programmes"),
    )
    report_every_months = models.PositiveSmallIntegerField(
        _("report every (months)"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
    )
    next_report_due = models.DateField(_("next report due"))
    reminded_for = models.DateField(null=True, blank=True, editable=False)
    share_delivered = models.PositiveSmallIntegerField(
        _("share delivered (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    created_by = user_fk(_("recorded by"))
    history = HistoricalRecords(excluded_fields=["reminded_for"])

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        constraints = [
            models.CheckConstraint(
                condition=Q(share_delivered__lte=100),
                name="commitment_share_at_most_100",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=False) | ~Q(in_kind=""),
                name="commitment_amount_or_in_kind",
                violation_error_message=_(
                    "Give an amount or say what is given in kind."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_report_due"]),
            models.Index(fields=["provider", "state"]),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.amount is None and not self.in_kind.strip():
            raise ValidationError(
                {"amount": _("Give an amount or say what is given in kind.")}
            )


class CommitmentReport(models.Model):
    """A progress report of the committing organisation."""

    commitment = parent_fk(Commitment, "reports", _("commitment"))
    narrative = limited_text(_("narrative"), LONG_TEXT)
    share_delivered = models.PositiveSmallIntegerField(
        _("share delivered (%)"), validators=[MaxValueValidator(100)]
    )
    spend = money_field(_("spend"), null=True, blank=True)
    evidence_links = models.JSONField(_("evidence links"), default=list, blank=True)
    author = user_fk(_("author"))
    created_at = models.DateTimeField(_("reported"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        constraints = [
            models.CheckConstraint(
                condition=Q(share_delivered__lte=100),
                name="commitment_report_share_at_most_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commitment_id}: {self.share_delivered} %"
