"""Events with their agenda, calendar and curator actions."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample
from drf_spectacular.utils import extend_schema
from drf_spectacular.utils import extend_schema_view
from rest_framework import exceptions
from rest_framework import status
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from matchmaking.api.base import READ_ERRORS
from matchmaking.api.base import REF_REGEX
from matchmaking.api.base import WRITE_ERRORS
from matchmaking.api.base import ApiViewMixin
from matchmaking.api.base import detail_post
from matchmaking.api.base import errors
from matchmaking.api.base import read_schemas
from matchmaking.api.permissions import CURATORS
from matchmaking.api.permissions import PUBLIC_READ
from roundtable import selectors
from roundtable import services
from roundtable.api.base import EventFilter
from roundtable.api.base import refusal_example
from roundtable.models import Session
from roundtable.serializers import AgendaSerializer
from roundtable.serializers import AgendaVersionSerializer
from roundtable.serializers import EventSerializer
from roundtable.serializers import PublishAgendaSerializer
from roundtable.serializers import QueuedPitchSerializer
from roundtable.serializers import ReleaseResultSerializer
from roundtable.serializers import SchedulePlanSerializer
from roundtable.serializers import ScheduleRequestSerializer


@extend_schema_view(**read_schemas(EventSerializer))
class EventViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """Roundtable events (public); curators run the call and the agenda."""

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

    @extend_schema(
        responses={200: QueuedPitchSerializer(many=True), **errors(401, 403, 404, 429)},
        description="Curators: the pitches under curation, best mean weighted "
        "score first (unreviewed last), with each criterion's mean.",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="review-queue",
        url_name="review-queue",
        permission_classes=CURATORS,
        filterset_class=None,
        pagination_class=None,
    )
    def review_queue(self, request, slug=None):
        """The curators' review queue of the event."""
        event = self.get_object()
        queue = selectors.review_queue(user=request.user, event=event)
        return Response(QueuedPitchSerializer(queue, many=True).data)

    @extend_schema(
        request=None,
        responses={200: ReleaseResultSerializer, **WRITE_ERRORS},
        examples=[
            refusal_example(
                "Pending pitches",
                "2 pitches still await a decision.",
                "non_field_errors",
            )
        ],
        description="Curators: announce every staged decision once the call has "
        "closed and no pitch awaits a decision; decisions are final afterwards.",
    )
    @detail_post("release-decisions", CURATORS)
    def release_decisions(self, request, slug=None):
        """Release the staged decisions of the event's call for pitches."""
        event = self.get_object()
        count = services.release_event_decisions(user=request.user, event=event)
        return Response({"released": count})

    @extend_schema(
        request=ScheduleRequestSerializer,
        responses={200: SchedulePlanSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "Generate the running order",
                request_only=True,
                value={"session": 12, "lead_in_seconds": 600},
            )
        ],
        description="Curators: (re)build the running order of a matchmaking "
        "session from the accepted pitches (grouped by theme, best scored first); "
        "`overflow` lists the pitches that did not fit.",
    )
    @detail_post("generate-agenda", CURATORS)
    def generate_agenda(self, request, slug=None):
        """Generate the pitch running order of one of the event's sessions."""
        event = self.get_object()
        payload = ScheduleRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        session = Session.objects.filter(event=event, pk=data["session"]).first()
        if session is None:
            raise exceptions.ValidationError(
                {"session": [_("Choose a session of this event.")]}
            )
        options = {
            name: data[name]
            for name in ("lead_in_seconds", "changeover_seconds")
            if name in data
        }
        plan = services.schedule_pitches(user=request.user, session=session, **options)
        return Response(SchedulePlanSerializer(plan).data)

    @extend_schema(
        request=PublishAgendaSerializer,
        responses={201: AgendaVersionSerializer, **WRITE_ERRORS},
        description="Curators: freeze the public agenda as its next version.",
    )
    @detail_post("publish-agenda", CURATORS)
    def publish_agenda(self, request, slug=None):
        """Publish the agenda as a new numbered version."""
        event = self.get_object()
        payload = PublishAgendaSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        version = services.publish_agenda(
            user=request.user, event=event, note=payload.validated_data.get("note", "")
        )
        return Response(
            AgendaVersionSerializer(version).data, status=status.HTTP_201_CREATED
        )
