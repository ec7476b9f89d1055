"""REST API v1 of the matchmaking side: thin viewsets over selectors and services.

Every queryset comes from a selector, so an object the user may not see answers
404 exactly like a missing one; writes go through services.
"""

from __future__ import annotations

import dataclasses
import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator as DjangoPaginator
from django.db import transaction
from django.db.models import Count, F, Q
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from . import audit, selectors, services, tagkeys, tokens, translations
from .api_cache import CachedReadMixin
from .enums import ACTIVE_NEED_STATUSES, MatchStatus
from .filters import (
    CountryFilter,
    MatchFilter,
    NeedFilter,
    ProgrammeFilter,
    ProviderFilter,
    RegionFilter,
)
from .models import (
    ApiToken,
    AssistanceType,
    Audience,
    CostModel,
    Country,
    DeliveryMode,
    Language,
    Match,
    Need,
    Priority,
    Programme,
    Region,
    StakeholderGroup,
    Theme,
    Topic,
)
from .permissions import AUTHENTICATED, CURATORS, PUBLIC_READ, SessionOnlyForWrites
from .serializers import (
    ApiTokenCreatedSerializer,
    ApiTokenCreateSerializer,
    ApiTokenSerializer,
    CompleteSerializer,
    CountrySerializer,
    DeclineSerializer,
    ErrorSerializer,
    GapStatsSerializer,
    MatchSerializer,
    NeedSerializer,
    NeedStatusSerializer,
    NoteSerializer,
    ProgrammeSerializer,
    ProgrammeStatusSerializer,
    ProposeMatchSerializer,
    ProviderSerializer,
    ProviderWriteSerializer,
    RegionSerializer,
    TaxonomySerializer,
)

logger = logging.getLogger(__name__)

REF_REGEX = r"[-a-zA-Z0-9_]{1,100}"
ID_REGEX = r"[0-9]{1,18}"

# --- errors -------------------------------------------------------------------

