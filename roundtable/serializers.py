"""Serializers of the roundtable API: shape only; the services enforce the rules."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from matchmaking import selectors as mm_selectors
from matchmaking.api.serializers import SafeSlugRelatedField
from matchmaking.api.serializers import TranslatedSerializerMixin
from matchmaking.api.serializers import TranslationSerializer
from matchmaking.api.serializers import acting_member_state
from matchmaking.api.serializers import acting_provider
from matchmaking.api.serializers import content_language_field
from matchmaking.api.serializers import slug
from matchmaking.api.serializers import slugs
from matchmaking.models import LONG_TEXT
from matchmaking.models import NOTE_TEXT
from matchmaking.models import SHORT_TEXT
from matchmaking.models import MemberState
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.models import Provider
from matchmaking.models import User
from roundtable import selectors
from roundtable.models import MAX_PITCH_SECONDS
from roundtable.models import REVIEW_WEIGHTS
from roundtable.models import AgendaVersion
from roundtable.models import Event
from roundtable.models import Meeting
from roundtable.models import Pitch
from roundtable.models import Review
from roundtable.models import Session
from roundtable.models import SessionReport
from roundtable.models import TimeSlot


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = [
            "slug",
            "name",
            "description",
            "venue",
            "timezone",
            "starts_on",
            "ends_on",
        ]


class SessionSerializer(serializers.ModelSerializer):
    event = serializers.CharField(source="event.slug", read_only=True)

    class Meta:
        model = Session
        fields = [
            "id",
            "event",
            "kind",
            "title",
            "description",
            "track",
            "room",
            "starts_at",
            "ends_at",
            "chair_name",
            "capacity",
        ]


class ProgrammeRefSerializer(serializers.Serializer):
    ref = serializers.CharField()
    title = serializers.CharField()


class PitchSerializer(TranslatedSerializerMixin, serializers.ModelSerializer):
    """A pitch; ``shown`` is its title and abstract in the request's language."""

    event = serializers.CharField(source="event.slug", read_only=True)
    provider = serializers.CharField(source="provider.ref", read_only=True)
    provider_name = serializers.CharField(source="provider.name", read_only=True)
    programmes = ProgrammeRefSerializer(many=True, read_only=True)

    class Meta:
        model = Pitch
        fields = [
            "id",
            "event",
            "session",
            "provider",
            "provider_name",
            "presenter_name",
            "title",
            "abstract",
            "content_language",
            "translations",
            "shown",
            "programmes",
            "state",
            "duration_seconds",
            "slide_count",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and "state" in data:
            # A staged decision stays "in_review" to all but curators.
            data["state"] = selectors.pitch_state_shown(
                user=request.user, pitch=instance
            )
        return data


class SlotPitchSerializer(serializers.ModelSerializer):
    provider = serializers.CharField(source="provider.ref", read_only=True)
    provider_name = serializers.CharField(source="provider.name", read_only=True)

    class Meta:
        model = Pitch
        fields = ["id", "title", "presenter_name", "provider", "provider_name"]


class TimeSlotSerializer(serializers.ModelSerializer):
    pitch = SlotPitchSerializer(read_only=True, allow_null=True)

    class Meta:
        model = TimeSlot
        fields = ["id", "kind", "starts_at", "ends_at", "location", "pitch"]


class AgendaSessionSerializer(SessionSerializer):
    slots = TimeSlotSerializer(many=True, read_only=True)

    class Meta(SessionSerializer.Meta):
        fields = [*SessionSerializer.Meta.fields, "slots"]


class AgendaSerializer(serializers.Serializer):
    event = EventSerializer()
    sessions = AgendaSessionSerializer(many=True)


# --- writes -------------------------------------------------------------------------


class SafePrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An id relation: a foreign or missing object gives the same error."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if isinstance(data, str) and not data.isdigit():
            self.fail("incorrect_type", data_type="str")
        if int(data) <= 2**63 - 1:
            try:
                return super().to_internal_value(data)
            except serializers.ValidationError as refused:
                if getattr(refused.detail[0], "code", None) != "does_not_exist":
                    raise
        names = {"field": self.field_name or "value", "value": str(data)[:40]}
        raise serializers.ValidationError(
            _("%(field)s: no such value “%(value)s”.") % names, code="does_not_exist"
        )


def _user(context):
    request = context.get("request")
    return request.user if request is not None else None


def _bare(qs):
    """A lookup queryset: the rows alone, without joins or prefetches."""
    return qs.select_related(None).prefetch_related(None)


class _UserChoicesSerializer(serializers.Serializer):
    """Related fields offer only what the requesting user may name."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _user(self.context)
        if user is not None:
            self.limit_choices(user)

    def limit_choices(self, user) -> None:
        raise NotImplementedError


class PitchWriteSerializer(_UserChoicesSerializer):
    """A pitch as its provider writes it (JSON, or multipart with the deck)."""

    event = SafeSlugRelatedField(
        slug_field="slug",
        queryset=Event.objects.all(),
        help_text=_("Slug of the event (on creation only)."),
    )
    provider = acting_provider()
    title = serializers.CharField(max_length=200)
    abstract = serializers.CharField(max_length=SHORT_TEXT)
    content_language = content_language_field()
    translations = TranslationSerializer(
        many=True,
        required=False,
        help_text=_(
            "Translations of the title and abstract (as summary); the list "
            "replaces the stored one. JSON requests only."
        ),
    )
    presenter_name = serializers.CharField(max_length=200, required=False)
    presenter = slug(
        User,
        "username",
        limited=True,
        allow_null=True,
        required=False,
        help_text=_("Username of the presenter; a member of the pitch's provider."),
    )
    duration_seconds = serializers.IntegerField(
        min_value=1, max_value=MAX_PITCH_SECONDS, required=False
    )
    programmes = slugs(
        Programme,
        field="ref",
        limited=True,
        required=False,
        help_text=_("References of your organisation's published programmes."),
    )
    slide_deck = serializers.FileField(
        required=False,
        write_only=True,
        help_text=_("PDF of 1 to 3 pages, at most 10 MB (multipart only)."),
    )

    def limit_choices(self, user) -> None:
        providers = mm_selectors.provider_ids(user=user)
        self.fields["provider"].queryset = Provider.objects.filter(pk__in=providers)
        self.fields["presenter"].queryset = selectors.presenters_for(
            provider_ids=providers
        )
        self.fields["programmes"].child_relation.queryset = _bare(
            mm_selectors.programmes_visible_to(user=user)
        )
        if self.instance is not None:  # a pitch never moves to another event
            for name in ("event", "provider"):
                self.fields[name].read_only = True


class SlideDeckUploadSerializer(serializers.Serializer):
    slide_deck = serializers.FileField(
        help_text=_("PDF of 1 to 3 pages, at most 10 MB; checked by its content.")
    )


class ReviewWriteSerializer(serializers.Serializer):
    relevance = serializers.IntegerField(min_value=1, max_value=5)
    clarity = serializers.IntegerField(min_value=1, max_value=5)
    feasibility = serializers.IntegerField(min_value=1, max_value=5)
    reach = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=NOTE_TEXT
    )

    def scores(self) -> dict[str, int]:
        return {name: self.validated_data[name] for name in REVIEW_WEIGHTS}


class ReviewSerializer(serializers.ModelSerializer):
    curator = serializers.CharField(source="curator.username", read_only=True)
    weighted_score = serializers.FloatField(read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "pitch",
            "curator",
            *REVIEW_WEIGHTS,
            "weighted_score",
            "comment",
            "created_at",
            "updated_at",
        ]


class QueuedPitchSerializer(serializers.ModelSerializer):
    """A pitch in the curators' queue, with its aggregated review scores."""

    provider = serializers.CharField(source="provider.ref", read_only=True)
    provider_name = serializers.CharField(source="provider.name", read_only=True)
    stakeholder_group = serializers.CharField(
        source="provider.stakeholder_group_id", read_only=True
    )
    review_count = serializers.IntegerField(read_only=True)
    score = serializers.FloatField(read_only=True, allow_null=True)
    reviewed_by_me = serializers.BooleanField(read_only=True)
    avg_relevance = serializers.FloatField(read_only=True, allow_null=True)
    avg_clarity = serializers.FloatField(read_only=True, allow_null=True)
    avg_feasibility = serializers.FloatField(read_only=True, allow_null=True)
    avg_reach = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Pitch
        fields = [
            "id",
            "title",
            "provider",
            "provider_name",
            "stakeholder_group",
            "state",
            "review_count",
            "score",
            "reviewed_by_me",
            "avg_relevance",
            "avg_clarity",
            "avg_feasibility",
            "avg_reach",
        ]


class ScheduleRequestSerializer(serializers.Serializer):
    session = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        help_text=_("Id of a matchmaking session of this event."),
    )
    lead_in_seconds = serializers.IntegerField(
        min_value=0,
        max_value=4 * 3600,
        required=False,
        help_text=_(
            "Time before the first pitch; default: the running order's current "
            "lead-in (none for a new one)."
        ),
    )
    changeover_seconds = serializers.IntegerField(
        min_value=0, max_value=600, required=False
    )


