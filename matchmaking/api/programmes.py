"""Programmes of providers and the needs that suit them."""

from __future__ import annotations

from django.db.models import F
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)

from matchmaking import selectors
from matchmaking.api.base import (
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    TaggedViewSet,
    errors,
)
from matchmaking.api.filters import (
    ProgrammeFilter,
)
from matchmaking.api.serializers import (
    ProgrammeSerializer,
    ProgrammeStatusSerializer,
)


@extend_schema_view(
    list=extend_schema(responses={200: ProgrammeSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: ProgrammeSerializer, **READ_ERRORS}),
    create=extend_schema(
        responses={201: ProgrammeSerializer, **errors(400, 401, 403, 429)}
    ),
    update=extend_schema(responses={200: ProgrammeSerializer, **WRITE_ERRORS}),
    partial_update=extend_schema(responses={200: ProgrammeSerializer, **WRITE_ERRORS}),
    status=extend_schema(
        request=ProgrammeStatusSerializer,
        responses={200: ProgrammeSerializer, **WRITE_ERRORS},
        description="Publish, pause, close or reopen a programme.",
    ),
    matches=extend_schema(
        description="Needs this programme is matched with, as far as the user may "
        "see them."
    ),
)
class ProgrammeViewSet(TaggedViewSet):
    """Programmes of providers: published ones for all, drafts for their provider."""

    serializer_class = ProgrammeSerializer
    filterset_class = ProgrammeFilter
    status_serializer = ProgrammeStatusSerializer
    owner_field = "provider"
    matches_order = ("-score", F("rank").asc(nulls_last=True), "need_id")

    def records(self):
        return selectors.programmes_visible_to(
            user=self.request.user, with_tags=False
        ).prefetch_related("translations")

    def may_create(self, user) -> bool:
        return selectors.is_curator(user) or bool(selectors.provider_ids(user=user))

    def create_refused(self) -> str:
        return _("Only provider users and curators register programmes.")
