"""REST API v1 of the roundtable: events, sessions, pitches and the agenda (read)."""

from __future__ import annotations

import django_filters as df
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from matchmaking.api import LIST_ERRORS, READ_ERRORS, REF_REGEX, ApiViewMixin
from matchmaking.filters import IsoDateTimeFromToRangeFilter
from matchmaking.permissions import PUBLIC_READ

from . import selectors
from .enums import PitchState, SessionKind
from .models import Event, Pitch, Session
from .serializers import (
    AgendaSerializer,
    EventSerializer,
    PitchSerializer,
    SessionSerializer,
)


class EventFilter(df.FilterSet):
    starts_on = df.DateFromToRangeFilter()

    class Meta:
        model = Event
        fields: list[str] = []


class SessionFilter(df.FilterSet):
    event = df.CharFilter(field_name="event__slug", max_length=100)
    kind = df.MultipleChoiceFilter(choices=SessionKind.choices)
    starts_at = IsoDateTimeFromToRangeFilter()

    class Meta:
        model = Session
        fields: list[str] = []


class PitchFilter(df.FilterSet):
    event = df.CharFilter(field_name="event__slug", max_length=100)
    provider = df.CharFilter(field_name="provider__ref", max_length=100)
    state = df.MultipleChoiceFilter(choices=PitchState.choices)

    class Meta:
        model = Pitch
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(responses={200: EventSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: EventSerializer, **READ_ERRORS}),
)
class EventViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """Roundtable events (public)."""

    serializer_class = EventSerializer
    filterset_class = EventFilter
    permission_classes = PUBLIC_READ
    lookup_field = "slug"
    lookup_value_regex = REF_REGEX

    def get_queryset(self):
        return selectors.events_visible_to(user=self.request.user)

    @extend_schema(responses={200: AgendaSerializer, **READ_ERRORS})
    @action(detail=True, methods=["get"], filterset_class=None)
    def agenda(self, request, slug=None):
        """The event's sessions in order, with their slots and accepted pitches."""
        event = self.get_object()
        sessions = selectors.agenda_of(user=request.user, event=event)
        return Response(AgendaSerializer({"event": event, "sessions": sessions}).data)


@extend_schema_view(
    list=extend_schema(responses={200: SessionSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: SessionSerializer, **READ_ERRORS}),
)
class SessionViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """Sessions of the agenda (public)."""

    serializer_class = SessionSerializer
    filterset_class = SessionFilter
    permission_classes = PUBLIC_READ
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):
        return selectors.sessions_visible_to(user=self.request.user)


@extend_schema_view(
    list=extend_schema(responses={200: PitchSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: PitchSerializer, **READ_ERRORS}),
)
class PitchViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """Pitches: public once accepted; providers also see their own drafts."""

    serializer_class = PitchSerializer
    filterset_class = PitchFilter
    permission_classes = PUBLIC_READ
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):
        return selectors.pitches_visible_to(user=self.request.user)
