"""REST API v1 of the roundtable: events, sessions, pitches, meetings and reports.

Thin like the matchmaking API: every queryset comes from a selector (an object
the user may not see answers 404 exactly like a missing one) and every write is
one call to the same service the web pages use. A service's ``ValidationError``
(an illegal move, a broken rule) is a 400 naming the field, its
``PermissionDenied`` (not the caller's business) a 403, as for matches.
"""

from __future__ import annotations

import django_filters as df
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from matchmaking import selectors as mm_selectors
from matchmaking import translations
from matchmaking.api import (
    LIST_ERRORS,
    READ_ERRORS,
    REF_REGEX,
    WRITE_ERRORS,
    ApiViewMixin,
    errors,
)
from matchmaking.audit import log_denied_access
from matchmaking.filters import IsoDateTimeFromToRangeFilter
from matchmaking.permissions import AUTHENTICATED, CURATORS, PUBLIC_READ
from matchmaking.serializers import ErrorBodySerializer

from . import selectors, services
from .enums import MeetingState, PitchState, SessionKind
from .models import MAX_DECK_BYTES, BreakoutRegistration, Event, Meeting, Pitch, Session
from .models import SessionReport as SessionReportModel
from .serializers import (
    AgendaSerializer,
    AgendaVersionSerializer,
    BreakoutSeatSerializer,
    EventSerializer,
    MeetingAcceptSerializer,
    MeetingRequestSerializer,
    MeetingSerializer,
    PitchSerializer,
    PitchWriteSerializer,
    PublishAgendaSerializer,
    QueuedPitchSerializer,
    ReasonSerializer,
    ReleaseResultSerializer,
    ReviewSerializer,
    ReviewWriteSerializer,
    SchedulePlanSerializer,
    ScheduleRequestSerializer,
    SessionReportSerializer,
    SessionReportWriteSerializer,
    SessionSerializer,
    SlideDeckUploadSerializer,
)
from .slides import SlideDeckError, slide_deck_response

ID_REGEX = r"[0-9]{1,18}"
# Room for the multipart envelope around a deck of the largest allowed size.
MULTIPART_OVERHEAD = 64 * 1024


# --- errors -------------------------------------------------------------------------


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The upload is too large.")
    default_code = "too_large"


