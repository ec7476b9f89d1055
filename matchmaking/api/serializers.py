"""Serializers of the API: shape only; services enforce the rules."""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ObjectDoesNotExist
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.permissions import SAFE_METHODS
from rest_framework.relations import PKOnlyObject

from matchmaking import explain
from matchmaking import selectors
from matchmaking import tagkeys
from matchmaking import translations as translations_mod
from matchmaking.enums import DeclineCode
from matchmaking.enums import DeliveryOutcome
from matchmaking.enums import NeedStatus
from matchmaking.enums import ProgrammeStatus
from matchmaking.models import NOTE_TEXT
from matchmaking.models import SHORT_TEXT
from matchmaking.models import TAG_FIELDS
from matchmaking.models import ApiToken
from matchmaking.models import AssistanceType
from matchmaking.models import Audience
from matchmaking.models import CostModel
from matchmaking.models import Country
from matchmaking.models import DeliveryMode
from matchmaking.models import Language
from matchmaking.models import Match
from matchmaking.models import MemberState
from matchmaking.models import Need
from matchmaking.models import Priority
from matchmaking.models import Programme
from matchmaking.models import Provider
from matchmaking.models import Region
from matchmaking.models import StakeholderGroup
from matchmaking.models import Theme
from matchmaking.models import TokenScope
from matchmaking.models import Topic
from matchmaking.models import check_programme_dates

# Models anyone may list: for these, a value that exists but is not one the
# caller may use is told apart from one that does not exist at all. For any
# other model the two read the same (telling them apart would leak).
PUBLIC_MODELS = frozenset(
    {"matchmaking.memberstate", "matchmaking.country", "matchmaking.provider"}
)


class SafeSlugRelatedField(serializers.SlugRelatedField):
    """A slug relation that rejects NUL bytes before they reach PostgreSQL, and
    whose errors speak of the API's field and value (never of a column)."""

    def _api_name(self) -> str:
        if self.field_name:
            return self.field_name
        return getattr(self.parent, "field_name", "") or "value"  # many=True

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        if not isinstance(data, str | int):
            self.fail("invalid")
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as refused:
            if getattr(refused.detail[0], "code", None) != "does_not_exist":
                raise
        value = str(data)[:100]
        model = self.get_queryset().model
        names = {"field": self._api_name(), "value": value}
        if (
            model._meta.label_lower in PUBLIC_MODELS
            and model._default_manager.filter(**{self.slug_field: data}).exists()
        ):
            message = _("%(field)s: you may not use “%(value)s” here.") % names
        else:
            message = _("%(field)s: no such value “%(value)s”.") % names
        raise serializers.ValidationError(message, code="does_not_exist")


def slugs(
    model, *, many: bool = True, field: str = "slug", limited: bool = False, **kwargs
):
    """A writable list of slugs (or codes, refs), or one of them (many=False).

    ``limited``: none may be used until the view limits the choices to what
    the user may use (``limit_choices``); otherwise every row of the model.
    """
    rows = model.objects.none() if limited else model.objects.all()
    return SafeSlugRelatedField(many=many, slug_field=field, queryset=rows, **kwargs)


def slug(model, field: str = "slug", **kwargs) -> SafeSlugRelatedField:
    """One writable slug (or code, ref) of a relation; see ``slugs``."""
    return slugs(model, many=False, field=field, **kwargs)


def acting_provider(**kwargs) -> SafeSlugRelatedField:
    """The provider a record is written for, by ref: one the user acts for."""
    help_text = _("Reference of the provider; only providers you act for.")
    return slug(Provider, "ref", limited=True, help_text=help_text, **kwargs)


def acting_member_state(**kwargs) -> SafeSlugRelatedField:
    """The member state a record is for, by ISO alpha-3: one the user acts for."""
    help_text = _("ISO alpha-3 of the member state; only states you act for.")
    return slug(MemberState, "country_id", limited=True, help_text=help_text, **kwargs)


# --- reference data --------------------------------------------------------


