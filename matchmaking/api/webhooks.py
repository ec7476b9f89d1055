"""Webhook subscriptions of the signed-in user (or their token) and their deliveries."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from drf_spectacular.utils import extend_schema_view
from rest_framework import serializers
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from matchmaking import selectors
from matchmaking.api.base import WRITE_ERRORS
from matchmaking.api.base import OwnRowsViewSet
from matchmaking.api.base import errors
from matchmaking.api.base import paginated
from matchmaking.api.base import read_schemas
from matchmaking.models import WebhookDelivery
from matchmaking.models import WebhookEndpoint
from matchmaking.webhooks import delivery
from matchmaking.webhooks.events import event_type_choices


class EventTypeField(serializers.ChoiceField):
    """One of the event types offered now (the registry may grow at start-up)."""

    def __init__(self, **kwargs):
        super().__init__(choices=event_type_choices(), **kwargs)


class WebhookEndpointSerializer(serializers.ModelSerializer):
    event_types = serializers.ListField(
        child=EventTypeField(), min_length=1, max_length=50
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "is_active",
            "disabled_at",
            "disabled_reason",
            "failure_count",
            "last_success_at",
            "created_at",
            "updated_at",
        ]
        # The owner writes where to send what, and whether; the rest is the
        # delivery state the platform keeps.
        read_only_fields = [
            f
            for f in fields
            if f not in ("url", "description", "event_types", "is_active")
        ]


class WebhookEndpointCreateSerializer(WebhookEndpointSerializer):
    class Meta(WebhookEndpointSerializer.Meta):
        fields = ["url", "description", "event_types"]
        read_only_fields = []


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="The signing secret (whsec_…): in this response only.",
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "message_id",
            "event_type",
            "state",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "last_duration_ms",
            "response_excerpt",
            "created_at",
        ]
        read_only_fields = fields


DELIVERY_PAGE = paginated(WebhookDeliverySerializer, "PaginatedWebhookDeliveryList")


@extend_schema_view(
    **read_schemas(WebhookEndpointSerializer),
    create=extend_schema(
        request=WebhookEndpointCreateSerializer,
        responses={
            201: WebhookEndpointCreatedSerializer,
            **errors(400, 401, 403, 429),
        },
        description="Subscribe a URL to event types; the signing secret is in "
        "this response only. Only http(s) URLs of public hosts.",
    ),
    update=extend_schema(responses={200: WebhookEndpointSerializer, **WRITE_ERRORS}),
    partial_update=extend_schema(
        responses={200: WebhookEndpointSerializer, **WRITE_ERRORS},
        description="Change the URL, description or event types; "
        "`is_active: true` turns a disabled webhook back on.",
    ),
    destroy=extend_schema(
        responses={204: None, **errors(401, 403, 404, 429)},
        description="Delete the webhook and its delivery log.",
    ),
)
class WebhookEndpointViewSet(OwnRowsViewSet):
    """The user's webhooks: signed events of the types chosen (README "Webhooks")."""

    model = WebhookEndpoint
    serializer_class = WebhookEndpointSerializer

    def rows_of(self, user):
        return selectors.webhooks_of(user=user)

    def create(self, request, *args, **kwargs):
        payload = WebhookEndpointCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        endpoint, secret = delivery.create_endpoint(
            user=request.user, **payload.validated_data
        )
        data = WebhookEndpointSerializer(endpoint).data
        data["secret"] = secret
        response = Response(data, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response

    def update(self, request, *args, partial=False, **kwargs):
        endpoint = self.get_object()
        payload = WebhookEndpointSerializer(
            endpoint, data=request.data, partial=partial
        )
        payload.is_valid(raise_exception=True)
        endpoint = delivery.update_endpoint(
            user=request.user, endpoint=endpoint, changes=payload.validated_data
        )
        return Response(WebhookEndpointSerializer(endpoint).data)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        delivery.delete_endpoint(user=request.user, endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        responses={200: DELIVERY_PAGE, **errors(400, 401, 404, 429)},
        description="The delivery log, newest first: one entry per event, with "
        "its last attempt. An event about something you may no longer see is "
        "`withheld` and not described.",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="deliveries",
        serializer_class=WebhookDeliverySerializer,
    )
    def deliveries(self, request, pk=None):
        endpoint = self.get_object()
        page = self.paginate_queryset(
            endpoint.deliveries.order_by("-created_at", "-id")
        )
        data = WebhookDeliverySerializer(page, many=True).data
        return self.get_paginated_response(data)

    @extend_schema(
        request=None,
        responses={202: WebhookDeliverySerializer, **WRITE_ERRORS},
        description="Send a `webhook.test` event to the webhook now.",
    )
    @action(detail=True, methods=["post"], url_path="test")
    def send_test(self, request, pk=None):
        sent = delivery.send_test_event(user=request.user, endpoint=self.get_object())
        return Response(
            WebhookDeliverySerializer(sent).data, status=status.HTTP_202_ACCEPTED
        )
