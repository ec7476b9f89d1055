"""Needs of member states and their matches."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, status
from rest_framework.response import Response

from matchmaking import selectors, services
from matchmaking.api.base import (
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    TaggedViewSet,
    errors,
)
from matchmaking.api.filters import (
    NeedFilter,
)
from matchmaking.api.serializers import (
    NeedSerializer,
    NeedStatusSerializer,
)
from matchmaking.models import (
    Need,
)


@extend_schema_view(
    list=extend_schema(responses={200: NeedSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: NeedSerializer, **READ_ERRORS}),
    create=extend_schema(responses={201: NeedSerializer, **errors(400, 401, 403, 429)}),
    update=extend_schema(responses={200: NeedSerializer, **WRITE_ERRORS}),
    partial_update=extend_schema(responses={200: NeedSerializer, **WRITE_ERRORS}),
    status=extend_schema(
        request=NeedStatusSerializer,
        responses={200: NeedSerializer, **WRITE_ERRORS},
        description="Publish, withdraw, close or reopen a need.",
    ),
    matches=extend_schema(
        description="Programmes ranked for the need (rank, then score), with "
        "explanations."
    ),
)
class NeedViewSet(TaggedViewSet):
    """Needs of member states, as far as the user may see them."""

    serializer_class = NeedSerializer
    filterset_class = NeedFilter
    status_serializer = NeedStatusSerializer
    matches_order = (F("rank").asc(nulls_last=True), "-score", "programme_id")

    def records(self):
        return selectors.needs_visible_to(
            user=self.request.user, with_tags=False
        ).prefetch_related("shared_with", "translations")

    def can_edit(self, need: Need) -> bool:
        return services.can_edit_need(user=self.request.user, need=need)

    def create(self, request, *args, **kwargs):
        user = request.user
        if not (selectors.is_curator(user) or selectors.member_state_ids(user=user)):
            raise exceptions.PermissionDenied(
                _("Only member-state users and curators post needs.")
            )
        serializer, data = self._validated()
        member_state = data.pop("member_state")
        items = data.pop("translations", None)
        with transaction.atomic():
            need = services.create_need(
                user=user,
                member_state=member_state,
                data=data,
                publish=serializer.validated_data.get("publish", False),
            )
            self.save_translations(need, items)
        return Response(
            self.get_serializer(self.reload(need)).data, status=status.HTTP_201_CREATED
        )

    def update_service(self, need, data):
        return services.update_need(user=self.request.user, need=need, data=data)

    def change_status(self, need, status):
        return services.set_need_status(
            user=self.request.user, need=need, status=status
        )
