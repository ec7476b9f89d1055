"""Pitches: drafting, the slide deck, review and decisions."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample
from drf_spectacular.utils import extend_schema
from drf_spectacular.utils import extend_schema_view
from rest_framework import exceptions
from rest_framework import mixins
from rest_framework import status
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from matchmaking import selectors as mm_selectors
from matchmaking.api.base import READ_ERRORS
from matchmaking.api.base import WRITE_ERRORS
from matchmaking.api.base import ApiViewMixin
from matchmaking.api.base import documented_action
from matchmaking.api.base import errors
from matchmaking.api.base import read_schemas
from matchmaking.api.parsers import JSONParser
from matchmaking.api.permissions import AUTHENTICATED
from matchmaking.api.permissions import CURATORS
from matchmaking.api.permissions import PUBLIC_READ
from matchmaking.audit import log_denied_access
from roundtable import selectors
from roundtable import services
from roundtable.api.base import DECK_ERRORS
from roundtable.api.base import ID_REGEX
from roundtable.api.base import ILLEGAL_MOVE
from roundtable.api.base import PitchFilter
from roundtable.api.base import _deck_error
from roundtable.api.base import _refuse_oversized
from roundtable.models import MAX_DECK_BYTES
from roundtable.models import Event
from roundtable.models import Pitch
from roundtable.serializers import PitchSerializer
from roundtable.serializers import PitchWriteSerializer
from roundtable.serializers import ReviewSerializer
from roundtable.serializers import ReviewWriteSerializer
from roundtable.serializers import SlideDeckUploadSerializer
from roundtable.slides import SlideDeckError
from roundtable.slides import slide_deck_response


def _pitch_action(name: str, service, doc: str, *, curators: bool = False):
    """A POST action moving a pitch along its workflow through one service."""

    def handler(self, request, pk=None):
        pitch = self.get_object()
        pitch = service(user=request.user, pitch=pitch)
        return Response(self.serialized(pitch))

    return documented_action(
        handler,
        name,
        doc,
        request=None,
        answer=PitchSerializer,
        examples=[ILLEGAL_MOVE],
        url_path=name.replace("_", "-"),
        url_name=name.replace("_", "-"),
        permission_classes=CURATORS if curators else AUTHENTICATED,
    )


class PitchDraftSerializer(PitchWriteSerializer):
    """A pitch as JSON (the deck is uploaded to ``slides/``)."""

    slide_deck = None


@extend_schema_view(
    **read_schemas(PitchSerializer),
    create=extend_schema(
        request={"application/json": PitchDraftSerializer},
        responses={
            201: PitchSerializer,
            **errors(401, 403, 429),
            **DECK_ERRORS,
        },
        examples=[
            OpenApiExample(
                "Draft a pitch",
                request_only=True,
                value={
                    "event": "global-roundtable-2027",
                    "provider": "prov-p",
                    "title": "A national CSIRT in 18 months",
                    "abstract": "What we offer, to whom, and how.",
                    "presenter_name": "Ada Presenter",
                    "programmes": ["prog-p"],
                },
            )
        ],
        description="A provider drafts a pitch for the event's open call (with "
        "its deck as multipart, or upload it later to `slides/`).",
    ),
    partial_update=extend_schema(
        request={"application/json": PitchDraftSerializer},
        responses={200: PitchSerializer, **errors(401, 403, 404, 429), **DECK_ERRORS},
        examples=[ILLEGAL_MOVE],
        description="The provider edits its pitch while the call is open and the "
        "pitch is undecided.",
    ),
)
class PitchViewSet(
    ApiViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Pitches: public once accepted; providers also see (and write) their own."""

    serializer_class = PitchSerializer
    filterset_class = PitchFilter
    permission_classes = PUBLIC_READ
    lookup_value_regex = ID_REGEX
    # JSON; multipart too, so that a deck can come with the pitch (documented:
    # JSON, the deck through ``slides/``; one body type per operation).
    parser_classes = [JSONParser, MultiPartParser]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        # With whether decisions are out: a staged one reads "in_review".
        pitches = selectors.with_release(
            selectors.pitches_visible_to(user=self.request.user)
        )
        if self.action in ("list", "retrieve", "create", "partial_update", None):
            # The serializer shows the reader's language version.
            return pitches.prefetch_related("translations")
        return pitches

    def filter_queryset(self, queryset):
        if self.action in ("list", None):
            return super().filter_queryset(queryset)
        return queryset  # a detail route is found by id alone

    def serialized(self, pitch: Pitch) -> dict:
        return PitchSerializer(
            self.get_queryset().get(pk=pitch.pk), context=self.get_serializer_context()
        ).data

    def _require_owner(self, pitch: Pitch) -> None:
        """Refuse before reading the body: only the provider's users write a pitch."""
        if pitch.provider_id not in mm_selectors.provider_ids(user=self.request.user):
            raise exceptions.PermissionDenied

    def _deck_limit(self, event_id: int) -> int:
        call = selectors.call_for_pitches_of(event=Event(pk=event_id))
        return call.max_bytes if call is not None else MAX_DECK_BYTES

    def create(self, request, *args, **kwargs):
        if not mm_selectors.provider_ids(user=request.user):
            raise exceptions.PermissionDenied(_("Only provider users propose pitches."))
        _refuse_oversized(request, MAX_DECK_BYTES)
        payload = PitchWriteSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        event = data.pop("event")
        provider = data.pop("provider")
        deck = data.pop("slide_deck", None)
        items = data.pop("translations", None)
        try:
            with transaction.atomic():
                pitch = services.create_pitch(
                    user=request.user,
                    event=event,
                    provider=provider,
                    data=data,
                    slide_deck=deck,
                )
                self.save_translations(pitch, items)
        except SlideDeckError as error:
            return _deck_error(error)
        return Response(self.serialized(pitch), status=status.HTTP_201_CREATED)

    def can_translate(self, obj: Pitch) -> bool:
        return services.can_translate_pitch(user=self.request.user, pitch=obj)

    def partial_update(self, request, *args, **kwargs):
        pitch = self.get_object()
        self._require_owner(pitch)
        _refuse_oversized(request, self._deck_limit(pitch.event_id))
        payload = PitchWriteSerializer(
            pitch, data=request.data, partial=True, context={"request": request}
        )
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        deck = data.pop("slide_deck", None)
        items = data.pop("translations", None)
        try:
            with transaction.atomic():
                pitch = services.update_pitch(
                    user=request.user, pitch=pitch, data=data, slide_deck=deck
                )
                self.save_translations(pitch, items)
        except SlideDeckError as error:
            return _deck_error(error)
        return Response(self.serialized(pitch))

    @extend_schema(
        methods=["GET"],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            **READ_ERRORS,
        },
        description="The slide deck as an attachment: to curators and the "
        "provider always, to everyone once a published agenda shows the pitch; "
        "404 otherwise, as for a missing pitch.",
    )
    @extend_schema(
        methods=["PUT"],
        request={"multipart/form-data": SlideDeckUploadSerializer},
        responses={
            200: PitchSerializer,
            **errors(401, 403, 404, 429),
            **DECK_ERRORS,
        },
        description="Upload (or replace) the deck: a PDF by its content, 1 to 3 "
        "pages, at most 10 MB (the call may tighten these), not encrypted. It is "
        "re-written without active content before it is stored.",
    )
    @action(
        detail=True,
        methods=["get", "put"],
        parser_classes=[MultiPartParser],
        filterset_class=None,
    )
    def slides(self, request, pk=None):
        """Download or upload the pitch's slide deck."""
        pitch = self.get_object()
        if request.method == "GET":
            if not selectors.can_download_slide_deck(user=request.user, pitch=pitch):
                log_denied_access(request, Pitch, pitch.pk, action="slide_deck")
                raise Http404
            return slide_deck_response(pitch)
        self._require_owner(pitch)
        _refuse_oversized(request, self._deck_limit(pitch.event_id))
        payload = SlideDeckUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            pitch = services.update_pitch(
                user=request.user,
                pitch=pitch,
                data={},
                slide_deck=payload.validated_data["slide_deck"],
            )
        except SlideDeckError as error:
            return _deck_error(error)
        return Response(self.serialized(pitch))

    submit = _pitch_action(
        "submit",
        services.submit_pitch,
        "Draft → submitted: needs the deck and a programme, within the call.",
    )
    withdraw = _pitch_action(
        "withdraw",
        services.withdraw_pitch,
        "The provider withdraws the pitch; it leaves its slot.",
    )
    confirm = _pitch_action(
        "confirm",
        services.confirm_pitch,
        "The presenter confirms an accepted pitch once decisions are released.",
    )
    start_review = _pitch_action(
        "start_review",
        services.start_review,
        "Curators: submitted → in review.",
        curators=True,
    )
    accept = _pitch_action(
        "accept",
        services.accept_pitch,
        "Curators: stage an acceptance (revisable until decisions are released).",
        curators=True,
    )
    reject = _pitch_action(
        "reject",
        services.reject_pitch,
        "Curators: stage a rejection (revisable until decisions are released).",
        curators=True,
    )
    mark_presented = _pitch_action(
        "mark_presented",
        services.mark_presented,
        "Curators: scheduled → presented, after the session.",
        curators=True,
    )

    @extend_schema(
        methods=["GET"],
        responses={200: ReviewSerializer(many=True), **errors(401, 403, 404, 429)},
        description="Curators: every review of the pitch.",
    )
    @extend_schema(
        methods=["POST"],
        request=ReviewWriteSerializer,
        responses={200: ReviewSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "Score a pitch",
                request_only=True,
                value={
                    "relevance": 5,
                    "clarity": 4,
                    "feasibility": 4,
                    "reach": 3,
                    "comment": "Answers three open needs of the region.",
                },
            )
        ],
        description="Curators score the pitch 1..5 on each criterion (weighted "
        "relevance 0.4, clarity, feasibility and reach 0.2 each); again: updates "
        "one's review. Curators who act for the provider cannot review it.",
    )
    @action(
        detail=True,
        methods=["get", "post"],
        permission_classes=CURATORS,
        filterset_class=None,
        pagination_class=None,
    )
    def reviews(self, request, pk=None):
        """List the pitch's reviews, or write one's own."""
        pitch = self.get_object()
        if request.method == "GET":
            found = selectors.reviews_visible_to(user=request.user).filter(pitch=pitch)
            return Response(ReviewSerializer(found, many=True).data)
        payload = ReviewWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        review = services.review_pitch(
            user=request.user,
            pitch=pitch,
            scores=payload.scores(),
            comment=payload.validated_data["comment"],
        )
        return Response(ReviewSerializer(review).data)