class SlideDeckErrorBodySerializer(ErrorBodySerializer):
    rule = serializers.ChoiceField(
        choices=[
            "empty",
            "size",
            "type",
            "encrypted",
            "malformed",
            "bomb",
            "resources",
            "pages",
        ],
        help_text="The deck rule that was broken.",
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

ILLEGAL_MOVE = OpenApiExample(
    "Illegal move",
    response_only=True,
    status_codes=["400"],
    value={
        "error": {
            "status": 400,
            "code": "invalid",
            "message": "This pitch is withdrawn: it cannot be submitted.",
            "fields": {"state": ["This pitch is withdrawn: it cannot be submitted."]},
        }
    },
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


# --- filters --------------------------------------------------------------------------


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
    state = df.MultipleChoiceFilter(choices=PitchState.choices)

    class Meta:
        model = Pitch
        fields: list[str] = []


class MeetingFilter(df.FilterSet):
    event = df.CharFilter(field_name="pitch__event__slug", max_length=100)
    state = df.MultipleChoiceFilter(choices=MeetingState.choices)

    class Meta:
        model = Meeting
        fields: list[str] = []


# --- events ---------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(responses={200: EventSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: EventSerializer, **READ_ERRORS}),
)
class EventViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """Roundtable events (public); curators run the call and the agenda."""

    serializer_class = EventSerializer
    filterset_class = EventFilter
    permission_classes = PUBLIC_READ
    lookup_field = "slug"
    lookup_value_regex = REF_REGEX

    def get_queryset(self):
        return selectors.events_visible_to(user=self.request.user)

    @extend_schema(responses={200: AgendaSerializer, **READ_ERRORS})
    @action(detail=True, methods=["get"], filterset_class=None)
    def agenda(self, request, slug=None):
        """The event's sessions in order, with their slots and accepted pitches."""
        event = self.get_object()
        sessions = selectors.agenda_of(user=request.user, event=event)
        return Response(AgendaSerializer({"event": event, "sessions": sessions}).data)

    @extend_schema(
        responses={200: QueuedPitchSerializer(many=True), **errors(401, 403, 404, 429)},
        description="Curators: the pitches under curation, best mean weighted "
        "score first (unreviewed last), with each criterion's mean.",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="review-queue",
        url_name="review-queue",
        permission_classes=CURATORS,
        filterset_class=None,
        pagination_class=None,
    )
    def review_queue(self, request, slug=None):
        """The curators' review queue of the event."""
        event = self.get_object()
        queue = selectors.review_queue(user=request.user, event=event)
        return Response(QueuedPitchSerializer(queue, many=True).data)

    @extend_schema(
        request=None,
        responses={200: ReleaseResultSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "Pending pitches",
                response_only=True,
                status_codes=["400"],
                value={
                    "error": {
                        "status": 400,
                        "code": "invalid",
                        "message": "2 pitches still await a decision.",
                        "fields": {
                            "non_field_errors": ["2 pitches still await a decision."]
                        },
                    }
                },
            )
        ],
        description="Curators: announce every staged decision once the call has "
        "closed and no pitch awaits a decision; decisions are final afterwards.",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="release-decisions",
        url_name="release-decisions",
        permission_classes=CURATORS,
        filterset_class=None,
    )
    def release_decisions(self, request, slug=None):
        """Release the staged decisions of the event's call for pitches."""
        event = self.get_object()
        call = selectors.call_for_pitches_of(event=event)
        if call is None:
            raise exceptions.ValidationError(
                {"event": [_("This event has no call for pitches.")]}
            )
        count = services.release_decisions(user=request.user, call=call)
        return Response({"released": count})

    @extend_schema(
        request=ScheduleRequestSerializer,
        responses={200: SchedulePlanSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "Generate the running order",
                request_only=True,
                value={"session": 12, "lead_in_seconds": 600},
            )
        ],
        description="Curators: (re)build the running order of a matchmaking "
        "session from the accepted pitches (grouped by theme, best scored first); "
        "`overflow` lists the pitches that did not fit.",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="generate-agenda",
        url_name="generate-agenda",
        permission_classes=CURATORS,
        filterset_class=None,
    )
    def generate_agenda(self, request, slug=None):
        """Generate the pitch running order of one of the event's sessions."""
        event = self.get_object()
        payload = ScheduleRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        session = Session.objects.filter(event=event, pk=data["session"]).first()
        if session is None:
            raise exceptions.ValidationError(
                {"session": [_("Choose a session of this event.")]}
            )
        options = {"lead_in_seconds": data["lead_in_seconds"]}
        if "changeover_seconds" in data:
            options["changeover_seconds"] = data["changeover_seconds"]
        plan = services.schedule_pitches(user=request.user, session=session, **options)
        return Response(SchedulePlanSerializer(plan).data)

    @extend_schema(
        request=PublishAgendaSerializer,
        responses={201: AgendaVersionSerializer, **WRITE_ERRORS},
        description="Curators: freeze the public agenda as its next version.",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="publish-agenda",
        url_name="publish-agenda",
        permission_classes=CURATORS,
        filterset_class=None,
    )
    def publish_agenda(self, request, slug=None):
        """Publish the agenda as a new numbered version."""
        event = self.get_object()
        payload = PublishAgendaSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        version = services.publish_agenda(
            user=request.user, event=event, note=payload.validated_data.get("note", "")
        )
        return Response(
            AgendaVersionSerializer(version).data, status=status.HTTP_201_CREATED
        )


# --- sessions: breakouts and reports ------------------------------------------------


def _seat(session: Session, user) -> dict:
    taken = BreakoutRegistration.objects.filter(session=session).count()
    mine = (
        user.is_authenticated
        and BreakoutRegistration.objects.filter(session=session, user=user).exists()
    )
    return {
        "session": session.pk,
        "capacity": session.capacity,
        "seats_taken": taken,
        "is_registered": bool(mine),
    }