def names_field() -> serializers.DictField:
    """The name in each UN language; ``name`` follows Accept-Language."""
    return serializers.DictField(
        child=serializers.CharField(),
        read_only=True,
        help_text="The name in each UN language (ar, zh, en, fr, ru, es); "
        "`name` is the one of the request's Accept-Language.",
    )


class RegionSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent_id", allow_null=True)
    names = names_field()

    class Meta:
        model = Region
        fields = ["code", "name", "names", "level", "parent"]


class CountrySerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region_id", allow_null=True)
    subregion = serializers.CharField(source="subregion_id", allow_null=True)
    intermediate_region = serializers.CharField(
        source="intermediate_region_id", allow_null=True
    )
    names = names_field()

    class Meta:
        model = Country
        fields = [
            "iso3",
            "iso2",
            "m49",
            "name",
            "names",
            "region",
            "subregion",
            "intermediate_region",
            "is_ldc",
            "is_lldc",
            "is_sids",
            "is_un_member",
            "is_observer",
        ]


class VocabularySerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField(source="label", read_only=True)
    names = names_field()


class TopicSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="label", read_only=True)
    names = names_field()

    class Meta:
        model = Topic
        fields = ["slug", "name", "names", "cmm_dimension"]


class ThemeSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="label", read_only=True)
    names = names_field()
    topics = TopicSerializer(many=True)

    class Meta:
        model = Theme
        fields = ["slug", "name", "names", "gfce_working_group", "topics"]


class LanguageSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="label", read_only=True)

    class Meta:
        model = Language
        fields = ["code", "name"]


class TaxonomySerializer(serializers.Serializer):
    themes = ThemeSerializer(many=True)
    assistance_types = VocabularySerializer(many=True)
    audiences = VocabularySerializer(many=True)
    delivery_modes = VocabularySerializer(many=True)
    stakeholder_groups = VocabularySerializer(many=True)
    cost_models = VocabularySerializer(many=True)
    priorities = VocabularySerializer(many=True)
    languages = LanguageSerializer(many=True)


# --- organisations ---------------------------------------------------------


class ProviderSerializer(serializers.ModelSerializer):
    stakeholder_group = serializers.CharField(source="stakeholder_group_id")
    country = serializers.CharField(source="country_id", allow_null=True)

    class Meta:
        model = Provider
        fields = [
            "ref",
            "name",
            "stakeholder_group",
            "country",
            "website",
            "description",
            "is_verified",
        ]


class ProviderWriteSerializer(serializers.ModelSerializer):
    """Registering or editing a provider: its profile only, never its verification."""

    stakeholder_group = SafeSlugRelatedField(
        slug_field="slug", queryset=StakeholderGroup.objects.all()
    )
    country = SafeSlugRelatedField(
        slug_field="iso3",
        queryset=Country.objects.all(),
        allow_null=True,
        required=False,
    )

    class Meta:
        model = Provider
        fields = ["name", "stakeholder_group", "country", "website", "description"]


# --- needs and programmes --------------------------------------------------


class TranslationSerializer(serializers.Serializer):
    """The owner's translation of the title and summary into another language."""

    language = serializers.CharField(
        max_length=8, help_text=_("ISO 639-1 code of the translation's language.")
    )
    title = serializers.CharField(max_length=300)
    summary = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=SHORT_TEXT
    )


class ShownSerializer(serializers.Serializer):
    """The version shown in the request's language (Accept-Language)."""

    language = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()
    is_original = serializers.BooleanField()
    notice = serializers.CharField(
        help_text=_("Says so when the request's language has no version yet.")
    )


def content_language_field(**kwargs) -> serializers.PrimaryKeyRelatedField:
    """The language a text is written in, as an ISO 639-1 code."""
    return serializers.PrimaryKeyRelatedField(
        queryset=Language.objects.all(),
        required=False,
        error_messages={
            "does_not_exist": _("Unknown language code “{pk_value}”."),
            "incorrect_type": _("Give an ISO 639-1 code, for example “fr”."),
        },
        help_text=_(
            "ISO 639-1 code of the language the text is written in (default: "
            "your interface language, else en)."
        ),
        **kwargs,
    )


