"""FilterSets of the lists: one explicit class per list; bad values are a 400.

The API's query parameters (``matchmaking/api/``), and saved searches
(``matchmaking/savedsearches/``), which store such a query and match new or
changed records against it in the task worker: both need them, below the API.
"""

from __future__ import annotations

import datetime as dt

import django_filters as df
from django import forms
from django.db.models import Q
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import fields as df_fields
from django_filters import widgets as df_widgets
from django_filters.conf import settings as filter_settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from matchmaking import catalogue
from matchmaking import search
from matchmaking import translations
from matchmaking.enums import MatchOrigin
from matchmaking.enums import MatchStatus
from matchmaking.enums import NeedStatus
from matchmaking.enums import OrganisationRole
from matchmaking.enums import ProgrammeStatus
from matchmaking.enums import Visibility
from matchmaking.models import AssistanceType
from matchmaking.models import Audience
from matchmaking.models import CostModel
from matchmaking.models import Country
from matchmaking.models import DeliveryMode
from matchmaking.models import Language
from matchmaking.models import Match
from matchmaking.models import Need
from matchmaking.models import ParticipatingOrganisation
from matchmaking.models import Priority
from matchmaking.models import Programme
from matchmaking.models import Provider
from matchmaking.models import Region
from matchmaking.models import StakeholderGroup
from matchmaking.models import Theme
from matchmaking.models import Topic


def region_codes(region: Region) -> QuerySet:
    """The region's own code and those of its sub- and intermediate regions."""
    return Region.objects.filter(
        Q(pk=region.pk) | Q(parent_id=region.pk) | Q(parent__parent_id=region.pk)
    ).values("pk")


def country_in_region_q(prefix: str, region: Region) -> Q:
    """Countries whose region, sub-region or intermediate region is the region."""
    return (
        Q(**{f"{prefix}region_id": region.pk})
        | Q(**{f"{prefix}subregion_id": region.pk})
        | Q(**{f"{prefix}intermediate_region_id": region.pk})
    )


def search_q(value: str, fields: tuple[str, ...]) -> Q:
    """Every word must appear in one of the fields (case-insensitive)."""
    query = Q()
    for word in value.split()[:10]:
        word_q = Q()
        for field in fields:
            word_q |= Q(**{f"{field}__icontains": word})
        query &= word_q
    return query


class StrictBooleanField(forms.NullBooleanField):
    """true/false (or 1/0); anything else is an error instead of "no filter"."""

    widget = forms.TextInput  # NullBooleanSelect would turn "maybe" into None
    TRUE = frozenset({"true", "1", "yes", "on"})
    FALSE = frozenset({"false", "0", "no", "off"})

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError(_("Use true or false."), code="invalid")


@extend_schema_field(OpenApiTypes.BOOL)
class BooleanFilter(df.BooleanFilter):
    field_class = StrictBooleanField


class UtcIsoDateTimeField(df_fields.IsoDateTimeField):
    """An ISO 8601 date-time, normalised to UTC.

    PostgreSQL rejects offsets beyond ±15:59 (a 500 otherwise), and a far-past
    instant may not survive the conversion: both are a 400.
    """

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError(
                _("Enter a valid date/time."), code="invalid"
            ) from None


class UtcIsoDateTimeRangeField(df_fields.RangeField):
    widget = df_widgets.DateRangeWidget

    def __init__(self, *args, **kwargs):
        fields = (UtcIsoDateTimeField(), UtcIsoDateTimeField())
        super().__init__(fields, *args, **kwargs)


class IsoDateTimeFromToRangeFilter(df.IsoDateTimeFromToRangeFilter):
    """``<name>_after`` / ``<name>_before`` in ISO 8601, compared in UTC."""

    field_class = UtcIsoDateTimeRangeField


# A string: drf-spectacular makes a multiple-choice filter an array of it
# (form style, exploded: ``?theme=a&theme=b``).
@extend_schema_field(OpenApiTypes.STR)
class CodesFilter(df.ModelMultipleChoiceFilter):
    """Slugs or codes of a vocabulary; repeat the parameter for any of several."""

    def get_filter_predicate(self, v):
        # django-filter would compare the relation with the chosen object's
        # ``to_field_name`` value (a provider's ref against its numeric id, a
        # 500): the field names a relation, so compare with the object itself.
        name = self.field_name
        if self.lookup_expr != filter_settings.DEFAULT_LOOKUP_EXPR:
            name = f"{name}__{self.lookup_expr}"
        return {name: v}