class PlacementSerializer(serializers.Serializer):
    pitch = serializers.IntegerField(source="pitch_id")
    theme = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class SchedulePlanSerializer(serializers.Serializer):
    placements = PlacementSerializer(many=True)
    overflow = serializers.ListField(child=serializers.IntegerField())


class PublishAgendaSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class AgendaVersionSerializer(serializers.ModelSerializer):
    event = serializers.CharField(source="event.slug", read_only=True)

    class Meta:
        model = AgendaVersion
        fields = ["event", "number", "published_at", "note"]


class ReleaseResultSerializer(serializers.Serializer):
    released = serializers.IntegerField(help_text=_("Decisions announced."))


class MeetingSerializer(serializers.ModelSerializer):
    pitch_title = serializers.CharField(source="pitch.title", read_only=True)
    event = serializers.CharField(source="pitch.event.slug", read_only=True)
    member_state = serializers.CharField(
        source="member_state.country_id", read_only=True
    )
    member_state_name = serializers.CharField(
        source="member_state.country.name", read_only=True
    )
    presenter_name = serializers.CharField(
        source="pitch.presenter_name", read_only=True
    )
    need = serializers.CharField(source="need.ref", read_only=True, allow_null=True)
    programme = serializers.CharField(
        source="programme.ref", read_only=True, allow_null=True
    )
    location = serializers.CharField(
        source="slot.location", read_only=True, allow_null=True
    )

    class Meta:
        model = Meeting
        fields = [
            "id",
            "pitch",
            "pitch_title",
            "event",
            "member_state",
            "member_state_name",
            "presenter_name",
            "need",
            "programme",
            "message",
            "state",
            "expires_at",
            "slot",
            "starts_at",
            "ends_at",
            "location",
            "response_note",
            "responded_at",
            "created_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # The selectors annotate whether the viewer may see the named need.
        if not getattr(instance, "need_shown", False):
            data["need"] = None
        return data


class MeetingRequestSerializer(_UserChoicesSerializer):
    """A delegation asks the presenter of a pitch for a meeting."""

    pitch = SafePrimaryKeyRelatedField(
        queryset=Pitch.objects.none(), help_text=_("Id of an accepted pitch.")
    )
    member_state = acting_member_state()
    message = serializers.CharField(
        max_length=NOTE_TEXT, required=False, allow_blank=True
    )
    need = slug(
        Need,
        "ref",
        limited=True,
        required=False,
        allow_null=True,
        help_text=_("Reference of an open need of your state."),
    )
    programme = slug(
        Programme,
        "ref",
        limited=True,
        required=False,
        allow_null=True,
        help_text=_("Reference of a programme presented in the pitch."),
    )

    def limit_choices(self, user) -> None:
        states = mm_selectors.member_state_ids(user=user)
        self.fields["pitch"].queryset = _bare(selectors.pitches_visible_to(user=user))
        self.fields["member_state"].queryset = MemberState.objects.filter(pk__in=states)
        self.fields["need"].queryset = Need.objects.filter(member_state_id__in=states)
        self.fields["programme"].queryset = _bare(
            mm_selectors.programmes_visible_to(user=user)
        )

    def validate(self, attrs):
        need, pitch = attrs.get("need"), attrs.get("pitch")
        # The presenter's side will see the need: one it may not see answers
        # exactly like a need that does not exist.
        if (
            need is not None
            and pitch is not None
            and not mm_selectors.needs_visible_to_provider(
                provider_id=pitch.provider_id
            )
            .filter(pk=need.pk)
            .exists()
        ):
            names = {"field": "need", "value": need.ref}
            raise serializers.ValidationError(
                {"need": [_("%(field)s: no such value “%(value)s”.") % names]}
            )
        return attrs


class MeetingAcceptSerializer(serializers.Serializer):
    slot = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        help_text=_("Id of a free meeting slot; the first free one if omitted."),
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=NOTE_TEXT, required=False, allow_blank=True
    )


class BreakoutSeatSerializer(serializers.Serializer):
    session = serializers.IntegerField()
    capacity = serializers.IntegerField(allow_null=True)
    seats_taken = serializers.IntegerField()
    is_registered = serializers.BooleanField()


class SessionReportSerializer(serializers.ModelSerializer):
    rapporteur = serializers.SerializerMethodField()

    class Meta:
        model = SessionReport
        fields = [
            "session",
            "rapporteur",
            "summary",
            "key_issues",
            "commitments",
            "published_at",
            "updated_at",
        ]

    def get_rapporteur(self, report) -> str | None:
        person = report.rapporteur
        if person is None:
            return None
        return person.get_full_name() or person.username


class SessionReportWriteSerializer(serializers.Serializer):
    summary = serializers.CharField(
        required=False, allow_blank=True, max_length=LONG_TEXT
    )
    key_issues = serializers.CharField(
        required=False, allow_blank=True, max_length=LONG_TEXT
    )
    commitments = serializers.CharField(
        required=False, allow_blank=True, max_length=LONG_TEXT
    )