class TranslatedSerializerMixin(serializers.Serializer):
    """``content_language``, the owner's ``translations`` and the ``shown`` version.

    ``translations`` is written as a whole (the list replaces the stored one)
    by the record's owners and curators; the view hands it to
    ``translations.replace_translations``.
    """

    content_language = content_language_field()
    translations = TranslationSerializer(many=True, required=False)
    shown = serializers.SerializerMethodField()

    @cached_property
    def _readable_fields(self):
        # Rendered below from the prefetched rows: DRF's walk would fetch each
        # translation's language row (a query per translation) for nothing.
        # A list, made once: a list serializer's child walks it for every
        # record (DRF's generators cost a fifth of a page's CPU).
        return [
            field
            for field in super()._readable_fields
            if field.field_name != "translations"
        ]

    @extend_schema_field(ShownSerializer)
    def get_shown(self, obj) -> dict:
        version = translations_mod.shown_version(obj)
        return {
            "language": version.language,
            "title": version.title,
            "summary": version.summary,
            "is_original": version.is_original,
            "notice": version.notice,
        }

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["translations"] = [
            {"language": t.language_id, "title": t.title, "summary": t.summary}
            for t in translations_mod.translations_of(instance)
        ]
        return data


# A model serializer's fields, introspected once per class and copied for each
# serializer, as DRF copies the declared ones: every request built its
# serializer's fields anew (0.8 ms of a need's matches, 1.8 ms of a page of
# programmes; a copy costs 0.3 and 1.0 ms). Only for serializers whose fields
# depend on the class alone (changes made in ``__init__`` touch the copy). No
# docstring: drf-spectacular would describe the serializers with it.
class FieldsBuiltOnce:
    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_built")
        if built is None:
            built = super().get_fields()
            cls._fields_built = built
        return copy.deepcopy(built)


# How a read walks a serializer's readable fields, worked out once per class
# from one instance of it, so that reads never build fields: DRF built (and
# FieldsBuiltOnce copied and bound) every field of the serializer on every
# request to read them, a tenth of a page of programmes. The fields of that
# one instance are shared by every later read (in any thread): only fields
# whose reading depends on the value alone are, and a field that reads its
# serializer (a method field) is called on the serializer at hand. A walk
# gives what DRF's gives: plain paths are read with getattr, and anything
# unusual on the way (a None before the last step, a mapping, a callable, a
# missing row) is left to the field's own get_attribute, as DRF would.
# Serializers with other fields (nested serializers, hyperlinks) keep DRF's
# walk. No docstring: drf-spectacular would describe the serializers with it.
_PATH, _FIELD, _METHOD, _KEY = 0, 1, 2, 3
# Project fields whose reading depends on the value alone (DRF's own are
# taken by module, but for those that read the request).
_PLAIN_FIELDS: set[type] = set()


def _shareable(field) -> bool:
    if isinstance(
        field,
        serializers.BaseSerializer
        | serializers.HyperlinkedRelatedField
        | serializers.FileField,  # links read the request
    ):
        return False
    for child in ("child", "child_relation"):  # lists and dicts of values
        inner = getattr(field, child, None)
        if inner is not None and not _shareable(inner):
            return False
    cls = type(field)
    return cls in _PLAIN_FIELDS or cls.__module__.startswith("rest_framework.")


def _key_column(serializer_class, field) -> str | None:
    """The column holding a slug relation's value when the slug is the related
    row's key (vocabularies): read there, the row itself need not be loaded."""
    if type(field) not in (serializers.SlugRelatedField, SafeSlugRelatedField):
        return None
    model = getattr(getattr(serializer_class, "Meta", None), "model", None)
    if model is None or len(field.source_attrs) != 1:
        return None
    try:
        relation = model._meta.get_field(field.source_attrs[0])
    except FieldDoesNotExist:
        return None
    if not (relation.many_to_one and not relation.auto_created):
        return None
    if relation.target_field.name != field.slug_field:
        return None
    return relation.attname


