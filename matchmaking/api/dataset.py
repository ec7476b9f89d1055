"""The cbm-dataset/1 export and import."""

from __future__ import annotations

import dataclasses

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from matchmaking import selectors
from matchmaking.api.base import ApiViewMixin, errors
from matchmaking.api.permissions import (
    CURATORS,
    PUBLIC_READ,
)
from matchmaking.dataset.checks import DatasetInvalid
from matchmaking.dataset.exchange import export_dataset, import_dataset


class DatasetViewSet(ApiViewMixin, viewsets.ViewSet):
    """Bulk exchange in ``cbm-dataset/1``."""

    permission_classes = PUBLIC_READ
    throttle_scope = "dataset"

    def get_permissions(self):
        if self.action == "import_":
            return [permission() for permission in CURATORS]
        return super().get_permissions()

    @extend_schema(
        responses={200: OpenApiTypes.OBJECT, **errors(401, 429)},
        description="The providers, programmes and needs you may see, as "
        "`cbm-dataset/1`.",
    )
    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request):
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
