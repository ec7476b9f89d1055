"""The notification centre and notification settings of the signed-in user."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from drf_spectacular.utils import extend_schema_view
from drf_spectacular.utils import inline_serializer
from rest_framework import exceptions
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from matchmaking.api.base import LIST_ERRORS
from matchmaking.api.base import READ_ERRORS
from matchmaking.api.base import OwnRowsViewSet
from matchmaking.api.base import check_query_params
from matchmaking.api.base import errors
from matchmaking.api.permissions import AUTHENTICATED
from matchmaking.models import CATEGORY_OF_KIND
from matchmaking.models import Category
from matchmaking.models import EventKind
from matchmaking.models import MailMode
from matchmaking.models import Notification
from matchmaking.notifications import centre
from matchmaking.notifications import preferences


class NotificationSerializer(serializers.Serializer):
    """One notification; ``title`` and ``url`` are empty once its subject is hidden."""

    id = serializers.IntegerField(source="notification.pk")
    kind = serializers.ChoiceField(
        source="notification.event.kind", choices=EventKind.choices
    )
    category = serializers.SerializerMethodField()
    event_key = serializers.UUIDField(source="notification.event.key")
    title = serializers.CharField()
    url = serializers.CharField(help_text="Path of the web page it is about.")
    visible = serializers.BooleanField()
    created_at = serializers.DateTimeField(source="notification.created_at")
    read_at = serializers.DateTimeField(source="notification.read_at", allow_null=True)

    def get_category(self, entry: centre.Entry) -> str:
        return CATEGORY_OF_KIND.get(entry.notification.event.kind, "")


UNREAD = inline_serializer("UnreadCount", {"unread": serializers.IntegerField()})
MARKED = inline_serializer("MarkedRead", {"marked": serializers.IntegerField()})


@extend_schema_view(
    list=extend_schema(
        responses={200: NotificationSerializer(many=True), **LIST_ERRORS},
        description="The user's notifications, newest first.",
    ),
    retrieve=extend_schema(responses={200: NotificationSerializer, **READ_ERRORS}),
)
class NotificationViewSet(OwnRowsViewSet):
    """The signed-in user's own notification centre."""

    model = Notification
    serializer_class = NotificationSerializer

    def rows_of(self, user):
        return centre.notifications_of(user=user)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        rows = centre.entries(user=request.user, notifications=page)
        return self.get_paginated_response(NotificationSerializer(rows, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        row = centre.entries(user=request.user, notifications=[self.get_object()])[0]
        return Response(NotificationSerializer(row).data)

    @extend_schema(request=None, responses={200: MARKED, **errors(401, 403, 404, 429)})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark one notification read."""
        notification = self.get_object()
        return Response(
            {"marked": centre.mark_read(user=request.user, ids=[notification.pk])}
        )

    @extend_schema(request=None, responses={200: MARKED, **errors(401, 403, 429)})
    @action(detail=False, methods=["post"], url_path="read-all", url_name="read-all")
    def read_all(self, request):
        """Mark every notification read."""
        return Response({"marked": centre.mark_read(user=request.user)})

    @extend_schema(responses={200: UNREAD, **errors(401, 429)})
    @action(detail=False, methods=["get"], url_path="unread", url_name="unread")
    def unread(self, request):
        """How many notifications are unread (the header's count)."""
        return Response({"unread": centre.unread_count(user=request.user)})


class NotificationSettingsSerializer(serializers.Serializer):
    """Mail mode per category, and the time zone digests use."""

    modes = serializers.DictField(
        child=serializers.ChoiceField(choices=MailMode.choices),
        help_text="Category -> mail mode. Categories: "
        + ", ".join(Category.values)
        + ".",
    )
    time_zone = serializers.CharField(max_length=64)
    phone = serializers.CharField(max_length=40, allow_blank=True)


class NotificationSettingsInputSerializer(serializers.Serializer):
    modes = serializers.DictField(child=serializers.CharField(), required=False)
    time_zone = serializers.CharField(max_length=64, required=False)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)


def _settings(user) -> dict:
    profile = preferences.profile_of(user)
    return {
        "modes": preferences.mail_modes(user=user),
        "time_zone": profile.time_zone,
        "phone": profile.phone,
    }


class NotificationSettingsView(APIView):
    """The signed-in user's notification settings (one object, no id)."""

    permission_classes = AUTHENTICATED

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        check_query_params(request)

    @extend_schema(
        responses={200: NotificationSettingsSerializer, **errors(401, 429)},
        description="How the user hears about each category.",
    )
    def get(self, request):
        return Response(_settings(request.user))

    @extend_schema(
        request=NotificationSettingsInputSerializer,
        responses={200: NotificationSettingsSerializer, **errors(400, 401, 403, 429)},
        description="Change some categories' mail mode, the time zone or the phone; "
        "what is left out stays as it was.",
    )
    def post(self, request):
        payload = NotificationSettingsInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        try:
            preferences.set_mail_modes(user=request.user, modes=data.get("modes", {}))
        except DjangoValidationError as error:
            raise exceptions.ValidationError(
                {f"modes.{key}": value for key, value in error.message_dict.items()}
            ) from None
        if "phone" in data or "time_zone" in data:
            preferences.update_profile(
                user=request.user,
                phone=data.get("phone"),
                time_zone=data.get("time_zone"),
            )
        return Response(_settings(request.user))
