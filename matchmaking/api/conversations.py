"""A match's conversation in the API: its messages, writing, reading, hiding.

The actions hang on ``/api/v1/matches/{id}/`` (``MatchViewSet`` mixes them
in): whoever may not see the match gets the 404 of a missing one.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter
from drf_spectacular.utils import extend_schema
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from matchmaking import selectors
from matchmaking.api.base import PAGING_PARAMETERS
from matchmaking.api.base import WRITE_ERRORS
from matchmaking.api.base import detail_post
from matchmaking.api.base import errors
from matchmaking.api.base import paginated
from matchmaking.conversations import selectors as conversations
from matchmaking.conversations import services
from matchmaking.conversations.subjects import author_name
from matchmaking.conversations.subjects import organisation_of
from matchmaking.models import NOTE_TEXT
from matchmaking.models import Match
from matchmaking.models import Message
from matchmaking.models import MessageSide


class MessageSerializer(serializers.Serializer):
    """One message; a hidden one keeps only the secretariat's reason for the parties."""

    id = serializers.IntegerField()
    side = serializers.ChoiceField(
        choices=MessageSide.choices, help_text="The side that wrote it."
    )
    author = serializers.CharField(help_text="The writer's name.")
    organisation = serializers.CharField(help_text="The writer's state or provider.")
    text = serializers.CharField(
        help_text="Plain text (http and https addresses are links on the pages); "
        "empty when hidden, except for curators."
    )
    created_at = serializers.DateTimeField()
    mine = serializers.BooleanField(help_text="Written by the caller.")
    unread = serializers.BooleanField(
        help_text="Written by someone else after the caller's read marker "
        "(and not hidden)."
    )
    hidden = serializers.BooleanField()
    hidden_reason = serializers.CharField(
        help_text="Why the secretariat hid it (empty when shown)."
    )


class MessageCreateSerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=NOTE_TEXT,
        help_text=f"Plain text, 1 to {NOTE_TEXT} characters.",
    )


class HideSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=NOTE_TEXT,
        help_text="Why the message is hidden: the parties read it instead.",
    )


MESSAGE_PAGE = paginated(MessageSerializer, "PaginatedMessageList")
READ = inline_serializer(
    "ConversationRead",
    {
        "last_read_id": serializers.IntegerField(),
        "unread": serializers.IntegerField(
            help_text="Unread messages left in all the caller's conversations."
        ),
    },
)
MESSAGE_ID = OpenApiParameter(
    "message_id",
    {"type": "string", "pattern": "^[0-9]{1,18}$"},
    OpenApiParameter.PATH,
    description="The message's id.",
)


def _row(message: Message, *, user, match: Match, read_to: int, curator: bool):
    message.match = match  # the one already read: no query per message
    shown = not message.is_hidden or curator
    return {
        "id": message.pk,
        "side": message.side,
        "author": author_name(message),
        "organisation": organisation_of(message),
        "text": message.body if shown else "",
        "created_at": message.created_at,
        "mine": message.author_id == user.pk,
        "unread": message.pk > read_to
        and message.author_id != user.pk
        and not message.is_hidden,
        "hidden": message.is_hidden,
        "hidden_reason": message.hidden_reason,
    }


class ConversationActions:
    """The conversation actions of ``MatchViewSet`` (a mixin of its detail routes)."""

    def _rows(self, request, match: Match, messages) -> list[dict]:
        read_to = conversations.last_read_id(user=request.user, match=match)
        curator = selectors.is_curator(request.user)
        return [
            _row(m, user=request.user, match=match, read_to=read_to, curator=curator)
            for m in messages
        ]

    @extend_schema(
        methods=["GET"],
        operation_id="matches_messages_list",
        summary="The match's conversation",
        parameters=PAGING_PARAMETERS,
        responses={200: MESSAGE_PAGE, **errors(400, 401, 404, 429)},
        description="The match's conversation, oldest first (empty before the "
        "introduction). Reading it here does not move the read marker: "
        "`POST messages/read/` does.",
    )
    @extend_schema(
        methods=["POST"],
        operation_id="matches_messages_create",
        summary="Write a message to the other side",
        request=MessageCreateSerializer,
        responses={201: MessageSerializer, **WRITE_ERRORS},
        description="Write to the other side (people of the need's state or of "
        "the provider, once the match is introduced; 400 before, naming `text`). "
        "The other side hears of it (notification, mail, webhook `message.new`).",
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="messages",
        url_name="messages",
        filterset_class=None,
    )
    def messages(self, request, pk=None):
        match = self.get_object()
        if request.method == "POST":
            if conversations.side_of(user=request.user, match=match) is None:
                raise PermissionDenied  # curators read; they do not write
            payload = MessageCreateSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            try:
                message = services.post_message(
                    user=request.user, match=match, body=payload.validated_data["text"]
                )
            except DjangoValidationError as error:
                # The service names the page's field; the API's is ``text``.
                raise serializers.ValidationError(
                    {"text": error.message_dict.get("body", error.messages)}
                ) from None
            row = self._rows(request, match, [message])[0]
            return Response(MessageSerializer(row).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(conversations.messages_of(match=match))
        return self.get_paginated_response(
            MessageSerializer(self._rows(request, match, page), many=True).data
        )

    @extend_schema(
        summary="Mark the conversation read",
        request=None,
        responses={200: READ, **errors(401, 403, 404, 429)},
        description="Mark the conversation read up to its newest message.",
    )
    @detail_post("messages/read", url_name="messages-read")
    def messages_read(self, request, pk=None):
        match = self.get_object()
        last = services.mark_read(user=request.user, match=match)
        return Response(
            {
                "last_read_id": last
                or conversations.last_read_id(user=request.user, match=match),
                "unread": conversations.unread_count(user=request.user),
            }
        )

    @extend_schema(
        summary="Hide a message (curators)",
        parameters=[MESSAGE_ID],
        request=HideSerializer,
        responses={200: MessageSerializer, **WRITE_ERRORS},
        description="A curator hides a message, with a reason (kept in the audit "
        "trail); the parties then read the reason instead of the text.",
    )
    @detail_post(r"messages/(?P<message_id>[0-9]{1,18})/hide", url_name="messages-hide")
    def messages_hide(self, request, pk=None, message_id=None):
        match = self.get_object()
        if not selectors.is_curator(request.user):
            raise PermissionDenied
        message = Message.objects.filter(match=match, pk=message_id).first()
        if message is None:
            raise NotFound
        payload = HideSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        message = services.hide_message(
            user=request.user, message=message, reason=payload.validated_data["reason"]
        )
        row = self._rows(request, match, [message])[0]
        return Response(MessageSerializer(row).data)
