"""Requests to join: curators list them and verify or reject them.

The request itself is made on the public page (``/join/``), where the
requester's address is confirmed by a mailed link before a curator sees it.
"""

from __future__ import annotations

import django_filters as df
from drf_spectacular.utils import OpenApiExample
from drf_spectacular.utils import extend_schema
from drf_spectacular.utils import extend_schema_view
from rest_framework import mixins
from rest_framework import serializers
from rest_framework import viewsets
from rest_framework.decorators import action

from matchmaking import joining
from matchmaking import selectors
from matchmaking.api.base import ID_REGEX
from matchmaking.api.base import ApiViewMixin
from matchmaking.api.base import errors
from matchmaking.api.permissions import CURATORS
from matchmaking.models import NOTE_TEXT
from matchmaking.models import JoinKind
from matchmaking.models import JoinRequest
from matchmaking.models import JoinStatus


class JoinRequestSerializer(serializers.ModelSerializer):
    """A request to join as a curator sees it."""

    stakeholder_group = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    country = serializers.SlugRelatedField(slug_field="iso3", read_only=True)
    provider = serializers.SlugRelatedField(slug_field="ref", read_only=True)
    has_nomination_letter = serializers.SerializerMethodField()

    class Meta:
        model = JoinRequest
        fields = [
            "id",
            "kind",
            "status",
            "contact_name",
            "email",
            "position",
            "organisation_name",
            "stakeholder_group",
            "country",
            "website",
            "message",
            "has_nomination_letter",
            "created_at",
            "email_confirmed_at",
            "decided_at",
            "reason",
            "provider",
        ]
        read_only_fields = fields

    def get_has_nomination_letter(self, obj: JoinRequest) -> bool:
        return bool(obj.nomination_letter)


class JoinRejectionSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=NOTE_TEXT)


class JoinRequestFilter(df.FilterSet):
    status = df.ChoiceFilter(
        choices=[c for c in JoinStatus.choices if c[0] != JoinStatus.UNCONFIRMED]
    )
    kind = df.ChoiceFilter(choices=JoinKind.choices)

    class Meta:
        model = JoinRequest
        fields: list[str] = []


DECIDE_ERRORS = errors(400, 401, 403, 404, 429)


@extend_schema_view(
    list=extend_schema(
        responses={200: JoinRequestSerializer(many=True), **errors(400, 401, 403, 429)},
        description="Requests whose address is confirmed, oldest first (curators).",
    ),
    retrieve=extend_schema(
        responses={200: JoinRequestSerializer, **errors(401, 403, 404, 429)}
    ),
)
class JoinRequestViewSet(
    ApiViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Requests to join the platform, for curators to decide."""

    serializer_class = JoinRequestSerializer
    filterset_class = JoinRequestFilter
    permission_classes = CURATORS
    lookup_value_regex = ID_REGEX

    def get_queryset(self):
        return selectors.join_requests_visible_to(user=self.request.user)

    @extend_schema(
        request=None,
        responses={200: JoinRequestSerializer, **DECIDE_ERRORS},
        description="Verify a pending request: the provider is created and "
        "verified (or the member state made ready), the requester gets an "
        "account with the organisation's role and a mail to set a password. "
        "400 when the request is decided already or the organisation's name "
        "is taken.",
    )
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        """Verify the request (curators)."""
        join_request = joining.verify_join_request(
            user=request.user,
            join_request=self.get_object(),
            url_for=request.build_absolute_uri,
        )
        return self.reloaded(join_request)

    @extend_schema(
        request=JoinRejectionSerializer,
        responses={200: JoinRequestSerializer, **DECIDE_ERRORS},
        description="Reject a pending request; the reason is mailed to the requester.",
        examples=[
            OpenApiExample(
                "Reject",
                request_only=True,
                value={"reason": "We could not confirm the organisation exists."},
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject the request with a reason (curators)."""
        payload = JoinRejectionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        join_request = joining.reject_join_request(
            user=request.user,
            join_request=self.get_object(),
            reason=payload.validated_data["reason"],
        )
        return self.reloaded(join_request)
