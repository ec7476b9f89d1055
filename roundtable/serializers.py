"""Serializers of the roundtable API (read-only)."""

from __future__ import annotations

from rest_framework import serializers

from .models import Event, Pitch, Session, TimeSlot


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


class PitchSerializer(serializers.ModelSerializer):
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
            "programmes",
            "state",
            "duration_seconds",
            "slide_count",
        ]


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
