"""Matchmaking data: reference data, organisations, needs, programmes, matches."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
)
from django.db import models
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from matchmaking.enums import (
    DeliveryOutcome,
    MatchOrigin,
    MatchStatus,
    MembershipRole,
    NeedStatus,
    ProgrammeStatus,
    RegionLevel,
    UnmetReason,
    Visibility,
)
from matchmaking.names import name_key

UN_LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")

# Text limits (README "Text limits"): every free-text field has one, checked by
# the model (full_clean), the forms, the API (maxLength in its schema) and the
# dataset import. Titles and names are CharFields of 200 or 300 characters.
# The matching engine reads at most LONG_TEXT characters of a field
# (engine.text.tokens.MAX_ANALYSED_CHARS), so no field can make the index slow.
NOTE_TEXT = 2_000  # notes, reasons, comments, messages
SHORT_TEXT = 5_000  # summaries, abstracts
LONG_TEXT = 10_000  # descriptions, reports, guidance


def limited_text(
    verbose_name: str | Promise, max_length: int, **options: bool
) -> models.TextField:
    """A TextField of at most ``max_length`` characters, checked by full_clean."""
    return models.TextField(
        verbose_name,
        max_length=max_length,
        validators=[MaxLengthValidator(max_length)],
        **options,
    )


class User(AbstractUser):
    """A person signed in to the platform; curators are the secretariat."""

    is_curator = models.BooleanField(
        _("curator"),
        default=False,
        help_text=_("Curators verify organisations, curate matches and pitches."),
    )
    language = models.CharField(
        _("preferred language"),
        max_length=8,
        blank=True,
        default="",
        choices=settings.LANGUAGES,
        help_text=_("Pages and emails are in this language."),
    )

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username


class MultilingualName(models.Model):
    """Names in the six UN languages, with the user's language picked for display."""

    name_en = models.CharField(_("name (English)"), max_length=200)
    name_fr = models.CharField(_("name (French)"), max_length=200, blank=True)
    name_es = models.CharField(_("name (Spanish)"), max_length=200, blank=True)
    name_ar = models.CharField(_("name (Arabic)"), max_length=200, blank=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language, English when missing."""
        lang = (get_language() or "en").split("-")[0]
        if lang in UN_LANGUAGES:
            return getattr(self, f"name_{lang}") or self.name_en
        return self.name_en

    @property
    def names(self) -> dict[str, str]:
        """The name in each UN language (English where one is missing)."""
        return {
            lang: getattr(self, f"name_{lang}") or self.name_en for lang in UN_LANGUAGES
        }


class Region(MultilingualName):
    """An M49 region, sub-region or intermediate region ("002" Africa ...)."""

    code = models.CharField(_("M49 code"), max_length=3, primary_key=True)
    level = models.CharField(_("level"), max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")


def _grouping(verbose_name: str | Promise) -> models.ForeignKey:
    """A country's M49 grouping at one level (none where M49 has none)."""
    return models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=verbose_name,
    )


class Country(MultilingualName):
    """A UN M49 country or area."""

    iso3 = models.CharField(_("ISO alpha-3"), max_length=3, primary_key=True)
    iso2 = models.CharField(_("ISO alpha-2"), max_length=2, unique=True)
    m49 = models.CharField(_("M49 code"), max_length=3, unique=True)
    region = _grouping(_("region"))
    subregion = _grouping(_("sub-region"))
    intermediate_region = _grouping(_("intermediate region"))
    is_ldc = models.BooleanField(_("least developed country"), default=False)
    is_lldc = models.BooleanField(_("landlocked developing country"), default=False)
    is_sids = models.BooleanField(_("small island developing State"), default=False)
    is_un_member = models.BooleanField(_("UN member state"), default=False)
    is_observer = models.BooleanField(_("UN observer state"), default=False)

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("country or area")
        verbose_name_plural = _("countries and areas")
        constraints = [
            models.CheckConstraint(
                condition=~(Q(is_un_member=True) & Q(is_observer=True)),
                name="country_member_or_observer",
            )
        ]

    @property
    def region_codes(self) -> frozenset[str]:
        """The M49 grouping codes this country belongs to."""
        return frozenset(
            code
            for code in (
                self.region_id,
                self.subregion_id,
                self.intermediate_region_id,
            )
            if code
        )


