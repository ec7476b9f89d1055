"""Needs of member states and their matches."""

from __future__ import annotations

from django.db.models import F
from django.utils.translation import gettext as _

from matchmaking import selectors
from matchmaking.api.base import (
    TaggedViewSet,
    tagged_schema,
)
from matchmaking.api.filters import (
    NeedFilter,
)
from matchmaking.api.serializers import (
    NeedSerializer,
    NeedStatusSerializer,
)


@tagged_schema(
    NeedSerializer,
    NeedStatusSerializer,
    status="Publish, withdraw, close or reopen a need.",
    matches="Programmes ranked for the need (rank, then score), with explanations.",
)
class NeedViewSet(TaggedViewSet):
    """Needs of member states, as far as the user may see them."""

    serializer_class = NeedSerializer
    filterset_class = NeedFilter
    status_serializer = NeedStatusSerializer
    owner_field = "member_state"
    matches_order = (F("rank").asc(nulls_last=True), "-score", "programme_id")

    def records(self):
        return selectors.needs_visible_to(
            user=self.request.user, with_tags=False
        ).prefetch_related("shared_with", "translations")

    def may_create(self, user) -> bool:
        return selectors.is_curator(user) or bool(selectors.member_state_ids(user=user))

    def create_refused(self) -> str:
        return _("Only member-state users and curators post needs.")