@functools.cache
def _is_mapping(cls: type) -> bool:
    # What DRF's get_attribute asks of every value on a path, once per type.
    return issubclass(cls, Mapping)


class ReadPlan:
    _read_plan: list[tuple] | None = None

    @classmethod
    def read_plan(cls) -> list[tuple] | None:
        plan = cls.__dict__.get("_read_plan")
        if plan is None:
            plan = []
            template: Any = cls()  # one instance, no context
            for field in template._readable_fields:
                name = field.field_name
                if isinstance(field, serializers.SerializerMethodField):
                    plan.append((_METHOD, name, field.method_name, ()))
                elif not _shareable(field):
                    plan = []  # DRF's walk, with fields built per read
                    break
                elif key := _key_column(cls, field):
                    plan.append((_KEY, name, field, (key,)))
                elif (
                    type(field).get_attribute is serializers.Field.get_attribute
                    and field.source_attrs
                ):
                    plan.append((_PATH, name, field, tuple(field.source_attrs)))
                else:  # a relation read by its own get_attribute
                    plan.append((_FIELD, name, field, ()))
            cls._read_plan = plan
        return plan or None

    def to_representation(self, instance):
        plan = self.read_plan()
        if plan is None:
            return super().to_representation(instance)
        data = {}
        for kind, name, field, attrs in plan:
            if kind == _METHOD:
                data[name] = getattr(self, field)(instance)
                continue
            if kind == _KEY:
                data[name] = getattr(instance, attrs[0])
                continue
            value = instance
            if kind == _PATH:
                for attr in attrs:
                    if value is None or _is_mapping(type(value)):
                        kind = _FIELD
                        break
                    try:
                        value = getattr(value, attr)
                    except (ObjectDoesNotExist, AttributeError):
                        kind = _FIELD  # its own handling (a default, a skip)
                        break
                    if callable(value):
                        kind = _FIELD
                        break
            if kind == _FIELD:
                try:
                    value = field.get_attribute(instance)
                except SkipField:
                    continue
            if value is None or (isinstance(value, PKOnlyObject) and value.pk is None):
                data[name] = None
            else:
                data[name] = field.to_representation(value)
        return data