class Language(models.Model):
    """An ISO 639-1 language."""

    code = models.CharField(_("ISO 639-1 code"), max_length=2, primary_key=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("language")
        verbose_name_plural = _("languages")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def label(self) -> str:
        """The language's name in the active language (Django's translations)."""
        try:
            return str(get_language_info(self.code)["name_translated"])
        except KeyError:
            return self.name


class Vocabulary(models.Model):
    """An entry of a controlled vocabulary from taxonomy.json, keyed by its slug."""

    slug = models.SlugField(_("slug"), max_length=60, primary_key=True)
    # English, the source; the other UN languages come from taxonomy_i18n.json.
    name = models.CharField(_("name"), max_length=200)
    name_ar = models.CharField(_("name (Arabic)"), max_length=200, blank=True)
    name_es = models.CharField(_("name (Spanish)"), max_length=200, blank=True)
    name_fr = models.CharField(_("name (French)"), max_length=200, blank=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=200, blank=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        abstract = True
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name in the active language, English when missing."""
        lang = (get_language() or "en").split("-")[0]
        if lang in UN_LANGUAGES and lang != "en":
            return getattr(self, f"name_{lang}") or self.name
        return self.name

    @property
    def names(self) -> dict[str, str]:
        """The name in each UN language (English where one is missing)."""
        return {
            lang: (getattr(self, f"name_{lang}") if lang != "en" else "") or self.name
            for lang in UN_LANGUAGES
        }


class Theme(Vocabulary):
    gfce_working_group = models.CharField(
        _("GFCE working group"), max_length=1, blank=True
    )

    class Meta(Vocabulary.Meta):
        verbose_name = _("theme")
        verbose_name_plural = _("themes")


class Topic(Vocabulary):
    theme = models.ForeignKey(
        Theme, on_delete=models.PROTECT, related_name="topics", verbose_name=_("theme")
    )
    cmm_dimension = models.PositiveSmallIntegerField(
        _("CMM dimension"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )

    class Meta(Vocabulary.Meta):
        verbose_name = _("topic")
        verbose_name_plural = _("topics")


class AssistanceType(Vocabulary):
    class Meta(Vocabulary.Meta):
        verbose_name = _("assistance type")
        verbose_name_plural = _("assistance types")


class Audience(Vocabulary):
    class Meta(Vocabulary.Meta):
        verbose_name = _("audience")
        verbose_name_plural = _("audiences")


class DeliveryMode(Vocabulary):
    class Meta(Vocabulary.Meta):
        verbose_name = _("delivery mode")
        verbose_name_plural = _("delivery modes")


class StakeholderGroup(Vocabulary):
    class Meta(Vocabulary.Meta):
        verbose_name = _("stakeholder group")
        verbose_name_plural = _("stakeholder groups")


class CostModel(Vocabulary):
    class Meta(Vocabulary.Meta):
        verbose_name = _("cost model")
        verbose_name_plural = _("cost models")


class Priority(Vocabulary):
    class Meta(Vocabulary.Meta):
        verbose_name = _("priority")
        verbose_name_plural = _("priorities")


def new_ref(prefix: str) -> str:
    """A fresh external reference such as ``need-3f9a1c2b``."""
    return f"{prefix}-{secrets.token_hex(4)}"


def new_need_ref() -> str:
    return new_ref("need")


def new_programme_ref() -> str:
    return new_ref("prog")


def new_provider_ref() -> str:
    return new_ref("prov")


class Timestamped(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class MemberState(Timestamped):
    """A UN member or observer state; its focal points are its members."""

    country = models.OneToOneField(
        Country,
        on_delete=models.PROTECT,
        related_name="member_state",
        verbose_name=_("country"),
    )

    class Meta:
        ordering = ["country__name_en"]
        verbose_name = _("member state")
        verbose_name_plural = _("member states")

    def __str__(self) -> str:
        return str(self.country)

    def clean(self) -> None:
        if self.country_id and not (
            self.country.is_un_member or self.country.is_observer
        ):
            raise ValidationError(
                {"country": _("Only UN member and observer states can post needs.")}
            )


class Provider(Timestamped):
    """An organisation offering capacity-building programmes."""

    ref = models.SlugField(
        _("reference"), max_length=100, unique=True, default=new_provider_ref
    )
    name = models.CharField(_("name"), max_length=200)
    stakeholder_group = models.ForeignKey(
        StakeholderGroup,
        on_delete=models.PROTECT,
        related_name="providers",
        verbose_name=_("stakeholder group"),
    )
    country = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="providers",
        verbose_name=_("country"),
    )
    website = models.URLField(_("website"), blank=True)
    description = limited_text(_("description"), LONG_TEXT, blank=True)
    is_verified = models.BooleanField(_("verified"), default=False)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )
    # The name as compared for uniqueness (matchmaking.names.name_key): set
    # on every save, unique in the database.
    name_key = models.TextField(editable=False, default="")
    # Audit trail (who, when, what changed), verification above all.
    history = HistoricalRecords()

    # What a verification vouches for: changing any of these on a verified
    # provider sends it back to the curators' queue.
    IDENTITY_FIELDS = ("name", "stakeholder_group_id", "country_id", "website")
    VERIFICATION_FIELDS = ("is_verified", "verified_at", "verified_by")

    class Meta:
        ordering = ["name"]
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        constraints = [
            models.CheckConstraint(
                condition=Q(is_verified=False) | Q(verified_at__isnull=False),
                name="provider_verified_has_date",
            ),
            models.UniqueConstraint(
                fields=["name_key"], name="provider_unique_name_key"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name_key = name_key(self.name)
        update_fields = kwargs.get("update_fields")
        extra = {"name_key"}
        if self._identity_changed_since_verified():
            self.is_verified = False
            self.verified_at = None
            self.verified_by = None
            self._change_reason = "identity changed: verification withdrawn"
            extra.update(self.VERIFICATION_FIELDS)
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, *extra}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        taken = Provider.objects.filter(name_key=name_key(self.name or ""))
        if self.pk:
            taken = taken.exclude(pk=self.pk)
        if self.name and taken.exists():
            raise ValidationError(
                {"name": self.unique_error_message(Provider, ("name",))}
            )

    def validate_constraints(self, exclude=None):
        # clean() checks the name key against the name as given, naming the
        # field; the stored key may be stale until save() sets it.
        super().validate_constraints(exclude={*(exclude or ()), "name_key"})

    def _identity_changed_since_verified(self) -> bool:
        """Whether the stored row is verified and this one differs in identity."""
        if self.pk is None or not self.is_verified:
            return False
        stored = (
            Provider.objects.filter(pk=self.pk)
            .values(*self.IDENTITY_FIELDS, "is_verified")
            .first()
        )
        return bool(
            stored
            and stored["is_verified"]
            and any(
                stored[field] != getattr(self, field) for field in self.IDENTITY_FIELDS
            )
        )


class Membership(Timestamped):
    """Links a user to the member state or the provider they act for."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    member_state = models.ForeignKey(
        MemberState,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("member state"),
    )
    provider = models.ForeignKey(
        Provider,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("provider"),
    )
    role = models.CharField(
        _("role"),
        max_length=20,
        choices=MembershipRole.choices,
        default=MembershipRole.FOCAL_POINT,
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["user__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(member_state__isnull=False, provider__isnull=True)
                    | Q(member_state__isnull=True, provider__isnull=False)
                ),
                name="membership_one_organisation",
                violation_error_message=_(
                    "A membership links to a member state or to a provider, not both."
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "member_state"],
                condition=Q(member_state__isnull=False),
                name="membership_unique_state",
            ),
            models.UniqueConstraint(
                fields=["user", "provider"],
                condition=Q(provider__isnull=False),
                name="membership_unique_provider",
            ),
        ]

    def __str__(self) -> str:
        org = self.member_state or self.provider
        return f"{self.user} - {org} ({self.get_role_display()})"


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
    topics = models.ManyToManyField(Topic, related_name="+", verbose_name=_("topics"))
    assistance_types = models.ManyToManyField(
        AssistanceType, blank=True, related_name="+", verbose_name=_("assistance types")
    )
    audiences = models.ManyToManyField(
        Audience, blank=True, related_name="+", verbose_name=_("audiences")
    )
    languages = models.ManyToManyField(
        Language, related_name="+", verbose_name=_("languages")
    )
    delivery_modes = models.ManyToManyField(
        DeliveryMode, blank=True, related_name="+", verbose_name=_("delivery modes")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    content_language = models.ForeignKey(
        Language,
        on_delete=models.PROTECT,
        default="en",
        related_name="+",
        verbose_name=_("written in"),
        help_text=_("The language the title, summary and description are written in."),
    )
    translations = GenericRelation("matchmaking.ContentTranslation")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.title


def check_programme_dates(starts_on: date | None, ends_on: date | None) -> None:
    """Raise the error of a programme ending before it starts, on ``ends_on``."""
    if ends_before_start(starts_on, ends_on):
        raise ValidationError({"ends_on": PROGRAMME_DATES_ERROR})


class Programme(TaggedRecord):
    """A capacity-building offer of a provider."""

    ref = models.SlugField(
        _("reference"), max_length=100, unique=True, default=new_programme_ref
    )
    provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        related_name="programmes",
        verbose_name=_("provider"),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ProgrammeStatus.choices,
        default=ProgrammeStatus.DRAFT,
    )
    eligible_regions = models.ManyToManyField(
        Region, blank=True, related_name="+", verbose_name=_("eligible regions")
    )
    eligible_countries = models.ManyToManyField(
        Country, blank=True, related_name="+", verbose_name=_("eligible countries")
    )
    ldc_only = models.BooleanField(_("least developed countries only"), default=False)
    sids_only = models.BooleanField(
        _("small island developing States only"), default=False
    )
    cost_model = models.ForeignKey(
        CostModel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cost model"),
    )
    capacity = models.PositiveIntegerField(
        _("capacity"),
        null=True,
        blank=True,
        help_text=_("How many beneficiary countries it can take on; empty: no limit."),
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    history = HistoricalRecords()

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
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True)
                | Q(ends_on__isnull=True)
                | Q(ends_on__gte=models.F("starts_on")),
                name="programme_ends_after_start",
                violation_error_message=PROGRAMME_DATES_ERROR,
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
        ]

    def clean(self) -> None:
        check_programme_dates(self.starts_on, self.ends_on)