_DESCRIPTIONS = {
    400: "Invalid input, filter or action; `fields` names the culprits.",
    401: "Not authenticated, or an invalid, expired or revoked token.",
    403: "Authenticated but not allowed (role, or a read-only token writing).",
    404: "No such object, or one you may not see (the two are indistinguishable).",
    429: "Too many requests; retry after the `Retry-After` header's seconds.",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """Documented error responses, all in the one error shape."""
    return {
        code: OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[code])
        for code in codes
    }


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """Nested serializer errors as ``{"feedback.rating": ["..."]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif (
        isinstance(detail, list)
        and detail
        and not all(isinstance(item, str) for item in detail)
    ):
        for index, item in enumerate(detail):
            flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        items = detail if isinstance(detail, list) else [detail]
        flat[prefix or "non_field_errors"] = [str(item) for item in items]
    return flat


class PayloadTooLarge(exceptions.APIException):
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE (Django refuses to read it)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "too_large"


def api_exception_handler(exc, context):
    """One JSON error shape for every failure; never a traceback."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError()
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("API error", exc_info=exc)
        set_rollback()
        return Response(
            {
                "error": {
                    "status": 500,
                    "code": "server_error",
                    "message": _("Internal server error."),
                }
            },
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    body: dict = {"status": response.status_code}
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        body["code"] = "invalid"
        body["message"] = next(iter(fields.values()))[0] if fields else _("Invalid.")
        body["fields"] = fields
    else:
        detail = getattr(exc, "detail", "")
        body["code"] = getattr(detail, "code", None) or "error"
        body["message"] = str(detail)
    response.data = {"error": body}
    return response


def document_bad_parameters(result, generator, request, public):
    """Schema hook: every operation may answer 400 (an unknown ``format``)."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            operation.get("responses", {}).setdefault(
                "400",
                {
                    "description": "Invalid query parameter, for example an "
                    "unknown `format`; `fields` names it.",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/Error"}
                        }
                    },
                },
            )
    return result


def check_query_params(request) -> None:
    """PostgreSQL text cannot hold NUL: refuse such parameters before any lookup."""
    for key, values in request.query_params.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            raise exceptions.ValidationError(
                {key.replace("\x00", ""): [_("Null characters are not allowed.")]}
            )


# --- shared view plumbing ---------------------------------------------------


class ShortListPaginator(DjangoPaginator):
    """Django's paginator, without the COUNT query when the first page is all.

    The first page is read with one row more than it holds: when that row is
    not there, the count is the rows read (most nested lists, most filtered
    lists). Otherwise the count is asked as before, and the rows already read
    make the page.
    """

    def page(self, number):
        if str(number) != "1" or "count" in self.__dict__:
            return super().page(number)
        rows = list(self.object_list[: self.per_page + 1])
        if len(rows) <= self.per_page:
            self.__dict__["count"] = len(rows)  # Paginator.count is cached
        return self._get_page(rows[: self.per_page], 1, self)


class ApiPagination(PageNumberPagination):
    """Page numbers, ``page_size`` capped at 100; a bad page is a 400 naming it."""

    django_paginator_class = ShortListPaginator
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters

    def paginate_queryset(self, queryset, request, view=None):
        if hasattr(queryset, "ordered") and not queryset.ordered:
            queryset = queryset.order_by("pk")  # e.g. after ?ordering= (empty)
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound as invalid:
            raise exceptions.ValidationError({"page": [invalid.detail]}) from None


PAGING = frozenset({"page", "page_size"})


class ApiViewMixin:
    """Pagination, filtering and parameter hygiene common to every viewset."""

    pagination_class = ApiPagination
    filter_backends = [DjangoFilterBackend]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        check_query_params(request)

    def get_object(self):
        """DRF's lookup; a 404 on an object that exists leaves a security record."""
        try:
            return super().get_object()
        except Http404:
            value = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
            if value is not None:
                audit.note_if_hidden(
                    self.request,
                    self.get_queryset().model,
                    **{self.lookup_field: value},
                )
            raise

    def filtered_page(self, filterset_class, queryset, serializer_class):
        """Filter, paginate and serialize a nested list."""
        if set(self.request.query_params) > PAGING:
            filterset = filterset_class(
                self.request.query_params, queryset=queryset, request=self.request
            )
            if not filterset.is_valid():
                raise exceptions.ValidationError(filterset.errors)
            queryset = filterset.qs
        # else no filter given: skip building the filter form
        page = self.paginate_queryset(queryset)
        data = serializer_class(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(data.data)


class DocumentSchema(AutoSchema):
    """For a ViewSet whose ``list`` returns one document, not a list of items."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


LIST_ERRORS = errors(400, 401, 429)
READ_ERRORS = errors(401, 404, 429)
WRITE_ERRORS = errors(400, 401, 403, 404, 429)


def paginated(serializer_class, name: str):
    """An OpenAPI shape for a paginated nested list."""
    return inline_serializer(
        name=name,
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )


# --- reference data -----------------------------------------------------------


@extend_schema_view(
    list=extend_schema(responses={200: CountrySerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: CountrySerializer, **READ_ERRORS}),
)
class CountryViewSet(CachedReadMixin, ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """UN M49 countries and areas with their regions and LDC/LLDC/SIDS flags."""

    queryset = Country.objects.all()
    serializer_class = CountrySerializer
    filterset_class = CountryFilter
    permission_classes = PUBLIC_READ
    lookup_field = "iso3"
    lookup_value_regex = "[A-Za-z]{3}"

    def get_object(self):
        self.kwargs["iso3"] = self.kwargs["iso3"].upper()
        return super().get_object()


@extend_schema_view(
    list=extend_schema(responses={200: RegionSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: RegionSerializer, **READ_ERRORS}),
)
class RegionViewSet(CachedReadMixin, ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """M49 regions, sub-regions and intermediate regions."""

    queryset = Region.objects.all()
    serializer_class = RegionSerializer
    filterset_class = RegionFilter
    permission_classes = PUBLIC_READ
    lookup_field = "code"
    lookup_value_regex = "[0-9]{3}"


class TaxonomyViewSet(CachedReadMixin, ApiViewMixin, viewsets.ViewSet):
    """The controlled vocabularies: themes with their topics, and the others."""

    permission_classes = PUBLIC_READ
    queryset = Theme.objects.none()  # for the schema generator only
    pagination_class = None  # one document, not a list
    schema = DocumentSchema()

    @extend_schema(responses={200: TaxonomySerializer, **errors(401, 429)})
    def list(self, request):
        def vocab(model):
            return model.objects.order_by("position", "slug")

        data = {
            "themes": Theme.objects.order_by("position", "slug").prefetch_related(
                "topics"
            ),
            "assistance_types": vocab(AssistanceType),
            "audiences": vocab(Audience),
            "delivery_modes": vocab(DeliveryMode),
            "stakeholder_groups": vocab(StakeholderGroup),
            "cost_models": vocab(CostModel),
            "priorities": vocab(Priority),
            "languages": Language.objects.order_by("code"),
        }
        return Response(TaxonomySerializer(data).data)


@extend_schema_view(
    list=extend_schema(responses={200: ProviderSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: ProviderSerializer, **READ_ERRORS}),
    create=extend_schema(
        request=ProviderWriteSerializer,
        responses={201: ProviderSerializer, **errors(400, 401, 403, 429)},
        description="A signed-in user who acts for no organisation registers one: "
        "it starts unverified and the user becomes its member.",
        examples=[
            OpenApiExample(
                "Register a provider",
                request_only=True,
                value={
                    "name": "Cyber Capacity Foundation",
                    "stakeholder_group": "civil-society",
                    "country": "KEN",
                    "website": "https://example.org",
                    "description": "Trains CSIRT staff in East Africa.",
                },
            )
        ],
    ),
    update=extend_schema(
        request=ProviderWriteSerializer,
        responses={200: ProviderSerializer, **WRITE_ERRORS},
        description="Members of the provider (and curators) edit its profile; "
        "`is_verified` is never written here.",
    ),
    partial_update=extend_schema(
        request=ProviderWriteSerializer,
        responses={200: ProviderSerializer, **WRITE_ERRORS},
    ),
)
class ProviderViewSet(
    CachedReadMixin,
    ApiViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Organisations offering programmes (public); registered and edited by users."""

    serializer_class = ProviderSerializer
    filterset_class = ProviderFilter
    permission_classes = PUBLIC_READ
    lookup_field = "ref"
    lookup_value_regex = REF_REGEX

    def get_queryset(self):
        return selectors.providers_visible_to(user=self.request.user)

    def get_permissions(self):
        if self.action in ("verify", "unverify"):
            return [permission() for permission in CURATORS]
        return super().get_permissions()

    def _reloaded(self, provider, code=status.HTTP_200_OK):
        obj = self.get_queryset().get(pk=provider.pk)
        return Response(ProviderSerializer(obj).data, status=code)

    def create(self, request, *args, **kwargs):
        if selectors.member_state_ids(user=request.user) or selectors.provider_ids(
            user=request.user
        ):
            raise exceptions.PermissionDenied(_("You already act for an organisation."))
        payload = ProviderWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        provider = services.register_provider(
            user=request.user, data=dict(payload.validated_data)
        )
        return self._reloaded(provider, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        provider = self.get_object()
        if not (
            selectors.is_curator(request.user)
            or provider.pk in selectors.provider_ids(user=request.user)
        ):
            raise exceptions.PermissionDenied
        payload = ProviderWriteSerializer(
            provider, data=request.data, partial=kwargs.get("partial", False)
        )
        payload.is_valid(raise_exception=True)
        provider = services.update_provider(
            user=request.user, provider=provider, data=dict(payload.validated_data)
        )
        return self._reloaded(provider)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(
        request=None,
        responses={200: ProviderSerializer, **errors(401, 403, 404, 429)},
        description="Curators vouch for the provider.",
    )
    @action(detail=True, methods=["post"])
    def verify(self, request, ref=None):
        """Mark the provider verified (curators)."""
        provider = services.verify_provider(
            user=request.user, provider=self.get_object(), verified=True
        )
        return self._reloaded(provider)

    @extend_schema(
        request=None,
        responses={200: ProviderSerializer, **errors(401, 403, 404, 429)},
        description="Curators withdraw their trust in the provider.",
    )
    @action(detail=True, methods=["post"])
    def unverify(self, request, ref=None):
        """Mark the provider unverified (curators)."""
        provider = services.verify_provider(
            user=request.user, provider=self.get_object(), verified=False
        )
        return self._reloaded(provider)


# --- needs and programmes ---------------------------------------------------


class TaggedViewSet(
    CachedReadMixin,
    ApiViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Create and update through services; no deletion (withdraw or close).

    Deliberately no Create/UpdateModelMixin: their serializer.save() would
    bypass the services and their permission checks.
    """

    permission_classes = PUBLIC_READ
    lookup_field = "ref"
    lookup_value_regex = REF_REGEX

    def reload(self, obj):
        return self.get_queryset().get(pk=obj.pk)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None and self.action == "list":
            # The tags of the whole page in one query (see tagkeys).
            tagkeys.attach_tag_keys(page)
        return page

    def filter_queryset(self, queryset):
        if self.action == "matches":  # filtered by filtered_page instead
            return queryset
        if self.action == "list" and set(self.request.query_params) <= PAGING:
            return queryset  # no filter given: skip building the filter form
        return super().filter_queryset(queryset)

    def _validated(self, instance=None, partial=False):
        serializer = self.get_serializer(
            instance, data=self.request.data, partial=partial
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("publish", None)
        return serializer, data

    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        if not self.can_edit(instance):
            raise exceptions.PermissionDenied
        _serializer, data = self._validated(instance, kwargs.get("partial", False))
        items = data.pop("translations", None)
        with transaction.atomic():
            obj = self.update_service(instance, data)
            self.save_translations(obj, items)
        return Response(self.get_serializer(self.reload(obj)).data)

    def save_translations(self, obj, items) -> None:
        """Replace the record's translations when the request gave the list."""
        if items is None:
            return
        translations.replace_translations(
            user=self.request.user,
            obj=obj,
            items=items,
            can_edit=lambda: self.can_edit(obj),
        )

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def set_status(self, request, service, serializer_class):
        instance = self.get_object()
        if not self.can_edit(instance):
            raise exceptions.PermissionDenied
        payload = serializer_class(data=request.data)
        payload.is_valid(raise_exception=True)
        obj = service(instance, payload.validated_data["status"])
        return Response(self.get_serializer(self.reload(obj)).data)


MATCH_PAGE = paginated(MatchSerializer, "PaginatedNestedMatchList")


@extend_schema_view(
    list=extend_schema(responses={200: NeedSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: NeedSerializer, **READ_ERRORS}),
    create=extend_schema(responses={201: NeedSerializer, **errors(400, 401, 403, 429)}),
    update=extend_schema(responses={200: NeedSerializer, **WRITE_ERRORS}),
    partial_update=extend_schema(responses={200: NeedSerializer, **WRITE_ERRORS}),
)
class NeedViewSet(TaggedViewSet):
    """Needs of member states, as far as the user may see them."""

    serializer_class = NeedSerializer
    filterset_class = NeedFilter

    def get_queryset(self):
        if self.action == "matches":  # the nested list (and its schema) is of matches
            return selectors.matches_visible_to(user=self.request.user)
        return selectors.needs_visible_to(
            user=self.request.user, with_tags=False
        ).prefetch_related("shared_with", "translations")

    def can_edit(self, need: Need) -> bool:
        return services.can_edit_need(user=self.request.user, need=need)

    def create(self, request, *args, **kwargs):
        user = request.user
        if not (selectors.is_curator(user) or selectors.member_state_ids(user=user)):
            raise exceptions.PermissionDenied(
                _("Only member-state users and curators post needs.")
            )
        serializer, data = self._validated()
        member_state = data.pop("member_state")
        items = data.pop("translations", None)
        with transaction.atomic():
            need = services.create_need(
                user=user,
                member_state=member_state,
                data=data,
                publish=serializer.validated_data.get("publish", False),
            )
            self.save_translations(need, items)
        return Response(
            self.get_serializer(self.reload(need)).data, status=status.HTTP_201_CREATED
        )

    def update_service(self, need, data):
        return services.update_need(user=self.request.user, need=need, data=data)

    @extend_schema(
        request=NeedStatusSerializer,
        responses={200: NeedSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="status")
    def status(self, request, ref=None):
        """Publish, withdraw, close or reopen a need."""
        return self.set_status(
            request,
            lambda need, new: services.set_need_status(
                user=request.user, need=need, status=new
            ),
            NeedStatusSerializer,
        )

    @extend_schema(
        parameters=[OpenApiParameter("page_size", OpenApiTypes.INT)],
        filters=True,
        responses={200: MATCH_PAGE, **errors(400, 401, 404, 429)},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="matches",
        permission_classes=AUTHENTICATED,
        filterset_class=MatchFilter,
        serializer_class=MatchSerializer,
    )
    def matches(self, request, ref=None):
        """Programmes ranked for the need (rank, then score), with explanations."""
        need = audit.get_visible_or_404(
            request,
            selectors.needs_visible_to(user=request.user).prefetch_related(None),
            ref=ref,
        )
        queryset = (
            self.get_queryset()
            .filter(need=need)
            .order_by(F("rank").asc(nulls_last=True), "-score", "programme_id")
        )
        return self.filtered_page(MatchFilter, queryset, MatchSerializer)


@extend_schema_view(
    list=extend_schema(responses={200: ProgrammeSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: ProgrammeSerializer, **READ_ERRORS}),
    create=extend_schema(
        responses={201: ProgrammeSerializer, **errors(400, 401, 403, 429)}
    ),
    update=extend_schema(responses={200: ProgrammeSerializer, **WRITE_ERRORS}),
    partial_update=extend_schema(responses={200: ProgrammeSerializer, **WRITE_ERRORS}),
)
class ProgrammeViewSet(TaggedViewSet):
    """Programmes of providers: published ones for all, drafts for their provider."""

    serializer_class = ProgrammeSerializer
    filterset_class = ProgrammeFilter

    def get_queryset(self):
        if self.action == "matches":  # the nested list (and its schema) is of matches
            return selectors.matches_visible_to(user=self.request.user)
        return selectors.programmes_visible_to(
            user=self.request.user, with_tags=False
        ).prefetch_related("translations")

    def can_edit(self, programme: Programme) -> bool:
        return services.can_edit_programme(user=self.request.user, programme=programme)

    def create(self, request, *args, **kwargs):
        user = request.user
        if not (selectors.is_curator(user) or selectors.provider_ids(user=user)):
            raise exceptions.PermissionDenied(
                _("Only provider users and curators register programmes.")
            )
        serializer, data = self._validated()
        provider = data.pop("provider")
        items = data.pop("translations", None)
        with transaction.atomic():
            programme = services.create_programme(
                user=user,
                provider=provider,
                data=data,
                publish=serializer.validated_data.get("publish", False),
            )
            self.save_translations(programme, items)
        return Response(
            self.get_serializer(self.reload(programme)).data,
            status=status.HTTP_201_CREATED,
        )

    def update_service(self, programme, data):
        return services.update_programme(
            user=self.request.user, programme=programme, data=data
        )

    @extend_schema(
        request=ProgrammeStatusSerializer,
        responses={200: ProgrammeSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="status")
    def status(self, request, ref=None):
        """Publish, pause, close or reopen a programme."""
        return self.set_status(
            request,
            lambda programme, new: services.set_programme_status(
                user=request.user, programme=programme, status=new
            ),
            ProgrammeStatusSerializer,
        )

    @extend_schema(
        parameters=[OpenApiParameter("page_size", OpenApiTypes.INT)],
        filters=True,
        responses={200: MATCH_PAGE, **errors(400, 401, 404, 429)},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="matches",
        permission_classes=AUTHENTICATED,
        filterset_class=MatchFilter,
        serializer_class=MatchSerializer,
    )
    def matches(self, request, ref=None):
        """Needs this programme is matched with, as far as the user may see them."""
        programme = audit.get_visible_or_404(
            request,
            selectors.programmes_visible_to(user=request.user).prefetch_related(None),
            ref=ref,
        )
        queryset = (
            self.get_queryset()
            .filter(programme=programme)
            .order_by("-score", F("rank").asc(nulls_last=True), "need_id")
        )
        return self.filtered_page(MatchFilter, queryset, MatchSerializer)


# --- matches ------------------------------------------------------------------


def _match_action(name: str, request_serializer, doc: str):
    """A POST action moving a match along its workflow through the service."""

    def handler(self, request, pk=None):
        match = self.get_object()
        payload = request_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        match = services.transition_match(
            user=request.user,
            match=match,
            action=name,
            note=data.get("reason") or data.get("note", ""),
            feedback=data.get("feedback"),
        )
        return Response(MatchSerializer(self.get_queryset().get(pk=match.pk)).data)

    handler.__name__ = name
    handler.__doc__ = doc
    routed = action(
        detail=True, methods=["post"], url_path=name.replace("_", "-"), url_name=name
    )(handler)
    return extend_schema(
        request=request_serializer,
        responses={200: MatchSerializer, **WRITE_ERRORS},
        description=doc,
    )(routed)


@extend_schema_view(
    list=extend_schema(responses={200: MatchSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: MatchSerializer, **READ_ERRORS}),
    create=extend_schema(
        request=ProposeMatchSerializer,
        responses={201: MatchSerializer, **errors(400, 401, 403, 429)},
        description="A curator proposes a programme for a need, with a note.",
    ),
)
class MatchViewSet(
    CachedReadMixin,
    ApiViewMixin,
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
        return Response(
            MatchSerializer(self.get_queryset().get(pk=match.pk)).data,
            status=status.HTTP_201_CREATED,
        )

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


# --- tokens -------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(responses={200: ApiTokenSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: ApiTokenSerializer, **READ_ERRORS}),
    create=extend_schema(
        request=ApiTokenCreateSerializer,
        responses={201: ApiTokenCreatedSerializer, **errors(400, 401, 403, 429)},
        description="Create a token; the key is in this response only.",
    ),
    destroy=extend_schema(
        responses={204: None, **errors(401, 403, 404, 429)},
        description="Revoke the token (it stays listed, with `revoked_at`).",
    ),
)
class ApiTokenViewSet(
    ApiViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The signed-in user's own personal API tokens."""

    serializer_class = ApiTokenSerializer
    permission_classes = [*AUTHENTICATED, SessionOnlyForWrites]
    lookup_value_regex = ID_REGEX
    filterset_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return ApiToken.objects.filter(user=self.request.user)

    def create(self, request, *args, **kwargs):
        payload = ApiTokenCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        token, key = tokens.create_token(user=request.user, **payload.validated_data)
        data = ApiTokenSerializer(token).data
        data["key"] = key
        return Response(data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        tokens.revoke_token(user=request.user, token=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- dataset ------------------------------------------------------------------


class DatasetViewSet(ApiViewMixin, viewsets.ViewSet):
    """Bulk exchange in ``cbm-dataset/1``."""

    permission_classes = PUBLIC_READ
    throttle_scope = "dataset"

    def get_permissions(self):
        if self.action == "import_":
            return [permission() for permission in CURATORS]
        return super().get_permissions()

    @extend_schema(
        responses={200: OpenApiTypes.OBJECT, **errors(401, 429)},
        description="The providers, programmes and needs you may see, as "
        "`cbm-dataset/1`.",
    )
    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request):
        from .dataset import export_dataset

        user = request.user
        document = export_dataset(
            providers=selectors.providers_visible_to(user=user),
            programmes=selectors.programmes_visible_to(user=user),
            needs=selectors.needs_visible_to(user=user),
        )
        return Response(document)

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={
            200: inline_serializer(
                name="ImportResult",
                fields={
                    "created": serializers.DictField(child=serializers.IntegerField()),
                    "updated": serializers.DictField(child=serializers.IntegerField()),
                    "unchanged": serializers.DictField(
                        child=serializers.IntegerField()
                    ),
                },
            ),
            **errors(400, 401, 403, 429),
        },
        description="Curators: upsert a `cbm-dataset/1` document by ref; on any "
        "problem nothing is written and the problems are listed.",
    )
    @action(detail=False, methods=["post"], url_path="import", url_name="import")
    def import_(self, request):
        from .dataset import DatasetInvalid, import_dataset

        try:
            result = import_dataset(data=request.data, user=request.user)
        except DatasetInvalid as invalid:
            problems = [dataclasses.asdict(problem) for problem in invalid.problems]
            first = invalid.problems[0] if invalid.problems else None
            return Response(
                {
                    "error": {
                        "status": 400,
                        "code": "invalid_dataset",
                        "message": str(first) if first else _("Invalid dataset."),
                        "problems": problems,
                    }
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(dataclasses.asdict(result))


# --- gap statistics -----------------------------------------------------------

SUPPRESS_BELOW = 3

# by -> (grouping path from Need, label source)
GAP_DIMENSIONS: dict[str, tuple[str, type | None]] = {
    "theme": ("topics__theme", Theme),
    "topic": ("topics", Topic),
    "region": ("member_state__country__region", Region),
    "subregion": ("member_state__country__subregion", Region),
    "ldc": ("member_state__country__is_ldc", None),
    "lldc": ("member_state__country__is_lldc", None),
    "sids": ("member_state__country__is_sids", None),
}


def _gap_key(key) -> str:
    return str(key).lower() if isinstance(key, bool) else str(key)


def _gap_label(by: str, key, labels: dict) -> str:
    if isinstance(key, bool):
        return by.upper() if key else _("Not %(group)s") % {"group": by.upper()}
    return labels.get(key, str(key))


class GapQuerySerializer(serializers.Serializer):
    by = serializers.ChoiceField(choices=sorted(GAP_DIMENSIONS), default="theme")


class GapStatsViewSet(ApiViewMixin, viewsets.ViewSet):
    """Where needs go unanswered: counts by theme, topic, region, LDC/LLDC/SIDS."""

    permission_classes = PUBLIC_READ
    queryset = Need.objects.none()  # for the schema generator only
    pagination_class = None  # one document, not a list
    schema = DocumentSchema()

    @extend_schema(
        parameters=[GapQuerySerializer],
        responses={200: GapStatsSerializer, **errors(400, 401, 429)},
        description="Open needs (open or in discussion), distinct programmes "
        "matched to them (declined matches excluded) and needs flagged unmet, per "
        "group, over the needs you may see. For everyone but curators, counts of "
        "1 or 2 are given as null so that small groups cannot single out a need.",
    )
    def list(self, request):
        query = GapQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        by = query.validated_data["by"]
        path, label_model = GAP_DIMENSIONS[by]
        user = request.user
        needs = (
            selectors.needs_visible_to(user=user)
            .filter(status__in=ACTIVE_NEED_STATUSES)
            .prefetch_related(None)
            .select_related(None)
            .values("pk")
        )
        need_rows = (
            Need.objects.filter(pk__in=needs)
            .values(key=F(path))
            .annotate(
                open_needs=Count("pk", distinct=True),
                unmet_needs=Count("pk", distinct=True, filter=~Q(unmet_reason="")),
            )
            .order_by("key")
        )
        programmes = (
            selectors.programmes_visible_to(user=user)
            .prefetch_related(None)
            .select_related(None)
            .values("pk")
        )
        programme_counts = dict(
            Match.objects.filter(need__in=needs, programme__in=programmes)
            .exclude(status=MatchStatus.DECLINED)
            .values(key=F(f"need__{path}"))
            .annotate(n=Count("programme", distinct=True))
            .order_by()
            .values_list("key", "n")
        )
        rows = [row for row in need_rows if row["key"] is not None]
        labels = {}
        if label_model is not None:
            labels = {
                obj.pk: str(obj.name)
                for obj in label_model.objects.filter(pk__in=[r["key"] for r in rows])
            }
        suppress = not selectors.is_curator(user)

        def shown(value: int) -> int | None:
            return None if suppress and 0 < value < SUPPRESS_BELOW else value

        results = [
            {
                "key": _gap_key(row["key"]),
                "label": _gap_label(by, row["key"], labels),
                "open_needs": shown(row["open_needs"]),
                "matching_programmes": shown(programme_counts.get(row["key"], 0)),
                "unmet_needs": shown(row["unmet_needs"]),
            }
            for row in rows
        ]
        return Response(
            {
                "by": by,
                "suppressed_below": SUPPRESS_BELOW if suppress else None,
                "results": results,
            }
        )
