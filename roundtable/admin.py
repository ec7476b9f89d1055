"""Admin for the roundtable: events, sessions, slots, pitches and reports."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from matchmaking.admin import RecordOnlyAdmin
from roundtable.models import AgendaVersion
from roundtable.models import BreakoutRegistration
from roundtable.models import CallForPitches
from roundtable.models import Commitment
from roundtable.models import CommitmentReport
from roundtable.models import Event
from roundtable.models import Meeting
from roundtable.models import Pitch
from roundtable.models import Review
from roundtable.models import Session
from roundtable.models import SessionReport
from roundtable.models import TimeSlot


class SessionInline(admin.TabularInline):
    model = Session
    extra = 0
    fields = ("title", "kind", "track", "room", "starts_at", "ends_at")
    show_change_link = True


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "venue", "starts_on", "ends_on")
    search_fields = ("name", "slug", "venue")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (SessionInline,)


class TimeSlotInline(admin.TabularInline):
    model = TimeSlot
    extra = 0
    fields = ("kind", "starts_at", "ends_at", "location", "pitch")
    autocomplete_fields = ("pitch",)


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ("title", "event", "kind", "track", "room", "starts_at", "ends_at")
    list_filter = ("event", "kind")
    search_fields = ("title", "track", "room", "chair_name")
    autocomplete_fields = ("event", "chair")
    list_select_related = ("event",)
    inlines = (TimeSlotInline,)


class ReviewInline(admin.TabularInline):
    model = Review
    extra = 0
    fields = ("curator", "relevance", "clarity", "feasibility", "reach", "comment")
    autocomplete_fields = ("curator",)


@admin.register(Pitch)
class PitchAdmin(SimpleHistoryAdmin):
    list_display = (
        "title",
        "provider",
        "presenter_name",
        "event",
        "state",
        "slide_count",
    )
    list_filter = ("event", "state")
    search_fields = ("title", "abstract", "presenter_name", "provider__name")
    autocomplete_fields = ("event", "session", "provider", "presenter", "programmes")
    readonly_fields = (
        "slide_count",
        "submitted_at",
        "decided_at",
        "decided_by",
        "confirmed_at",
        "created_at",
        "updated_at",
    )
    list_select_related = ("provider", "event")
    inlines = (ReviewInline,)


@admin.register(TimeSlot)
class TimeSlotAdmin(admin.ModelAdmin):
    list_display = ("session", "kind", "starts_at", "ends_at", "location", "pitch")
    list_filter = ("kind", "session__event")
    search_fields = ("session__title", "location", "pitch__title")
    autocomplete_fields = ("session", "pitch")
    list_select_related = ("session", "pitch")


@admin.register(SessionReport)
class SessionReportAdmin(admin.ModelAdmin):
    list_display = ("session", "rapporteur", "published_at")
    list_filter = ("session__event",)
    search_fields = ("session__title", "summary", "key_issues", "commitments")
    autocomplete_fields = ("session", "rapporteur")


@admin.register(CallForPitches)
class CallForPitchesAdmin(admin.ModelAdmin):
    list_display = (
        "event",
        "opens_at",
        "closes_at",
        "max_seconds",
        "max_slides",
        "decisions_released_at",
    )
    autocomplete_fields = ("event",)
    filter_horizontal = ("eligible_stakeholder_groups",)
    readonly_fields = ("decisions_released_at", "created_at", "updated_at")
    list_select_related = ("event",)


@admin.register(Review)
class ReviewAdmin(SimpleHistoryAdmin):
    list_display = (
        "pitch",
        "curator",
        "relevance",
        "clarity",
        "feasibility",
        "reach",
        "weighted_score",
    )
    list_filter = ("pitch__event",)
    search_fields = ("pitch__title", "curator__username", "comment")
    autocomplete_fields = ("pitch", "curator")
    list_select_related = ("pitch", "curator")


@admin.register(AgendaVersion)
class AgendaVersionAdmin(RecordOnlyAdmin):
    """Published versions are a record: read them, never edit them."""

    list_display = ("event", "number", "published_at", "published_by", "note")
    list_filter = ("event",)
    readonly_fields = (
        "event",
        "number",
        "published_at",
        "published_by",
        "note",
        "snapshot",
    )
    list_select_related = ("event", "published_by")


@admin.register(Meeting)
class MeetingAdmin(SimpleHistoryAdmin):
    list_display = (
        "pitch",
        "member_state",
        "requested_by",
        "state",
        "starts_at",
        "slot",
        "expires_at",
    )
    list_filter = ("state", "pitch__event")
    search_fields = (
        "pitch__title",
        "member_state__country__name_en",
        "requested_by__username",
        "message",
    )
    autocomplete_fields = (
        "pitch",
        "member_state",
        "requested_by",
        "presenter",
        "need",
        "programme",
        "slot",
    )
    readonly_fields = ("starts_at", "ends_at", "responded_at", "created_at")
    list_select_related = ("pitch", "member_state__country", "requested_by", "slot")


@admin.register(BreakoutRegistration)
class BreakoutRegistrationAdmin(admin.ModelAdmin):
    list_display = ("session", "user", "created_at")
    list_filter = ("session__event", "session")
    search_fields = ("session__title", "user__username", "user__email")
    autocomplete_fields = ("session", "user")
    list_select_related = ("session", "user")


class CommitmentReportInline(admin.StackedInline):
    model = CommitmentReport
    extra = 0
    raw_id_fields = ("author",)


@admin.register(Commitment)
class CommitmentAdmin(admin.ModelAdmin):
    list_display = ("title", "ref", "provider", "state", "due_on", "share_delivered")
    list_filter = ("state", "for_ldcs", "for_sids", "event")
    search_fields = ("title", "ref", "provider__name")
    autocomplete_fields = ("provider", "countries", "regions", "programmes")
    raw_id_fields = ("pitch", "meeting", "match", "session", "created_by")
    readonly_fields = ("amount_usd", "created_at", "updated_at")
    inlines = (CommitmentReportInline,)


@admin.register(CommitmentReport)
class CommitmentReportAdmin(admin.ModelAdmin):
    list_display = ("commitment", "share_delivered", "created_at")
    search_fields = ("commitment__title", "narrative")
    raw_id_fields = ("commitment", "author")
