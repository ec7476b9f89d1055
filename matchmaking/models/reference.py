"""Reference data: M49 regions and countries, languages, taxonomy vocabularies."""

from __future__ import annotations

from django.core.validators import MaxValueValidator
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from matchmaking.enums import RegionLevel
from matchmaking.models.base import UN_LANGUAGES
from matchmaking.models.base import choice_field
from matchmaking.models.base import optional_fk
from matchmaking.models.base import protected_fk


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
    level = choice_field(_("level"), RegionLevel)
    parent = optional_fk(
        "self", _("parent"), on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")


def _grouping(verbose_name: str | Promise) -> models.ForeignKey:
    """A country's M49 grouping at one level (none where M49 has none)."""
    return optional_fk(Region, verbose_name, on_delete=models.PROTECT)


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
            code = "zh-hans" if self.code == "zh" else self.code
            return str(get_language_info(code)["name_translated"])
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
    theme = protected_fk(Theme, _("theme"), related_name="topics")
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
