"""Saved searches of the signed-in user (or their token): alerts on a list query."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from drf_spectacular.utils import extend_schema_view
from rest_framework import serializers
from rest_framework import status
from rest_framework.response import Response

from matchmaking import selectors
from matchmaking.api.base import OwnRowsViewSet
from matchmaking.api.base import errors
from matchmaking.api.base import read_schemas
from matchmaking.models import SavedSearch
from matchmaking.savedsearches import services


class SavedSearchSerializer(serializers.ModelSerializer):
    results_path = serializers.SerializerMethodField(
        help_text="The API list this search runs on, with its query."
    )

    class Meta:
        model = SavedSearch
        fields = [
            "id",
            "name",
            "scope",
            "query",
            "results_path",
            "created_at",
            "last_match_at",
        ]
        read_only_fields = ["id", "results_path", "created_at", "last_match_at"]
        extra_kwargs = {
            "query": {
                "help_text": "The list's API query string, as in "
                "`/api/v1/programmes/?theme=incident-response&region=002` "
                "(paging and ordering are left out)."
            }
        }

    def get_results_path(self, search: SavedSearch) -> str:
        path = f"/api/v1/{search.scope}/"
        return f"{path}?{search.query}" if search.query else path


@extend_schema_view(
    **read_schemas(SavedSearchSerializer),
    create=extend_schema(
        responses={201: SavedSearchSerializer, **errors(400, 401, 403, 429)},
        description="Save a programme or need search as an alert: new or changed "
        "items that match it (and that you may see) are notified. An invalid "
        "query is a 400 naming `query` and the parameter.",
    ),
    destroy=extend_schema(
        responses={204: None, **errors(401, 403, 404, 429)},
        description="Delete the saved search (no more alerts).",
    ),
)
class SavedSearchViewSet(OwnRowsViewSet):
    """The user's saved searches (README "Saved searches")."""

    model = SavedSearch
    serializer_class = SavedSearchSerializer

    def rows_of(self, user):
        return selectors.saved_searches_of(user=user)

    def create(self, request, *args, **kwargs):
        payload = SavedSearchSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        # `query` may be left out (the whole list): the model's default.
        search = services.create_saved_search(
            user=request.user, **{"query": "", **payload.validated_data}
        )
        return Response(
            SavedSearchSerializer(search).data, status=status.HTTP_201_CREATED
        )

    def destroy(self, request, *args, **kwargs):
        services.delete_saved_search(user=request.user, search=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
