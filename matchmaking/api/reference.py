"""Reference data: countries, regions and the taxonomy."""

from __future__ import annotations

from django.apps import apps
from drf_spectacular.utils import extend_schema
from drf_spectacular.utils import extend_schema_view
from rest_framework import viewsets
from rest_framework.response import Response

from matchmaking import api_cache
from matchmaking.api.base import ApiViewMixin
from matchmaking.api.base import DocumentSchema
from matchmaking.api.base import errors
from matchmaking.api.base import read_schemas
from matchmaking.api.filters import CountryFilter
from matchmaking.api.filters import RegionFilter
from matchmaking.api.permissions import PUBLIC_READ
from matchmaking.api.serializers import CountrySerializer
from matchmaking.api.serializers import RegionSerializer
from matchmaking.api.serializers import TaxonomySerializer
from matchmaking.api_cache import CachedReadMixin
from matchmaking.models import Country
from matchmaking.models import Language
from matchmaking.models import Region
from matchmaking.models import Theme
from matchmaking.reference import VOCABULARY_MODELS


class _ReferenceViewSet(CachedReadMixin, ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """Reference data: public, read-only, cached."""

    cache_families = (api_cache.REFERENCE,)
    permission_classes = PUBLIC_READ


@extend_schema_view(**read_schemas(CountrySerializer))
class CountryViewSet(_ReferenceViewSet):
    """UN M49 countries and areas with their regions and LDC/LLDC/SIDS flags."""

    queryset = Country.objects.all()
    serializer_class = CountrySerializer
    filterset_class = CountryFilter
    lookup_field = "iso3"
    lookup_value_regex = "[A-Za-z]{3}"

    def get_object(self):
        self.kwargs["iso3"] = self.kwargs["iso3"].upper()
        return super().get_object()


@extend_schema_view(**read_schemas(RegionSerializer))
class RegionViewSet(_ReferenceViewSet):
    """M49 regions, sub-regions and intermediate regions."""

    queryset = Region.objects.all()
    serializer_class = RegionSerializer
    filterset_class = RegionFilter
    lookup_field = "code"
    lookup_value_regex = "[0-9]{3}"


class TaxonomyViewSet(CachedReadMixin, ApiViewMixin, viewsets.ViewSet):
    """The controlled vocabularies: themes with their topics, and the others."""

    cache_families = (api_cache.REFERENCE,)
    permission_classes = PUBLIC_READ
    queryset = Theme.objects.none()  # for the schema generator only
    pagination_class = None  # one document, not a list
    schema = DocumentSchema()

    @extend_schema(responses={200: TaxonomySerializer, **errors(401, 429)})
    def list(self, request):
        # Every vocabulary the taxonomy loader writes (topics within their
        # themes), then the languages.
        data = {
            vocabulary: apps.get_model("matchmaking", model_name).objects.order_by(
                "position", "slug"
            )
            for vocabulary, model_name in VOCABULARY_MODELS.items()
            if vocabulary != "topics"
        }
        data["themes"] = data["themes"].prefetch_related("topics")
        data["languages"] = Language.objects.order_by("code")
        return Response(TaxonomySerializer(data).data)