@extend_schema_field(OpenApiTypes.STR)
class CodeFilter(df.ModelChoiceFilter):
    """One slug or code of a vocabulary."""


def _multi(model, field_name: str, to_field: str = "pk", **kwargs):
    return CodesFilter(
        field_name=field_name,
        queryset=model.objects.all(),
        to_field_name=to_field,
        distinct=True,
        **kwargs,
    )


class TaggedFilter(df.FilterSet):
    """Filters shared by needs and programmes (repeat a parameter for OR)."""

    q = df.CharFilter(method="filter_q", label="Search words in the text")
    theme = _multi(Theme, "topics__theme")
    topic = _multi(Topic, "topics")
    assistance_type = _multi(AssistanceType, "assistance_types")
    audience = _multi(Audience, "audiences")
    language = _multi(Language, "languages")
    delivery_mode = _multi(DeliveryMode, "delivery_modes")
    created = IsoDateTimeFromToRangeFilter(field_name="created_at")
    updated = IsoDateTimeFromToRangeFilter(field_name="updated_at")

    SEARCH_FIELDS: tuple[str, ...] = ("ref", "title", "summary", "description")

    def filter_q(self, queryset, name, value):
        # The owners' translations of the title and summary match too. On
        # PostgreSQL: full text, most relevant first unless ``ordering`` says
        # otherwise (it is applied after this filter).
        found = search.search(
            queryset,
            value,
            fallback=translations.search_q(queryset.model, value, self.SEARCH_FIELDS),
            also=[queryset.model.objects.filter(ref=value.strip()).values("pk")],
        )
        if search.is_ranked(found):
            found = found.order_by("-" + search.RANK, *queryset.model._meta.ordering)
        return found


class NeedFilter(TaggedFilter):
    status = df.MultipleChoiceFilter(choices=NeedStatus.choices)
    visibility = df.MultipleChoiceFilter(choices=Visibility.choices)
    priority = _multi(Priority, "priority")
    country = _multi(Country, "member_state__country", to_field="iso3")
    region = CodeFilter(
        queryset=Region.objects.all(),
        method="filter_region",
        label="M49 region, sub-region or intermediate region code",
    )
    ldc = BooleanFilter(field_name="member_state__country__is_ldc")
    lldc = BooleanFilter(field_name="member_state__country__is_lldc")
    sids = BooleanFilter(field_name="member_state__country__is_sids")
    unmet = BooleanFilter(method="filter_unmet", label="Flagged as unmet")
    needed_by = df.DateFromToRangeFilter()
    ordering = df.OrderingFilter(
        fields=(
            ("created_at", "created_at"),
            ("updated_at", "updated_at"),
            ("needed_by", "needed_by"),
            ("title", "title"),
            ("priority__position", "priority"),
        )
    )

    class Meta:
        model = Need
        fields: list[str] = []

    def filter_region(self, queryset, name, value):
        return queryset.filter(country_in_region_q("member_state__country__", value))

    def filter_unmet(self, queryset, name, value):
        unmet = ~Q(unmet_reason="")
        return queryset.filter(unmet if value else ~unmet)


