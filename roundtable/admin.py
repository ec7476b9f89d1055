"""Admin for the roundtable: events, sessions, slots, pitches and reports."""

from django.contrib import admin

from .models import Event, Pitch, Session, SessionReport, TimeSlot


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


@admin.register(Pitch)
class PitchAdmin(admin.ModelAdmin):
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
    readonly_fields = ("slide_count", "created_at", "updated_at")
    list_select_related = ("provider", "event")


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