@extend_schema_view(
    list=extend_schema(responses={200: SessionSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: SessionSerializer, **READ_ERRORS}),
)
class SessionViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """Sessions of the agenda (public): breakout seats and session reports."""

    serializer_class = SessionSerializer
    filterset_class = SessionFilter
    permission_classes = PUBLIC_READ
    lookup_value_regex = ID_REGEX

    def get_queryset(self):
        return selectors.sessions_visible_to(user=self.request.user)

    @extend_schema(
        methods=["POST"],
        request=None,
        responses={201: BreakoutSeatSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "Full",
                response_only=True,
                status_codes=["400"],
                value={
                    "error": {
                        "status": 400,
                        "code": "invalid",
                        "message": "This breakout is full.",
                        "fields": {"non_field_errors": ["This breakout is full."]},
                    }
                },
            )
        ],
        description="Take a seat in a breakout (if one is left and it has not "
        "started).",
    )
    @extend_schema(
        methods=["DELETE"],
        request=None,
        responses={200: BreakoutSeatSerializer, **WRITE_ERRORS},
        description="Give up one's seat.",
    )
    @action(
        detail=True,
        methods=["post", "delete"],
        permission_classes=AUTHENTICATED,
        filterset_class=None,
    )
    def registration(self, request, pk=None):
        """Register for (POST) or leave (DELETE) a breakout."""
        session = self.get_object()
        if request.method == "DELETE":
            services.cancel_breakout_registration(user=request.user, session=session)
            return Response(_seat(session, request.user))
        services.register_for_breakout(user=request.user, session=session)
        return Response(_seat(session, request.user), status=status.HTTP_201_CREATED)

    def _report(self, session: Session) -> SessionReportModel | None:
        return SessionReportModel.objects.filter(session=session).first()

    @extend_schema(
        methods=["GET"],
        responses={200: SessionReportSerializer, **READ_ERRORS},
        description="The session's report: published for all; the draft for its "
        "writers (curators, the rapporteur, the chair).",
    )
    @extend_schema(
        methods=["PUT"],
        request=SessionReportWriteSerializer,
        responses={200: SessionReportSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "Write the report",
                request_only=True,
                value={
                    "summary": "Delegations compared incident-response maturity.",
                    "key_issues": "Funding for CSIRT staff.",
                    "commitments": "Two providers offer mentoring.",
                },
            )
        ],
        description="The rapporteur (or, before one is named, the chair; or a "
        "curator) writes the report; it stays a draft until published.",
    )
    @action(
        detail=True,
        methods=["get", "put"],
        filterset_class=None,
        permission_classes=PUBLIC_READ,
    )
    def report(self, request, pk=None):
        """Read or write the session's report."""
        session = self.get_object()
        if request.method == "GET":
            report = get_object_or_404(
                selectors.reports_visible_to(user=request.user), session=session
            )
            return Response(SessionReportSerializer(report).data)
        if not services.may_write_report(
            user=request.user, session=session, report=self._report(session)
        ):
            raise exceptions.PermissionDenied
        payload = SessionReportWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        report = services.write_session_report(
            user=request.user, session=session, data=payload.validated_data
        )
        return Response(SessionReportSerializer(report).data)

    @extend_schema(
        request=None,
        responses={200: SessionReportSerializer, **WRITE_ERRORS},
        description="Make the report public (linked from the agenda).",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="report/publish",
        url_name="report-publish",
        permission_classes=AUTHENTICATED,
        filterset_class=None,
    )
    def publish_report(self, request, pk=None):
        """Publish the session's report."""
        session = self.get_object()
        report = get_object_or_404(
            selectors.reports_visible_to(user=request.user), session=session
        )
        report = services.publish_session_report(user=request.user, report=report)
        return Response(SessionReportSerializer(report).data)


# --- pitches --------------------------------------------------------------------------


def _pitch_action(name: str, service, doc: str, *, curators: bool = False):
    """A POST action moving a pitch along its workflow through one service."""

    def handler(self, request, pk=None):
        pitch = self.get_object()
        pitch = service(user=request.user, pitch=pitch)
        return Response(self.serialized(pitch))

    handler.__name__ = name
    handler.__doc__ = doc
    routed = action(
        detail=True,
        methods=["post"],
        url_path=name.replace("_", "-"),
        url_name=name.replace("_", "-"),
        permission_classes=CURATORS if curators else AUTHENTICATED,
    )(handler)
    return extend_schema(
        request=None,
        responses={200: PitchSerializer, **WRITE_ERRORS},
        examples=[ILLEGAL_MOVE],
        description=doc,
    )(routed)


