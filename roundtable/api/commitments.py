"""Commitments made at the roundtable, and their progress reports."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from drf_spectacular.utils import extend_schema_view
from rest_framework import exceptions
from rest_framework import mixins
from rest_framework import serializers
from rest_framework import status
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from matchmaking.api.base import READ_ERRORS
from matchmaking.api.base import WRITE_ERRORS
from matchmaking.api.base import ApiViewMixin
from matchmaking.api.base import read_schemas
from matchmaking.api.permissions import PUBLIC_READ
from matchmaking.models import LONG_TEXT
from roundtable import selectors
from roundtable import services
from roundtable.models import Commitment
from roundtable.models import CommitmentReport


class CommitmentReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = CommitmentReport
        fields = [
            "narrative",
            "share_delivered",
            "spend",
            "evidence_links",
            "created_at",
        ]
        read_only_fields = ["created_at"]


class ReportInputSerializer(serializers.Serializer):
    narrative = serializers.CharField(max_length=LONG_TEXT)
    share_delivered = serializers.IntegerField(min_value=0, max_value=100)
    spend = serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    evidence_links = serializers.ListField(
        child=serializers.URLField(max_length=2000), required=False, max_length=10
    )


class CommitmentSerializer(serializers.ModelSerializer):
    provider = serializers.SlugRelatedField(slug_field="ref", read_only=True)
    provider_name = serializers.CharField(source="provider.name", read_only=True)
    theme = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    topics = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    countries = serializers.SlugRelatedField(
        slug_field="iso3", many=True, read_only=True
    )
    regions = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    programmes = serializers.SlugRelatedField(
        slug_field="ref", many=True, read_only=True
    )
    event = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Commitment
        fields = [
            "ref",
            "provider",
            "provider_name",
            "title",
            "description",
            "theme",
            "topics",
            "countries",
            "regions",
            "for_ldcs",
            "for_sids",
            "amount",
            "currency",
            "amount_usd",
            "in_kind",
            "due_on",
            "state",
            "share_delivered",
            "report_every_months",
            "next_report_due",
            "event",
            "session",
            "pitch",
            "meeting",
            "programmes",
            "created_at",
        ]
        read_only_fields = fields


@extend_schema_view(**read_schemas(CommitmentSerializer))
class CommitmentViewSet(
    ApiViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Public commitments; the committing organisation reports progress."""

    serializer_class = CommitmentSerializer
    permission_classes = PUBLIC_READ
    lookup_field = "ref"
    lookup_value_regex = r"[-a-zA-Z0-9_]{1,100}"
    filterset_fields = ["state"]

    def get_queryset(self):
        return selectors.commitments_visible_to(user=self.request.user).order_by(
            "-created_at", "id"
        )

    @extend_schema(
        request=ReportInputSerializer,
        responses={201: CommitmentReportSerializer, **WRITE_ERRORS},
        description="The committing organisation's progress report: narrative, "
        "share delivered (0-100; 100 marks the commitment delivered), spend, "
        "evidence links. The next report falls due one interval later.",
    )
    @action(detail=True, methods=["post"])
    def reports(self, request, ref=None):
        commitment = self.get_object()
        if not services.can_report(user=request.user, commitment=commitment):
            raise exceptions.PermissionDenied()
        payload = ReportInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        report = services.report_progress(
            user=request.user, commitment=commitment, **payload.validated_data
        )
        return Response(
            CommitmentReportSerializer(report).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        responses={200: CommitmentReportSerializer(many=True), **READ_ERRORS}
    )
    @reports.mapping.get
    def list_reports(self, request, ref=None):
        commitment = self.get_object()
        return Response(
            CommitmentReportSerializer(commitment.reports.all(), many=True).data
        )
