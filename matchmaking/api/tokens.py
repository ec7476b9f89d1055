"""Personal API tokens."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from drf_spectacular.utils import extend_schema_view
from rest_framework import mixins
from rest_framework import status
from rest_framework.response import Response

from matchmaking import selectors
from matchmaking.accounts import policy
from matchmaking.accounts import tokens
from matchmaking.api.base import OwnRowsViewSet
from matchmaking.api.base import errors
from matchmaking.api.base import read_schemas
from matchmaking.api.permissions import AUTHENTICATED
from matchmaking.api.permissions import ManagesTokens
from matchmaking.api.permissions import via_token
from matchmaking.api.serializers import ApiTokenCreatedSerializer
from matchmaking.api.serializers import ApiTokenCreateSerializer
from matchmaking.api.serializers import ApiTokenSerializer
from matchmaking.models import ApiToken


@extend_schema_view(
    **read_schemas(ApiTokenSerializer),
    create=extend_schema(
        request=ApiTokenCreateSerializer,
        responses={201: ApiTokenCreatedSerializer, **errors(400, 401, 403, 429)},
        description="Create a token; the key is in this response only. From a "
        "signed-in session or with a `manage` token (a token made by a token "
        "expires no later than its maker).",
    ),
    destroy=extend_schema(
        responses={204: None, **errors(401, 403, 404, 429)},
        description="Revoke the token (it stays listed, with `revoked_at`); from "
        "a signed-in session or with a `manage` token.",
    ),
)
class ApiTokenViewSet(
    mixins.CreateModelMixin, mixins.DestroyModelMixin, OwnRowsViewSet
):
    """The signed-in user's own personal API tokens."""

    model = ApiToken
    serializer_class = ApiTokenSerializer
    permission_classes = [*AUTHENTICATED, ManagesTokens]

    def rows_of(self, user):
        return selectors.api_tokens_of(user=user)

    def create(self, request, *args, **kwargs):
        payload = ApiTokenCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        if via_token(request):
            data["expires_at"] = policy.expiry_of_token_made_by(
                maker=request.auth, expires_at=data.get("expires_at")
            )
        token, key = tokens.create_token(user=request.user, **data)
        data = ApiTokenSerializer(token).data
        data["key"] = key
        return Response(data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        tokens.revoke_token(user=request.user, token=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