@extend_schema_view(
    list=extend_schema(responses={200: PitchSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: PitchSerializer, **READ_ERRORS}),
    create=extend_schema(
        request={
            "application/json": PitchWriteSerializer,
            "multipart/form-data": PitchWriteSerializer,
        },
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
        request={
            "application/json": PitchWriteSerializer,
            "multipart/form-data": PitchWriteSerializer,
        },
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
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        pitches = selectors.pitches_visible_to(user=self.request.user)
        if self.action in ("list", "retrieve", "create", "partial_update", None):
            # The serializer shows the reader's language version.
            return pitches.prefetch_related("translations")
        return pitches

    def filter_queryset(self, queryset):
        if self.action in ("list", None):
            return super().filter_queryset(queryset)
        return queryset  # a detail route is found by id alone

    def serialized(self, pitch: Pitch) -> dict:
        return PitchSerializer(self.get_queryset().get(pk=pitch.pk)).data

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
                self._save_translations(pitch, items)
        except SlideDeckError as error:
            return _deck_error(error)
        return Response(self.serialized(pitch), status=status.HTTP_201_CREATED)

    def _save_translations(self, pitch: Pitch, items) -> None:
        if items is None:
            return
        translations.replace_translations(
            user=self.request.user,
            obj=pitch,
            items=items,
            can_edit=lambda: services.can_translate_pitch(
                user=self.request.user, pitch=pitch
            ),
        )

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
                self._save_translations(pitch, items)
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


# --- meetings -------------------------------------------------------------------------


def _meeting_answer(name: str, doc: str, request_serializer):
    def handler(self, request, pk=None):
        meeting = self.get_object()
        payload = request_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        if name == "accept":
            slot = None
            if "slot" in data:
                slot = selectors.free_meeting_slots(event=meeting.pitch.event).filter(
                    pk=data["slot"]
                )
                slot = slot.first()
                if slot is None:
                    raise exceptions.ValidationError(
                        {"slot": [_("Choose a future meeting slot of this event.")]}
                    )
            services.accept_meeting(user=request.user, meeting=meeting, slot=slot)
        elif name == "decline":
            services.decline_meeting(
                user=request.user, meeting=meeting, reason=data.get("reason", "")
            )
        else:
            services.cancel_meeting(
                user=request.user, meeting=meeting, reason=data.get("reason", "")
            )
        return Response(MeetingSerializer(self.get_queryset().get(pk=meeting.pk)).data)

    handler.__name__ = name
    handler.__doc__ = doc
    routed = action(detail=True, methods=["post"], filterset_class=None)(handler)
    return extend_schema(
        request=request_serializer,
        responses={200: MeetingSerializer, **WRITE_ERRORS},
        description=doc,
    )(routed)


@extend_schema_view(
    list=extend_schema(responses={200: MeetingSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: MeetingSerializer, **READ_ERRORS}),
    create=extend_schema(
        request=MeetingRequestSerializer,
        responses={201: MeetingSerializer, **errors(400, 401, 403, 429)},
        examples=[
            OpenApiExample(
                "Ask for a meeting",
                request_only=True,
                value={
                    "pitch": 7,
                    "member_state": "SEN",
                    "message": "We would like to discuss CSIRT training.",
                    "need": "need-a",
                    "programme": "prog-p",
                },
            )
        ],
        description="A member state's delegate asks the presenter of an accepted "
        "pitch for a follow-up meeting; naming a need of the state and a programme "
        "of the pitch moves their match along.",
    ),
)
class MeetingViewSet(
    ApiViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Follow-up meetings the user is party to (curators: all)."""

    serializer_class = MeetingSerializer
    filterset_class = MeetingFilter
    permission_classes = AUTHENTICATED
    lookup_value_regex = ID_REGEX

    def get_queryset(self):
        return selectors.meetings_visible_to(user=self.request.user).order_by(
            "-created_at", "id"
        )

    def create(self, request, *args, **kwargs):
        if not mm_selectors.member_state_ids(user=request.user):
            raise exceptions.PermissionDenied(
                _("Only member-state delegates ask for meetings.")
            )
        payload = MeetingRequestSerializer(
            data=request.data, context={"request": request}
        )
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        meeting = services.request_meeting(
            user=request.user,
            pitch=data.pop("pitch"),
            member_state=data.pop("member_state"),
            message=data.get("message", ""),
            need=data.get("need"),
            programme=data.get("programme"),
        )
        return Response(
            MeetingSerializer(self.get_queryset().get(pk=meeting.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        responses={200: MeetingSerializer(many=True), **errors(401, 429)},
        description="The user's accepted meetings (as requester or presenter), "
        "in time order.",
    )
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def schedule(self, request):
        """The personal meeting schedule."""
        meetings = selectors.meeting_schedule_of(user=request.user)
        return Response(MeetingSerializer(meetings, many=True).data)

    accept = _meeting_answer(
        "accept",
        "The presenter accepts; the meeting takes the chosen (or first) free table.",
        MeetingAcceptSerializer,
    )
    decline = _meeting_answer(
        "decline", "The presenter declines the request.", ReasonSerializer
    )
    cancel = _meeting_answer(
        "cancel",
        "Either side calls off a requested or accepted meeting.",
        ReasonSerializer,
    )
