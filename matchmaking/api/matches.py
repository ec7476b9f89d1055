"""Matches and the actions on them (interest, introduction, agreement, delivery,
feedback), their contacts and their conversation (``conversations.py``).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from drf_spectacular.utils import extend_schema_view
from rest_framework import exceptions
from rest_framework import mixins
from rest_framework import serializers
from rest_framework import status
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from matchmaking import selectors
from matchmaking import services
from matchmaking.api.base import ID_REGEX
from matchmaking.api.base import READ_ERRORS
from matchmaking.api.base import ApiViewMixin
from matchmaking.api.base import errors
from matchmaking.api.base import payload_action
from matchmaking.api.base import read_schemas
from matchmaking.api.conversations import ConversationActions
from matchmaking.api.filters import MatchFilter
from matchmaking.api.permissions import AUTHENTICATED
from matchmaking.api.permissions import CURATORS
from matchmaking.api.serializers import CompleteSerializer
from matchmaking.api.serializers import DeclineSerializer
from matchmaking.api.serializers import MatchSerializer
from matchmaking.api.serializers import NoteSerializer
from matchmaking.api.serializers import ProposeMatchSerializer
from matchmaking.api_cache import CachedReadMixin
from matchmaking.notifications import introductions


class ContactSerializer(serializers.Serializer):
    name = serializers.CharField()
    role = serializers.CharField()
    organisation = serializers.CharField()
    email = serializers.EmailField()
    phone = serializers.CharField(help_text="Empty when not given.")


class MatchContactsSerializer(serializers.Serializer):
    """Both sides' contacts: null until introduced, and for anyone not a party."""

    introduced = serializers.BooleanField()
    state = ContactSerializer(allow_null=True)
    provider = ContactSerializer(allow_null=True)


def _match_action(name: str, request_serializer, doc: str):
    """A POST action moving a match along its workflow through the service."""

    def run(request, match, data):
        services.transition_match(
            user=request.user,
            match=match,
            action=name,
            note=data.get("reason") or data.get("note", ""),
            feedback=data.get("feedback"),
            decline_code=data.get("code", ""),
        )

    return payload_action(
        name,
        doc,
        run,
        payload=request_serializer,
        answer=MatchSerializer,
        url_path=name.replace("_", "-"),
        url_name=name,
    )


@extend_schema_view(
    **read_schemas(MatchSerializer),
    create=extend_schema(
        request=ProposeMatchSerializer,
        responses={201: MatchSerializer, **errors(400, 401, 403, 429)},
        description="A curator proposes a programme for a need, with a note.",
    ),
)
class MatchViewSet(
    CachedReadMixin,
    ApiViewMixin,
    ConversationActions,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Matches the user is party to (curators: all), and their workflow."""

    serializer_class = MatchSerializer
    filterset_class = MatchFilter
    permission_classes = AUTHENTICATED
    lookup_value_regex = ID_REGEX

    def get_queryset(self):
        return selectors.matches_visible_to(user=self.request.user)

    def get_permissions(self):
        if self.action == "create":
            return [permission() for permission in CURATORS]
        return super().get_permissions()

    def create(self, request, *args, **kwargs):
        payload = ProposeMatchSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        need = selectors.needs_visible_to(user=request.user).filter(ref=data["need"])
        programme = selectors.programmes_visible_to(user=request.user).filter(
            ref=data["programme"]
        )
        problems = {}
        if not need.exists():
            problems["need"] = [_("Unknown need.")]
        if not programme.exists():
            problems["programme"] = [_("Unknown programme.")]
        if problems:
            raise exceptions.ValidationError(problems)
        match = services.propose_match(
            user=request.user,
            need=need.get(),
            programme=programme.get(),
            note=data["note"],
        )
        return self.reloaded(match, status.HTTP_201_CREATED)

    express_interest = _match_action(
        "express_interest", NoteSerializer, "The state says it is interested."
    )
    introduce = _match_action(
        "introduce", NoteSerializer, "The provider (or a curator) makes contact."
    )
    agree = _match_action("agree", NoteSerializer, "Both sides agree on a delivery.")
    start_delivery = _match_action(
        "start_delivery", NoteSerializer, "The provider starts delivering."
    )
    complete = _match_action(
        "complete",
        CompleteSerializer,
        "Delivery is over; optional feedback {rating 1-5, outcome, comments}.",
    )
    decline = _match_action(
        "decline", DeclineSerializer, "Decline the match; a reason is required."
    )

    @extend_schema(responses={200: MatchContactsSerializer, **READ_ERRORS})
    @action(detail=True, methods=["get"])
    def contacts(self, request, pk=None):
        """The named contact of each side, for the two sides once introduced."""
        match = self.get_object()
        found = introductions.match_contacts(user=request.user, match=match)
        return Response(
            MatchContactsSerializer(
                {
                    "introduced": found is not None,
                    "state": found.state if found else None,
                    "provider": found.provider if found else None,
                }
            ).data
        )
