"""Providers: the public register and a manager's writes."""

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

from matchmaking import api_cache
from matchmaking import selectors
from matchmaking import services
from matchmaking.accounts import policy
from matchmaking.api.base import REF_REGEX
from matchmaking.api.base import WRITE_ERRORS
from matchmaking.api.base import ApiViewMixin
from matchmaking.api.base import errors
from matchmaking.api.base import read_schemas
from matchmaking.api.filters import ProviderFilter
from matchmaking.api.permissions import CURATORS
from matchmaking.api.permissions import PUBLIC_READ
from matchmaking.api.serializers import ProviderSerializer
from matchmaking.api.serializers import ProviderWriteSerializer
from matchmaking.api_cache import CachedReadMixin


@extend_schema_view(
    **read_schemas(ProviderSerializer),
    create=extend_schema(
        request=ProviderWriteSerializer,
        responses={201: ProviderSerializer, **errors(400, 401, 403, 429)},
        description="A signed-in user who acts for no organisation registers one: "
        "it starts unverified and the user becomes its member.",
        examples=[
            OpenApiExample(
                "Register a provider",
                request_only=True,
                value={
                    "name": "Cyber Capacity Foundation",
                    "stakeholder_group": "civil-society",
                    "country": "KEN",
                    "website": "https://example.org",
                    "description": "Trains CSIRT staff in East Africa.",
                },
            )
        ],
    ),
    update=extend_schema(
        request=ProviderWriteSerializer,
        responses={200: ProviderSerializer, **WRITE_ERRORS},
        description="Members of the provider (and curators) edit its profile; "
        "`is_verified` is never written here.",
    ),
    partial_update=extend_schema(
        request=ProviderWriteSerializer,
        responses={200: ProviderSerializer, **WRITE_ERRORS},
    ),
)
class ProviderViewSet(
    CachedReadMixin,
    ApiViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Organisations offering programmes (public); registered and edited by users."""

    serializer_class = ProviderSerializer
    filterset_class = ProviderFilter
    cache_families = (api_cache.ORGANISATIONS, api_cache.REFERENCE)
    permission_classes = PUBLIC_READ
    lookup_field = "ref"
    lookup_value_regex = REF_REGEX

    def get_queryset(self):
        return selectors.providers_visible_to(user=self.request.user)

    def get_permissions(self):
        if self.action in ("verify", "unverify"):
            return [permission() for permission in CURATORS]
        return super().get_permissions()

    def create(self, request, *args, **kwargs):
        if not policy.may_register_provider(request.user):
            raise exceptions.PermissionDenied(_("You already act for an organisation."))
        payload = ProviderWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        provider = services.register_provider(
            user=request.user, data=dict(payload.validated_data)
        )
        return self.reloaded(provider, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        provider = self.get_object()
        if not policy.may_edit_provider(user=request.user, provider=provider):
            raise exceptions.PermissionDenied
        payload = ProviderWriteSerializer(
            provider, data=request.data, partial=kwargs.get("partial", False)
        )
        payload.is_valid(raise_exception=True)
        provider = services.update_provider(
            user=request.user, provider=provider, data=dict(payload.validated_data)
        )
        return self.reloaded(provider)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(
        request=None,
        responses={200: ProviderSerializer, **errors(401, 403, 404, 429)},
        description="Curators vouch for the provider.",
    )
    @action(detail=True, methods=["post"])
    def verify(self, request, ref=None):
        """Mark the provider verified (curators)."""
        provider = services.verify_provider(
            user=request.user, provider=self.get_object(), verified=True
        )
        return self.reloaded(provider)

    @extend_schema(
        request=None,
        responses={200: ProviderSerializer, **errors(401, 403, 404, 429)},
        description="Curators withdraw their trust in the provider.",
    )
    @action(detail=True, methods=["post"])
    def unverify(self, request, ref=None):
        """Mark the provider unverified (curators)."""
        provider = services.verify_provider(
            user=request.user, provider=self.get_object(), verified=False
        )
        return self.reloaded(provider)
