"""The cbm-dataset/1 export and import."""

from __future__ import annotations

import dataclasses

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework import status
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from matchmaking import selectors
from matchmaking.api.base import ApiViewMixin
from matchmaking.api.base import errors
from matchmaking.api.permissions import CURATORS
from matchmaking.api.permissions import PUBLIC_READ


# The export's shape, for the schema only (the document is built as plain
# dicts by matchmaking/dataset/exchange.py; docs/DATASET.md and docs/data.md
# describe it).
def _slugs(text: str) -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(), help_text=text)


class DatasetProviderSerializer(serializers.Serializer):
    ref = serializers.CharField()
    name = serializers.CharField()
    stakeholder_group = serializers.CharField(allow_null=True)
    country = serializers.CharField(allow_null=True, help_text="ISO alpha-3")
    website = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True)


class DatasetRecordSerializer(serializers.Serializer):
    ref = serializers.CharField()
    status = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True)
    topics = _slugs("Topic slugs of the taxonomy.")
    assistance_types = _slugs("Assistance type slugs.")
    audiences = _slugs("Audience slugs.")
    languages = _slugs("ISO 639-1 codes.")
    delivery_modes = _slugs("Delivery mode slugs.")


class DatasetEligibilitySerializer(serializers.Serializer):
    regions = _slugs("M49 region, sub-region or intermediate-region codes.")
    countries = _slugs("ISO alpha-3 codes.")
    ldc_only = serializers.BooleanField()
    sids_only = serializers.BooleanField()


class DatasetParticipantSerializer(serializers.Serializer):
    role = serializers.CharField(help_text="IATI organisation role.")
    provider = serializers.CharField(required=False, help_text="A provider's ref.")
    name = serializers.CharField(required=False)
    iati_ref = serializers.CharField(required=False)


class DatasetBudgetLineSerializer(serializers.Serializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    currency = serializers.CharField(help_text="ISO 4217")


class DatasetFundingSerializer(serializers.Serializer):
    currency = serializers.CharField(help_text="ISO 4217")
    total_budget = serializers.DecimalField(
        max_digits=18, decimal_places=2, required=False
    )
    cost_per_participant = serializers.DecimalField(
        max_digits=18, decimal_places=2, required=False
    )
    participants = DatasetParticipantSerializer(many=True)
    budget_lines = DatasetBudgetLineSerializer(many=True)


class DatasetProgrammeSerializer(DatasetRecordSerializer):
    provider = serializers.CharField(help_text="The provider's ref.")
    eligibility = DatasetEligibilitySerializer()
    cost_model = serializers.CharField(allow_null=True)
    capacity = serializers.IntegerField(allow_null=True)
    starts_on = serializers.DateField(allow_null=True)
    ends_on = serializers.DateField(allow_null=True)
    funding = DatasetFundingSerializer(required=False)


class DatasetNeedSerializer(DatasetRecordSerializer):
    country = serializers.CharField(help_text="ISO alpha-3")
    priority = serializers.CharField(allow_null=True)
    visibility = serializers.CharField()
    needed_by = serializers.DateField(allow_null=True)


class DatasetSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=["cbm-dataset/1"])
    about = serializers.CharField(allow_blank=True)
    providers = DatasetProviderSerializer(many=True)
    programmes = DatasetProgrammeSerializer(many=True)
    needs = DatasetNeedSerializer(many=True)


class DatasetViewSet(ApiViewMixin, viewsets.ViewSet):
    """Bulk exchange in ``cbm-dataset/1``."""

    permission_classes = PUBLIC_READ
    throttle_scope = "dataset"

    def get_permissions(self):
        if self.action == "import_":
            return [permission() for permission in CURATORS]
        return super().get_permissions()

    @extend_schema(
        responses={200: DatasetSerializer, **errors(401, 429)},
        description="The providers, programmes and needs you may see, as "
        "`cbm-dataset/1`.",
    )
    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request):
        # Imported here and in import_, not at the top: the dataset exchange
        # and its checks (about 15 ms of CPU) would otherwise load in every
        # web worker as it starts, through the URLconf, for the few requests
        # that export or import a dataset.
        from matchmaking.dataset.exchange import export_dataset

        user = request.user
        document = export_dataset(
            providers=selectors.providers_visible_to(user=user),
            programmes=selectors.programmes_visible_to(user=user),
            needs=selectors.needs_visible_to(user=user),
        )
        return Response(document)

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={
            200: inline_serializer(
                name="ImportResult",
                fields={
                    "created": serializers.DictField(child=serializers.IntegerField()),
                    "updated": serializers.DictField(child=serializers.IntegerField()),
                    "unchanged": serializers.DictField(
                        child=serializers.IntegerField()
                    ),
                },
            ),
            **errors(400, 401, 403, 429),
        },
        description="Curators: upsert a `cbm-dataset/1` document by ref; on any "
        "problem nothing is written and the problems are listed.",
    )
    @action(detail=False, methods=["post"], url_path="import", url_name="import")
    def import_(self, request):
        from matchmaking.dataset.checks import DatasetInvalid
        from matchmaking.dataset.exchange import import_dataset

        try:
            result = import_dataset(data=request.data, user=request.user)
        except DatasetInvalid as invalid:
            problems = [dataclasses.asdict(problem) for problem in invalid.problems]
            first = invalid.problems[0] if invalid.problems else None
            return Response(
                {
                    "error": {
                        "status": 400,
                        "code": "invalid_dataset",
                        "message": str(first) if first else _("Invalid dataset."),
                        "problems": problems,
                    }
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(dataclasses.asdict(result))