class Need(TaggedRecord):
    """What a member state asks for help with."""

    ref = models.SlugField(
        _("reference"), max_length=100, unique=True, default=new_need_ref
    )
    member_state = models.ForeignKey(
        MemberState,
        on_delete=models.PROTECT,
        related_name="needs",
        verbose_name=_("member state"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=NeedStatus.choices, default=NeedStatus.DRAFT
    )
    priority = models.ForeignKey(
        Priority,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("priority"),
    )
    visibility = models.CharField(
        _("visibility"),
        max_length=16,
        choices=Visibility.choices,
        default=Visibility.PUBLIC,
    )
    shared_with = models.ManyToManyField(
        Provider,
        blank=True,
        related_name="shared_needs",
        verbose_name=_("shared with providers"),
        help_text=_("Providers allowed to see this need when it is confidential."),
    )
    needed_by = models.DateField(_("needed by"), null=True, blank=True)
    unmet_reason = models.CharField(
        _("unmet"),
        max_length=16,
        choices=UnmetReason.choices,
        blank=True,
        default=UnmetReason.NONE,
    )
    matched_at = models.DateTimeField(_("last matched"), null=True, blank=True)
    # shared_with decides who sees a confidential need, so its changes are
    # audited too; matched_at is the engine's bookkeeping, not a change.
    history = HistoricalRecords(
        excluded_fields=["matched_at"], m2m_fields=[shared_with]
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


class Match(Timestamped):
    """A programme proposed for a need (by engine or curator) and its follow-up."""

    need = models.ForeignKey(
        Need, on_delete=models.CASCADE, related_name="matches", verbose_name=_("need")
    )
    programme = models.ForeignKey(
        Programme,
        on_delete=models.CASCADE,
        related_name="matches",
        verbose_name=_("programme"),
    )
    score = models.FloatField(_("score"), default=0.0)
    rank = models.PositiveSmallIntegerField(_("rank"), null=True, blank=True)
    components = models.JSONField(_("score components"), default=dict, blank=True)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=MatchStatus.choices,
        default=MatchStatus.SUGGESTED,
    )
    origin = models.CharField(
        _("origin"),
        max_length=16,
        choices=MatchOrigin.choices,
        default=MatchOrigin.ENGINE,
    )
    note = limited_text(_("curator's note"), NOTE_TEXT, blank=True)
    decline_reason = limited_text(_("reason for declining"), NOTE_TEXT, blank=True)
    feedback_rating = models.PositiveSmallIntegerField(
        _("rating"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    feedback_outcome = models.CharField(
        _("outcome"), max_length=16, choices=DeliveryOutcome.choices, blank=True
    )
    feedback_comments = limited_text(_("comments"), SHORT_TEXT, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    # Every human step (interest, introduction, agreement ...) is recorded.
    # Engine suggestions are written in bulk (matchmaking/suggestions.py) and
    # get no per-row history: see README "Audit trail". components and reasons
    # are the engine's explanation, rewritten on every rematch.
    history = HistoricalRecords(excluded_fields=["components", "reasons"])

    class Meta:
        ordering = ["need", "rank", "-score", "programme_id"]
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        constraints = [
            models.UniqueConstraint(
                fields=["need", "programme"], name="match_unique_need_programme"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=1),
                name="match_score_in_unit_interval",
            ),
            models.CheckConstraint(
                condition=Q(feedback_rating__isnull=True)
                | (Q(feedback_rating__gte=1) & Q(feedback_rating__lte=5)),
                name="match_rating_1_to_5",
            ),
        ]
        indexes = [
            models.Index(fields=["programme", "status"]),
            # The match board: latest first, overall and by status.
            models.Index(fields=["-updated_at", "id"], name="match_latest_idx"),
            models.Index(
                fields=["status", "-updated_at", "id"], name="match_status_latest_idx"
            ),
            # Gap statistics: a need's live matches and the needs of the match
            # history read from the index alone (not the wide match rows).
            models.Index(fields=["need", "status", "id"], name="match_need_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.need} ↔ {self.programme}"


class MatchEvent(models.Model):
    """One step in a match's history."""

    match = models.ForeignKey(
        Match, on_delete=models.CASCADE, related_name="events", verbose_name=_("match")
    )
    from_status = models.CharField(
        _("from"), max_length=16, choices=MatchStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=16, choices=MatchStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    note = limited_text(_("note"), NOTE_TEXT, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["match", "at", "id"]
        verbose_name = _("match event")
        verbose_name_plural = _("match history")

    def __str__(self) -> str:
        return f"{self.match_id}: {self.from_status or '-'} → {self.to_status}"


class TokenScope(models.TextChoices):
    READ = "read", _("Read")
    READ_WRITE = "read_write", _("Read and write")


class ApiToken(models.Model):
    """A personal API token; only a hash of the secret is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, unique=True)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    scope = models.CharField(
        _("scope"), max_length=16, choices=TokenScope.choices, default=TokenScope.READ
    )
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def save(self, *args, **kwargs) -> None:
        """Refuse a save that reassigns, re-keys or un-revokes the token."""
        if self.pk is not None:
            # Imported here: the policy reads memberships through selectors,
            # which import this module.
            from matchmaking.accounts.policy import token_change_refusal

            fields = ("user_id", "prefix", "key_hash", "scope", "revoked_at")
            before = type(self)._base_manager.filter(pk=self.pk).values(*fields).first()
            if before is not None:
                refusal = token_change_refusal(
                    before=before, after={f: getattr(self, f) for f in fields}
                )
                if refusal:
                    raise ValidationError(refusal)
        super().save(*args, **kwargs)


class Invitation(models.Model):
    """A curator's invitation to join a member state or a provider."""

    email = models.EmailField(_("email"))
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    member_state = models.ForeignKey(
        MemberState,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("member state"),
    )
    provider = models.ForeignKey(
        Provider,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("provider"),
    )
    role = models.CharField(
        _("role"),
        max_length=20,
        choices=MembershipRole.choices,
        default=MembershipRole.FOCAL_POINT,
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(member_state__isnull=False, provider__isnull=True)
                    | Q(member_state__isnull=True, provider__isnull=False)
                ),
                name="invitation_one_organisation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.member_state or self.provider}"


class ContentTranslation(Timestamped):
    """The owner's translation of a need's, programme's or pitch's title and summary.

    One per object and language, never in the object's own content language
    (``matchmaking.translations`` enforces it); the matching engine reads the
    translations' text too.
    """

    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.PositiveBigIntegerField()
    content_object = GenericForeignKey("content_type", "object_id")
    language = models.ForeignKey(
        Language,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("language"),
    )
    title = models.CharField(_("title"), max_length=300)
    summary = limited_text(_("summary"), SHORT_TEXT, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )

    class Meta:
        ordering = ["language_id", "id"]
        verbose_name = _("translation")
        verbose_name_plural = _("translations")
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "language"],
                name="content_translation_one_per_language",
                violation_error_message=_(
                    "There is already a translation in this language."
                ),
            ),
        ]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.language_id})"


class SignInThrottle(models.Model):
    """Failed sign-ins of one account from any address (accounts/throttle.py).

    Bookkeeping, not shown anywhere: no verbose names to translate.
    """

    username = models.CharField(max_length=150, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.username}: {self.failures}"
