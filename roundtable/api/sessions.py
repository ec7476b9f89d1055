"""Sessions: breakout seats and session reports."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample
from drf_spectacular.utils import extend_schema
from drf_spectacular.utils import extend_schema_view
from rest_framework import exceptions
from rest_framework import status
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from matchmaking.api.base import READ_ERRORS
from matchmaking.api.base import WRITE_ERRORS
from matchmaking.api.base import ApiViewMixin
from matchmaking.api.base import detail_post
from matchmaking.api.base import read_schemas
from matchmaking.api.permissions import AUTHENTICATED
from matchmaking.api.permissions import PUBLIC_READ
from roundtable import selectors
from roundtable import services
from roundtable.api.base import ID_REGEX
from roundtable.api.base import SessionFilter
from roundtable.api.base import refusal_example
from roundtable.models import BreakoutRegistration
from roundtable.models import Session
from roundtable.serializers import BreakoutSeatSerializer
from roundtable.serializers import SessionReportSerializer
from roundtable.serializers import SessionReportWriteSerializer
from roundtable.serializers import SessionSerializer


def _seat(session: Session, user) -> dict:
    taken = BreakoutRegistration.objects.filter(session=session).count()
    mine = (
        user.is_authenticated
        and BreakoutRegistration.objects.filter(session=session, user=user).exists()
    )
    return {
        "session": session.pk,
        "capacity": session.capacity,
        "seats_taken": taken,
        "is_registered": bool(mine),
    }


@extend_schema_view(**read_schemas(SessionSerializer))
class SessionViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """Sessions of the agenda (public): breakout seats and session reports."""

    serializer_class = SessionSerializer
    filterset_class = SessionFilter
    permission_classes = PUBLIC_READ
    lookup_value_regex = ID_REGEX

    def get_queryset(self):
        return selectors.sessions_visible_to(user=self.request.user)

    @extend_schema(
        methods=["POST"],
        request=None,
        responses={201: BreakoutSeatSerializer, **WRITE_ERRORS},
        examples=[
            refusal_example("Full", "This breakout is full.", "non_field_errors")
        ],
        description="Take a seat in a breakout (if one is left and it has not "
        "started).",
    )
    @extend_schema(
        methods=["DELETE"],
        request=None,
        responses={200: BreakoutSeatSerializer, **WRITE_ERRORS},
        description="Give up one's seat.",
    )
    @action(
        detail=True,
        methods=["post", "delete"],
        permission_classes=AUTHENTICATED,
        filterset_class=None,
    )
    def registration(self, request, pk=None):
        """Register for (POST) or leave (DELETE) a breakout."""
        session = self.get_object()
        if request.method == "DELETE":
            services.cancel_breakout_registration(user=request.user, session=session)
            return Response(_seat(session, request.user))
        services.register_for_breakout(user=request.user, session=session)
        return Response(_seat(session, request.user), status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        responses={200: SessionReportSerializer, **READ_ERRORS},
        description="The session's report: published for all; the draft for its "
        "writers (curators, the rapporteur, the chair).",
    )
    @extend_schema(
        methods=["PUT"],
        request=SessionReportWriteSerializer,
        responses={200: SessionReportSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "Write the report",
                request_only=True,
                value={
                    "summary": "Delegations compared incident-response maturity.",
                    "key_issues": "Funding for CSIRT staff.",
                    "commitments": "Two providers offer mentoring.",
                },
            )
        ],
        description="The rapporteur (or, before one is named, the chair; or a "
        "curator) writes the report; it stays a draft until published.",
    )
    @action(
        detail=True,
        methods=["get", "put"],
        filterset_class=None,
        permission_classes=PUBLIC_READ,
    )
    def report(self, request, pk=None):
        """Read or write the session's report."""
        session = self.get_object()
        if request.method == "GET":
            report = get_object_or_404(
                selectors.reports_visible_to(user=request.user), session=session
            )
            return Response(SessionReportSerializer(report).data)
        if not services.may_write_report(
            user=request.user,
            session=session,
            report=selectors.report_of(session=session),
        ):
            raise exceptions.PermissionDenied
        payload = SessionReportWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        report = services.write_session_report(
            user=request.user, session=session, data=payload.validated_data
        )
        return Response(SessionReportSerializer(report).data)

    @extend_schema(
        request=None,
        responses={200: SessionReportSerializer, **WRITE_ERRORS},
        description="Make the report public (linked from the agenda).",
    )
    @detail_post("report/publish", AUTHENTICATED, url_name="report-publish")
    def publish_report(self, request, pk=None):
        """Publish the session's report."""
        session = self.get_object()
        report = get_object_or_404(
            selectors.reports_visible_to(user=request.user), session=session
        )
        report = services.publish_session_report(user=request.user, report=report)
        return Response(SessionReportSerializer(report).data)