class TaggedSerializer(
    FieldsBuiltOnce, TranslatedSerializerMixin, ReadPlan, serializers.ModelSerializer
):
    """Tags are written as slugs and read back sorted."""

    topics = slugs(Topic)
    themes = serializers.SerializerMethodField()
    assistance_types = slugs(AssistanceType, required=False)
    audiences = slugs(Audience, required=False)
    languages = slugs(Language, field="code")
    delivery_modes = slugs(DeliveryMode, required=False)

    TAGS = TAG_FIELDS
    # The field naming the record's owner (a member state or a provider), the
    # owner's model, and the request's cache of the owners the user acts for.
    OWNER: tuple[str, type[MemberState] | type[Provider], str]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None or request.method in SAFE_METHODS:
            return
        name, model, acted_for = self.OWNER
        owner = self.fields[name]
        if self.instance is not None and not isinstance(self.instance, list):
            owner.read_only = True  # a record never moves to another owner
        elif selectors.is_curator(request.user):
            owner.queryset = model.objects.all()
        else:
            owner.queryset = model.objects.filter(pk__in=_cached(request, acted_for))

    def get_themes(self, obj) -> list[str]:
        return tagkeys.tag_keys(obj, "themes")

    @cached_property
    def _readable_fields(self):
        # Tags are rendered once, below, from the prefetched rows.
        return [
            field
            for field in super()._readable_fields
            if field.field_name not in self.TAGS
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        for name in self.TAGS:
            data[name] = tagkeys.tag_keys(instance, name)
        return data


# The fields needs and programmes both show: their text first, their tags (the
# models' TAG_FIELDS, with the themes their topics imply after the topics) later.
_RECORD_HEAD = (
    "ref",
    "title",
    "summary",
    "description",
    "content_language",
    "translations",
    "shown",
)
_RECORD_TAGS = (*TAG_FIELDS[:1], "themes", *TAG_FIELDS[1:])


class NeedSerializer(TaggedSerializer):
    country = acting_member_state(source="member_state")
    country_name = serializers.CharField(
        source="member_state.country.name", read_only=True
    )
    priority = slug(Priority, allow_null=True, required=False)
    shared_with = slugs(
        Provider,
        field="ref",
        required=False,
        help_text=_("Providers that may see a confidential need (owners only)."),
    )
    publish = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text=_("On creation: open the need at once instead of a draft."),
    )

    OWNER = ("country", MemberState, "member_state_ids")

    class Meta:
        model = Need
        fields = [
            *_RECORD_HEAD,
            "country",
            "country_name",
            "status",
            "priority",
            "visibility",
            "needed_by",
            *_RECORD_TAGS,
            "shared_with",
            "unmet_reason",
            "matched_at",
            "created_at",
            "updated_at",
            "publish",
        ]
        read_only_fields = [
            "ref",
            "status",
            "unmet_reason",
            "matched_at",
            "created_at",
            "updated_at",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        # Who a confidential need is shared with is the owners' business.
        if request is None or not (
            selectors.is_curator(request.user)
            or instance.member_state_id in _cached(request, "member_state_ids")
        ):
            data.pop("shared_with", None)
        else:
            data["shared_with"] = sorted(p.ref for p in instance.shared_with.all())
        return data


class ProgrammeSerializer(TaggedSerializer):
    provider = acting_provider()
    provider_name = serializers.CharField(source="provider.name", read_only=True)
    eligible_regions = slugs(Region, field="code", required=False)
    eligible_countries = slugs(Country, field="iso3", required=False)
    cost_model = slug(CostModel, allow_null=True, required=False)
    publish = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text=_("On creation: publish at once instead of a draft."),
    )

    TAGS = (*TAG_FIELDS, *Programme.ELIGIBILITY_FIELDS)
    OWNER = ("provider", Provider, "provider_ids")

    class Meta:
        model = Programme
        fields = [
            *_RECORD_HEAD,
            "provider",
            "provider_name",
            "status",
            *_RECORD_TAGS,
            *Programme.OFFER_FIELDS,
            "created_at",
            "updated_at",
            "publish",
        ]
        read_only_fields = ["ref", "status", "created_at", "updated_at"]

    def validate(self, attrs):
        starts, ends = attrs.get("starts_on"), attrs.get("ends_on")
        if self.instance is not None:
            starts = attrs.get("starts_on", self.instance.starts_on)
            ends = attrs.get("ends_on", self.instance.ends_on)
        check_programme_dates(starts, ends)
        return attrs


def _cached(request, name: str) -> set[int]:
    """The user's member-state or provider ids, looked up once per request."""
    cache = request.__dict__.setdefault("_cbm_ids", {})
    if name not in cache:
        cache[name] = getattr(selectors, name)(user=request.user)
    return cache[name]


class NeedStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=NeedStatus.choices)


class ProgrammeStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ProgrammeStatus.choices)


# --- matches ----------------------------------------------------------------


class FeedbackSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    outcome = serializers.ChoiceField(choices=DeliveryOutcome.choices)
    comments = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=SHORT_TEXT
    )


class ReasonSerializer(serializers.Serializer):
    """One reason a match was suggested."""

    code = serializers.CharField(
        help_text="Stable code of the reason (empty for reasons written before "
        "codes existed), e.g. `shared_topics`."
    )
    params = serializers.DictField(
        help_text="The values the text is made of (topic codes, a country ...)."
    )
    text = serializers.CharField(help_text="The reason in the request's language.")


