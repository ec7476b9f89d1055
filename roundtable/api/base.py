"""What the roundtable's API resources share: slide-deck errors, upload limits,
filters.
"""

from __future__ import annotations

import django_filters as df
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions
from rest_framework import serializers
from rest_framework import status
from rest_framework.response import Response

from matchmaking import uploads
from matchmaking.api.filters import IsoDateTimeFromToRangeFilter
from matchmaking.api.serializers import ErrorBodySerializer
from roundtable import selectors
from roundtable.enums import MeetingState
from roundtable.enums import PitchState
from roundtable.enums import SessionKind
from roundtable.models import Event
from roundtable.models import Meeting
from roundtable.models import Pitch
from roundtable.models import Session
from roundtable.slides import SlideDeckError

ID_REGEX = r"[0-9]{1,18}"


# Room for the multipart envelope around a deck of the largest allowed size.
MULTIPART_OVERHEAD = 64 * 1024


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The upload is too large.")
    default_code = "too_large"


class SlideDeckErrorBodySerializer(ErrorBodySerializer):
    rule = serializers.ChoiceField(
        choices=list(uploads.RULES),
        required=False,
        help_text="The deck rule that was broken (absent when another field "
        "is invalid).",
    )


class SlideDeckErrorSerializer(serializers.Serializer):
    error = SlideDeckErrorBodySerializer()


DECK_ERRORS = {
    400: OpenApiResponse(
        SlideDeckErrorSerializer,
        description="The deck broke a rule (`rule` names it), or another field "
        "is invalid.",
        examples=[
            OpenApiExample(
                "Too many pages",
                value={
                    "error": {
                        "status": 400,
                        "code": "invalid_slide_deck",
                        "rule": "pages",
                        "message": "The slide deck has 4 pages: at most 3 are allowed.",
                        "fields": {
                            "slide_deck": [
                                "The slide deck has 4 pages: at most 3 are allowed."
                            ]
                        },
                    }
                },
            )
        ],
    ),
    413: OpenApiResponse(
        SlideDeckErrorSerializer,
        description="The deck (or the request) is larger than the call allows.",
    ),
}


def refusal_example(name: str, message: str, field: str) -> OpenApiExample:
    """The example of a 400 that names ``field`` (``non_field_errors``: none)."""
    return OpenApiExample(
        name,
        response_only=True,
        status_codes=["400"],
        value={
            "error": {
                "status": 400,
                "code": "invalid",
                "message": message,
                "fields": {field: [message]},
            }
        },
    )


ILLEGAL_MOVE = refusal_example(
    "Illegal move", "This pitch is withdrawn: it cannot be submitted.", "state"
)


def _deck_error(error: SlideDeckError) -> Response:
    """A broken deck rule: 413 when too large, else 400; ``rule`` names it."""
    rule = error.code or "malformed"
    message = " ".join(error.messages)
    code = (
        status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        if rule == "size"
        else status.HTTP_400_BAD_REQUEST
    )
    return Response(
        {
            "error": {
                "status": code,
                "code": "invalid_slide_deck",
                "rule": rule,
                "message": message,
                "fields": {"slide_deck": [message]},
            }
        },
        status=code,
    )


def _refuse_oversized(request, max_bytes: int) -> None:
    """Refuse by its declared length, before the body is read, a too large upload."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > max_bytes + MULTIPART_OVERHEAD:
        raise PayloadTooLarge(
            _("The slide deck is larger than %(limit)s MB.")
            % {"limit": max_bytes // (1024 * 1024)}
        )


class EventFilter(df.FilterSet):
    starts_on = df.DateFromToRangeFilter()

    class Meta:
        model = Event
        fields: list[str] = []


class SessionFilter(df.FilterSet):
    event = df.CharFilter(field_name="event__slug", max_length=100)
    kind = df.MultipleChoiceFilter(choices=SessionKind.choices)
    starts_at = IsoDateTimeFromToRangeFilter()

    class Meta:
        model = Session
        fields: list[str] = []


class PitchFilter(df.FilterSet):
    event = df.CharFilter(field_name="event__slug", max_length=100)
    provider = df.CharFilter(field_name="provider__ref", max_length=100)
    state = df.MultipleChoiceFilter(choices=PitchState.choices, method="filter_state")

    class Meta:
        model = Pitch
        fields: list[str] = []

    def filter_state(self, queryset, name, value):
        # A staged decision is "in_review" to all but curators.
        user = getattr(self.request, "user", None)
        return queryset.filter(selectors.pitch_state_q(user=user, states=value))


class MeetingFilter(df.FilterSet):
    event = df.CharFilter(field_name="pitch__event__slug", max_length=100)
    state = df.MultipleChoiceFilter(choices=MeetingState.choices)

    class Meta:
        model = Meeting
        fields: list[str] = []
