"""Reference data: countries, regions and the taxonomy."""

from __future__ import annotations

from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import viewsets
from rest_framework.response import Response

from matchmaking.api.base import (
    LIST_ERRORS,
    READ_ERRORS,
    ApiViewMixin,
    DocumentSchema,
    errors,
)
from matchmaking.api.filters import (
    CountryFilter,
    RegionFilter,
)
from matchmaking.api.permissions import (
    PUBLIC_READ,
)
from matchmaking.api.serializers import (
    CountrySerializer,
    RegionSerializer,
    TaxonomySerializer,
)
from matchmaking.api_cache import CachedReadMixin
from matchmaking.models import (
    AssistanceType,
    Audience,
    CostModel,
    Country,
    DeliveryMode,
    Language,
    Priority,
    Region,
    StakeholderGroup,
    Theme,
)


@extend_schema_view(
    list=extend_schema(responses={200: CountrySerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: CountrySerializer, **READ_ERRORS}),
)
class CountryViewSet(CachedReadMixin, ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """UN M49 countries and areas with their regions and LDC/LLDC/SIDS flags."""

    queryset = Country.objects.all()
    serializer_class = CountrySerializer
    filterset_class = CountryFilter
    permission_classes = PUBLIC_READ
    lookup_field = "iso3"
    lookup_value_regex = "[A-Za-z]{3}"

    def get_object(self):
        self.kwargs["iso3"] = self.kwargs["iso3"].upper()
        return super().get_object()


@extend_schema_view(
    list=extend_schema(responses={200: RegionSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: RegionSerializer, **READ_ERRORS}),
)
class RegionViewSet(CachedReadMixin, ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """M49 regions, sub-regions and intermediate regions."""

    queryset = Region.objects.all()
    serializer_class = RegionSerializer
    filterset_class = RegionFilter
    permission_classes = PUBLIC_READ
    lookup_field = "code"
    lookup_value_regex = "[0-9]{3}"


class TaxonomyViewSet(CachedReadMixin, ApiViewMixin, viewsets.ViewSet):
    """The controlled vocabularies: themes with their topics, and the others."""

    permission_classes = PUBLIC_READ
    queryset = Theme.objects.none()  # for the schema generator only
    pagination_class = None  # one document, not a list
    schema = DocumentSchema()

    @extend_schema(responses={200: TaxonomySerializer, **errors(401, 429)})
    def list(self, request):
        def vocab(model):
            return model.objects.order_by("position", "slug")

        data = {
            "themes": Theme.objects.order_by("position", "slug").prefetch_related(
                "topics"
            ),
            "assistance_types": vocab(AssistanceType),
            "audiences": vocab(Audience),
            "delivery_modes": vocab(DeliveryMode),
            "stakeholder_groups": vocab(StakeholderGroup),
            "cost_models": vocab(CostModel),
            "priorities": vocab(Priority),
            "languages": Language.objects.order_by("code"),
        }
        return Response(TaxonomySerializer(data).data)