class ProgrammeFilter(TaggedFilter):
    status = df.MultipleChoiceFilter(choices=ProgrammeStatus.choices)
    provider = _multi(Provider, "provider", to_field="ref")
    stakeholder_group = _multi(StakeholderGroup, "provider__stakeholder_group")
    cost_model = _multi(CostModel, "cost_model")
    region = CodeFilter(
        queryset=Region.objects.all(),
        method="filter_region",
        label="Open to this region: listed for it, a sub-region or one of its "
        "countries",
    )
    eligible_for = CodeFilter(
        queryset=Country.objects.all(),
        to_field_name="iso3",
        method="filter_eligible_for",
        label="ISO alpha-3 of a country the programme is open to (worldwide "
        "programmes included)",
    )
    ldc_only = BooleanFilter()
    sids_only = BooleanFilter()
    include_ended = BooleanFilter(
        method="filter_include_ended",
        label="true: also programmes whose end date has passed (left out by default)",
    )
    starts_on = df.DateFromToRangeFilter()
    ends_on = df.DateFromToRangeFilter()
    funded_by = CodeFilter(
        queryset=Provider.objects.all(),
        to_field_name="ref",
        method="filter_funded_by",
        label="Reference of a provider taking part as a funding organisation",
    )
    funder = df.CharFilter(
        method="filter_funder",
        max_length=200,
        label="Part of the name of a funding organisation (registered or not)",
    )
    ordering = df.OrderingFilter(
        fields=(
            ("title", "title"),
            ("created_at", "created_at"),
            ("updated_at", "updated_at"),
            ("starts_on", "starts_on"),
            ("ends_on", "ends_on"),
        )
    )

    class Meta:
        model = Programme
        fields: list[str] = []

    def filter_include_ended(self, queryset, name, value):
        # The API's list leaves ended programmes out unless this is true.
        return queryset

    def filter_region(self, queryset, name, value):
        countries = Country.objects.filter(country_in_region_q("", value))
        return queryset.filter(
            Q(
                pk__in=Programme.objects.filter(
                    eligible_regions__in=region_codes(value)
                ).values("pk")
            )
            | Q(
                pk__in=Programme.objects.filter(
                    eligible_countries__in=countries
                ).values("pk")
            )
        )

    def filter_funded_by(self, queryset, name, value):
        return queryset.filter(
            pk__in=ParticipatingOrganisation.objects.filter(
                role=OrganisationRole.FUNDING, provider=value
            ).values("programme_id")
        )

    def filter_funder(self, queryset, name, value):
        return queryset.filter(catalogue.funded_by_name_q(value))

    def filter_eligible_for(self, queryset, name, value):
        codes = list(value.region_codes)
        listed = Programme.objects.filter(
            Q(eligible_countries=value) | Q(eligible_regions__in=codes)
        ).values("pk")
        worldwide = Q(eligible_countries__isnull=True, eligible_regions__isnull=True)
        rule = Q(pk__in=listed) | Q(
            pk__in=Programme.objects.filter(worldwide).values("pk")
        )
        if not value.is_ldc:
            rule &= Q(ldc_only=False)
        if not value.is_sids:
            rule &= Q(sids_only=False)
        return queryset.filter(rule)


class MatchFilter(df.FilterSet):
    status = df.MultipleChoiceFilter(choices=MatchStatus.choices)
    origin = df.ChoiceFilter(choices=MatchOrigin.choices)
    # Plain text, not a model choice: a model choice would say whether a
    # hidden need exists (400 vs an empty list).
    need = df.CharFilter(field_name="need__ref", max_length=100)
    programme = df.CharFilter(field_name="programme__ref", max_length=100)
    provider = df.CharFilter(field_name="programme__provider__ref", max_length=100)
    min_score = df.NumberFilter(field_name="score", lookup_expr="gte")
    created = IsoDateTimeFromToRangeFilter(field_name="created_at")
    ordering = df.OrderingFilter(
        fields=(
            ("rank", "rank"),
            ("score", "score"),
            ("created_at", "created_at"),
            ("updated_at", "updated_at"),
        )
    )

    class Meta:
        model = Match
        fields: list[str] = []


class CountryFilter(df.FilterSet):
    q = df.CharFilter(method="filter_q")
    region = CodeFilter(queryset=Region.objects.all(), method="filter_region")
    ldc = BooleanFilter(field_name="is_ldc")
    lldc = BooleanFilter(field_name="is_lldc")
    sids = BooleanFilter(field_name="is_sids")
    un_member = BooleanFilter(field_name="is_un_member")

    class Meta:
        model = Country
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        return queryset.filter(
            search_q(value, ("iso3", "iso2", "name_en", "name_fr", "name_es"))
        )

    def filter_region(self, queryset, name, value):
        return queryset.filter(country_in_region_q("", value))


class RegionFilter(df.FilterSet):
    level = df.ChoiceFilter(choices=Region._meta.get_field("level").choices)
    parent = CodeFilter(queryset=Region.objects.all())

    class Meta:
        model = Region
        fields: list[str] = []


class ProviderFilter(df.FilterSet):
    q = df.CharFilter(method="filter_q")
    stakeholder_group = _multi(StakeholderGroup, "stakeholder_group")
    country = _multi(Country, "country", to_field="iso3")
    verified = BooleanFilter(field_name="is_verified")
    ordering = df.OrderingFilter(
        fields=(("name", "name"), ("created_at", "created_at"))
    )

    class Meta:
        model = Provider
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        return queryset.filter(search_q(value, ("ref", "name", "description")))