class ComponentsSerializer(serializers.Serializer):
    """The relevance components a suggestion's score blends (0-1; null: the
    need says nothing on it). Empty for matches a curator proposed."""

    topic = serializers.FloatField(required=False, allow_null=True)
    text = serializers.FloatField(required=False, allow_null=True)
    audience = serializers.FloatField(required=False, allow_null=True)
    assistance = serializers.FloatField(required=False, allow_null=True)
    delivery = serializers.FloatField(required=False, allow_null=True)
    reach = serializers.FloatField(
        required=False,
        allow_null=True,
        help_text="1 when the programme is open to a group of countries only "
        "(a region, some countries, LDCs or SIDS) that includes the need's, "
        "0 when it is open worldwide.",
    )


@extend_schema_field(ComponentsSerializer)
class ComponentsField(serializers.JSONField):
    """A match's score components, as stored."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)


@extend_schema_field(ReasonSerializer(many=True))
class ReasonsField(serializers.JSONField):
    """A match's reasons, ``[{code, params, text}]``, text in the request's language.

    Stored reasons hold only code and params; the text is rendered on read
    (``explain``), in the language the locale middleware activated from the
    request's Accept-Language.
    """

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        # A bare string (rows written before reasons had codes) becomes a
        # reason without code, so that every reason has the one shape.
        return [
            item
            if isinstance(item, dict)
            else {"code": "", "params": {}, "text": str(item)}
            for item in explain.explained(value)
        ]


class MatchSerializer(FieldsBuiltOnce, ReadPlan, serializers.ModelSerializer):
    need = serializers.CharField(source="need.ref", read_only=True)
    country = serializers.CharField(
        source="need.member_state.country_id", read_only=True
    )
    programme = serializers.CharField(source="programme.ref", read_only=True)
    programme_title = serializers.CharField(source="programme.title", read_only=True)
    provider = serializers.CharField(source="programme.provider.ref", read_only=True)
    feedback = serializers.SerializerMethodField()
    components = ComponentsField()
    reasons = ReasonsField()

    class Meta:
        model = Match
        fields = [
            "id",
            "need",
            "country",
            "programme",
            "programme_title",
            "provider",
            "rank",
            "score",
            "components",
            "reasons",
            "status",
            "origin",
            "note",
            "decline_reason",
            "feedback",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(FeedbackSerializer(allow_null=True))
    def get_feedback(self, obj) -> dict | None:
        if obj.feedback_rating is None and not obj.feedback_outcome:
            return None
        return {
            "rating": obj.feedback_rating,
            "outcome": obj.feedback_outcome,
            "comments": obj.feedback_comments,
        }


_PLAIN_FIELDS.update({SafeSlugRelatedField, ComponentsField, ReasonsField})


class ProposeMatchSerializer(serializers.Serializer):
    """A curator's proposal: a programme for a need, with a note."""

    need = serializers.CharField(max_length=100)
    programme = serializers.CharField(max_length=100)
    note = serializers.CharField(max_length=NOTE_TEXT)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=NOTE_TEXT
    )


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=NOTE_TEXT)
    code = serializers.ChoiceField(
        choices=[c for c in DeclineCode.values if c],
        required=False,
        allow_blank=True,
        default="",
        help_text="The kind of reason (labelled data for measuring the engine).",
    )


class CompleteSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=NOTE_TEXT
    )
    feedback = FeedbackSerializer(required=False)


# --- tokens ------------------------------------------------------------------


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "prefix",
            "scope",
            "expires_at",
            "revoked_at",
            "last_used_at",
            "created_at",
        ]
        read_only_fields = fields


class ApiTokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    scope = serializers.ChoiceField(choices=TokenScope.choices)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    key = serializers.CharField(
        read_only=True, help_text=_("Shown once: store it now.")
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]
        read_only_fields = fields


# --- statistics and errors ---------------------------------------------------


class GapRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    open_needs = serializers.IntegerField(allow_null=True)
    matching_programmes = serializers.IntegerField(allow_null=True)
    unmet_needs = serializers.IntegerField(allow_null=True)


class GapStatsSerializer(serializers.Serializer):
    by = serializers.CharField()
    suppressed_below = serializers.IntegerField(allow_null=True)
    results = GapRowSerializer(many=True)


class ErrorBodySerializer(serializers.Serializer):
    status = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )
    problems = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()), required=False
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()
