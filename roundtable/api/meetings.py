"""Bilateral meeting requests and answers."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample
from drf_spectacular.utils import extend_schema
from drf_spectacular.utils import extend_schema_view
from rest_framework import exceptions
from rest_framework import mixins
from rest_framework import status
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from matchmaking import selectors as mm_selectors
from matchmaking.api.base import ApiViewMixin
from matchmaking.api.base import errors
from matchmaking.api.base import payload_action
from matchmaking.api.base import read_schemas
from matchmaking.api.permissions import AUTHENTICATED
from roundtable import selectors
from roundtable import services
from roundtable.api.base import ID_REGEX
from roundtable.api.base import MeetingFilter
from roundtable.serializers import MeetingAcceptSerializer
from roundtable.serializers import MeetingRequestSerializer
from roundtable.serializers import MeetingSerializer
from roundtable.serializers import ReasonSerializer


def _accept(request, meeting, data):
    slot = None
    if "slot" in data:
        slot = selectors.free_meeting_slots(event=meeting.pitch.event).filter(
            pk=data["slot"]
        )
        slot = slot.first()
        if slot is None:
            raise exceptions.ValidationError(
                {"slot": [_("Choose a future meeting slot of this event.")]}
            )
    services.accept_meeting(user=request.user, meeting=meeting, slot=slot)


def _decline(request, meeting, data):
    services.decline_meeting(
        user=request.user, meeting=meeting, reason=data.get("reason", "")
    )


def _cancel(request, meeting, data):
    services.cancel_meeting(
        user=request.user, meeting=meeting, reason=data.get("reason", "")
    )


def _meeting_answer(name: str, doc: str, request_serializer, run):
    """The presenter's or either side's answer to a meeting, through ``run``."""
    return payload_action(
        name,
        doc,
        run,
        payload=request_serializer,
        answer=MeetingSerializer,
        filterset_class=None,
    )


@extend_schema_view(
    **read_schemas(MeetingSerializer),
    create=extend_schema(
        request=MeetingRequestSerializer,
        responses={201: MeetingSerializer, **errors(400, 401, 403, 429)},
        examples=[
            OpenApiExample(
                "Ask for a meeting",
                request_only=True,
                value={
                    "pitch": 7,
                    "member_state": "SEN",
                    "message": "We would like to discuss CSIRT training.",
                    "need": "need-a",
                    "programme": "prog-p",
                },
            )
        ],
        description="A member state's delegate asks the presenter of an accepted "
        "pitch for a follow-up meeting; naming a need of the state and a programme "
        "of the pitch moves their match along.",
    ),
)
class MeetingViewSet(
    ApiViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Follow-up meetings the user is party to (curators: all)."""

    serializer_class = MeetingSerializer
    filterset_class = MeetingFilter
    permission_classes = AUTHENTICATED
    lookup_value_regex = ID_REGEX

    def get_queryset(self):
        return selectors.meetings_visible_to(user=self.request.user).order_by(
            "-created_at", "id"
        )

    def create(self, request, *args, **kwargs):
        if not mm_selectors.member_state_ids(user=request.user):
            raise exceptions.PermissionDenied(
                _("Only member-state delegates ask for meetings.")
            )
        payload = MeetingRequestSerializer(
            data=request.data, context={"request": request}
        )
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        meeting = services.request_meeting(
            user=request.user,
            pitch=data.pop("pitch"),
            member_state=data.pop("member_state"),
            message=data.get("message", ""),
            need=data.get("need"),
            programme=data.get("programme"),
        )
        return self.reloaded(meeting, status.HTTP_201_CREATED)

    @extend_schema(
        responses={200: MeetingSerializer(many=True), **errors(401, 429)},
        description="The user's accepted meetings (as requester or presenter), "
        "in time order.",
    )
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def schedule(self, request):
        """The personal meeting schedule."""
        meetings = selectors.meeting_schedule_of(user=request.user)
        return Response(MeetingSerializer(meetings, many=True).data)

    accept = _meeting_answer(
        "accept",
        "The presenter accepts; the meeting takes the chosen (or first) free table.",
        MeetingAcceptSerializer,
        _accept,
    )
    decline = _meeting_answer(
        "decline", "The presenter declines the request.", ReasonSerializer, _decline
    )
    cancel = _meeting_answer(
        "cancel",
        "Either side calls off a requested or accepted meeting.",
        ReasonSerializer,
        _cancel,
    )
