"""Programmes of providers and the needs that suit them."""

from __future__ import annotations

from django.db.models import F
from django.utils.translation import gettext as _

from matchmaking import selectors
from matchmaking.api.base import (
    TaggedViewSet,
    tagged_schema,
)
from matchmaking.api.filters import (
    ProgrammeFilter,
)
from matchmaking.api.serializers import (
    ProgrammeSerializer,
    ProgrammeStatusSerializer,
)


@tagged_schema(
    ProgrammeSerializer,
    ProgrammeStatusSerializer,
    status="Publish, pause, close or reopen a programme.",
    matches="Needs this programme is matched with, as far as the user may see them.",
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
