"""Needs and programmes: their shared text and tags, dates rule and fields."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from matchmaking.enums import NeedStatus
from matchmaking.enums import ProgrammeStatus
from matchmaking.enums import UnmetReason
from matchmaking.enums import Visibility
from matchmaking.models.base import LONG_TEXT
from matchmaking.models.base import SHORT_TEXT
from matchmaking.models.base import Timestamped
from matchmaking.models.base import choice_field
from matchmaking.models.base import in_order
from matchmaking.models.base import limited_text
from matchmaking.models.base import new_need_ref
from matchmaking.models.base import new_programme_ref
from matchmaking.models.base import optional_fk
from matchmaking.models.base import protected_fk
from matchmaking.models.base import tags
from matchmaking.models.base import user_fk
from matchmaking.models.organisations import MemberState
from matchmaking.models.organisations import Provider
from matchmaking.models.reference import AssistanceType
from matchmaking.models.reference import Audience
from matchmaking.models.reference import CostModel
from matchmaking.models.reference import Country
from matchmaking.models.reference import DeliveryMode
from matchmaking.models.reference import Language
from matchmaking.models.reference import Priority
from matchmaking.models.reference import Region
from matchmaking.models.reference import Topic
from matchmaking.models.search import SEARCHED_FIELDS
from matchmaking.models.search import refresh_search_vectors


def ends_before_start(starts: date | None, ends: date | None) -> bool:
    """The one "dates in order" rule: a period with both ends set ends before it
    starts (an open start or end never does)."""
    return bool(starts and ends and ends < starts)


PROGRAMME_DATES_ERROR = _("A programme cannot end before it starts.")


# The five taxonomy tags a need and a programme share (many-to-many fields).
TAG_FIELDS = ("topics", "assistance_types", "audiences", "languages", "delivery_modes")
# The text fields of both, as their forms show them first.
_TEXT_FIELDS = ("title", "summary", "description", "content_language")


class TaggedRecord(Timestamped):
    """Fields shared by needs and programmes: text and taxonomy tags."""

    title = models.CharField(_("title"), max_length=300)
    summary = limited_text(_("summary"), SHORT_TEXT, blank=True)
    description = limited_text(_("description"), LONG_TEXT, blank=True)
    topics = tags(Topic, _("topics"), blank=False)
    assistance_types = tags(AssistanceType, _("assistance types"))
    audiences = tags(Audience, _("audiences"))
    languages = tags(Language, _("languages"), blank=False)
    delivery_modes = tags(DeliveryMode, _("delivery modes"))
    owner = user_fk(_("owner"))
    content_language = protected_fk(
        Language,
        _("written in"),
        default="en",
        help_text=_("The language the title, summary and description are written in."),
    )
    translations = GenericRelation("matchmaking.ContentTranslation")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        # The stored search vector (PostgreSQL) follows the text it is made of.
        fields = kwargs.get("update_fields")
        if fields is None or SEARCHED_FIELDS.intersection(fields):
            refresh_search_vectors(type(self), [self.pk])


def check_programme_dates(starts_on: date | None, ends_on: date | None) -> None:
    """Raise the error of a programme ending before it starts, on ``ends_on``."""
    if ends_before_start(starts_on, ends_on):
        raise ValidationError({"ends_on": PROGRAMME_DATES_ERROR})


class Programme(TaggedRecord):
    """A capacity-building offer of a provider."""

    ref = models.SlugField(
        _("reference"), max_length=100, unique=True, default=new_programme_ref
    )
    provider = protected_fk(Provider, _("provider"), related_name="programmes")
    status = choice_field(_("status"), ProgrammeStatus, default=ProgrammeStatus.DRAFT)
    eligible_regions = tags(Region, _("eligible regions"))
    eligible_countries = tags(Country, _("eligible countries"))
    ldc_only = models.BooleanField(_("least developed countries only"), default=False)
    sids_only = models.BooleanField(
        _("small island developing States only"), default=False
    )
    cost_model = optional_fk(CostModel, _("cost model"), on_delete=models.PROTECT)
    capacity = models.PositiveIntegerField(
        _("capacity"),
        null=True,
        blank=True,
        help_text=_("How many beneficiary countries it can take on; empty: no limit."),
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    # When the task worker last recomputed what involves it (suggestions that
    # name it, its advice): a page says "being updated" while it is older than
    # the last edit. The engine's bookkeeping, not a change.
    matched_at = models.DateTimeField(_("last matched"), null=True, blank=True)
    # When its advice was last recomputed, after the suggestions (its own task).
    derived_at = models.DateTimeField(
        _("near misses and advice computed"), null=True, blank=True
    )
    history = HistoricalRecords(excluded_fields=["matched_at", "derived_at"])

    ELIGIBILITY_FIELDS = ("eligible_regions", "eligible_countries")
    # Who may take it up and on what terms, as its forms, API and exports list them.
    OFFER_FIELDS = (
        *ELIGIBILITY_FIELDS,
        "ldc_only",
        "sids_only",
        "cost_model",
        "capacity",
        "starts_on",
        "ends_on",
    )
    # What its provider writes (forms, API, services), in the form's order.
    EDITABLE_FIELDS = (*_TEXT_FIELDS, *TAG_FIELDS, *OFFER_FIELDS)

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        constraints = [
            in_order(
                "starts_on",
                "ends_on",
                same_ok=True,
                open_ok=True,
                name="programme_ends_after_start",
                message=PROGRAMME_DATES_ERROR,
            ),
        ]
        indexes = [
            models.Index(fields=["status", "ends_on"]),
            # The catalogue: published programmes by title, one page at a time.
            models.Index(
                fields=["status", "title", "id"], name="programme_catalogue_idx"
            ),
            # Every status by title (curators, the API's default order).
            models.Index(fields=["title", "id"], name="programme_title_idx"),
            # The review queue: newest first.
            models.Index(fields=["-created_at", "id"], name="programme_newest_idx"),
            # Gap statistics: the programmes on offer and their provider and
            # flags read from the index alone (not the wide programme rows).
            models.Index(
                fields=[
                    "status",
                    "ends_on",
                    "starts_on",
                    "provider",
                    "ldc_only",
                    "sids_only",
                    "id",
                ],
                name="programme_offer_idx",
            ),
            # The matching worker's catch-up before each refresh: the latest
            # edit and the programmes edited since its last look (a scan of
            # every wide programme row without it).
            models.Index(fields=["updated_at"], name="programme_updated_idx"),
        ]

    def clean(self) -> None:
        check_programme_dates(self.starts_on, self.ends_on)

    @property
    def has_ended(self) -> bool:
        """Its end date has passed (shown as "Ended", left out of listings)."""
        return self.ends_on is not None and self.ends_on < timezone.localdate()


class Need(TaggedRecord):
    """What a member state asks for help with."""

    ref = models.SlugField(
        _("reference"), max_length=100, unique=True, default=new_need_ref
    )
    member_state = protected_fk(MemberState, _("member state"), related_name="needs")
    status = choice_field(_("status"), NeedStatus, default=NeedStatus.DRAFT)
    priority = optional_fk(Priority, _("priority"), on_delete=models.PROTECT)
    visibility = choice_field(_("visibility"), Visibility, default=Visibility.PUBLIC)
    shared_with = models.ManyToManyField(
        Provider,
        blank=True,
        related_name="shared_needs",
        verbose_name=_("shared with providers"),
        help_text=_("Providers allowed to see this need when it is confidential."),
    )
    needed_by = models.DateField(_("needed by"), null=True, blank=True)
    unmet_reason = choice_field(
        _("unmet"), UnmetReason, blank=True, default=UnmetReason.NONE
    )
    matched_at = models.DateTimeField(_("last matched"), null=True, blank=True)
    # When its near misses and advice were last recomputed: a task of their
    # own that runs after the suggestions' (pages say "being updated" while
    # it is older than matched_at).
    derived_at = models.DateTimeField(
        _("near misses and advice computed"), null=True, blank=True
    )
    # shared_with decides who sees a confidential need, so its changes are
    # audited too; matched_at and derived_at are the engine's bookkeeping.
    history = HistoricalRecords(
        excluded_fields=["matched_at", "derived_at"], m2m_fields=[shared_with]
    )

    # What its state writes (forms, API, services), in the form's order.
    EDITABLE_FIELDS = (
        *_TEXT_FIELDS,
        *TAG_FIELDS,
        "priority",
        "visibility",
        "needed_by",
    )

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        indexes = [
            models.Index(fields=["status", "visibility"]),
            models.Index(fields=["member_state", "status"]),
            # The needs register and the review queue: newest first.
            models.Index(fields=["-created_at", "id"], name="need_newest_idx"),
            # Gap statistics: every column they read of a need, so that their
            # scans read the index alone (not the wide need rows).
            models.Index(
                fields=[
                    "status",
                    "visibility",
                    "member_state",
                    "unmet_reason",
                    "created_at",
                    "id",
                ],
                name="need_stats_idx",
            ),
        ]
