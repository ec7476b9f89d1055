"""What every API resource shares: the one error shape, pagination, strict query
parameters and schema helpers.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator as DjangoPaginator
from django.db import transaction
from django.db.models import Model
from django.db.models import QuerySet
from django.http import Http404
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from drf_spectacular.utils import OpenApiResponse
from drf_spectacular.utils import extend_schema
from drf_spectacular.utils import extend_schema_view
from drf_spectacular.utils import inline_serializer
from rest_framework import exceptions
from rest_framework import mixins
from rest_framework import serializers
from rest_framework import status
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from matchmaking import api_cache
from matchmaking import audit
from matchmaking import selectors
from matchmaking import services
from matchmaking import tagkeys
from matchmaking import translations
from matchmaking.api import contract
from matchmaking.api.filters import ApiFilterBackend
from matchmaking.api.filters import MatchFilter
from matchmaking.api.filters import parameter_errors
from matchmaking.api.permissions import AUTHENTICATED
from matchmaking.api.permissions import PUBLIC_READ
from matchmaking.api.serializers import ErrorSerializer
from matchmaking.api.serializers import MatchSerializer
from matchmaking.api_cache import CachedReadMixin
from matchmaking.models import Match
from matchmaking.prepared import Prepared

logger = logging.getLogger(__name__)


REF_REGEX = r"[-a-zA-Z0-9_]{1,100}"


ID_REGEX = r"[0-9]{1,18}"


ERROR_DESCRIPTIONS = {
    400: "Invalid input, filter or action; `fields` names the culprits.",
    401: "Not authenticated, or an invalid, expired or revoked token.",
    403: "Authenticated but not allowed (role, or a read-only token writing).",
    404: "No such object, or one you may not see (the two are indistinguishable).",
    409: "The request conflicts with the current state of the object.",
    413: "The request body is larger than the operation accepts.",
    415: "The body's media type is not one the operation accepts (see the "
    "request body's content types).",
    429: "Too many requests; retry after the `Retry-After` header's seconds.",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """Documented error responses, all in the one error shape."""
    return {
        code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
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


MAX_PAGE_SIZE = 100


def whole_number(request, name: str, *, low: int, high: int) -> int | None:
    """A query parameter as an int in [low, high]; otherwise a 400 naming it."""
    values = request.query_params.getlist(name)
    if not values:
        return None
    text = values[-1].strip()
    if len(values) > 1 or not text.isascii() or not text.isdigit():
        number = None
    else:
        number = int(text[:20])
    if number is None or not low <= number <= high:
        raise exceptions.ValidationError(
            {
                name: [
                    _("Enter a whole number from %(low)s to %(high)s.")
                    % {"low": low, "high": high}
                ]
            }
        )
    return number


# The paging parameters of a nested list (a detail action's page of items).
PAGING_PARAMETERS = [
    OpenApiParameter(
        "page",
        {"type": "integer", "minimum": 1},
        description="A page number within the paginated result set.",
    ),
    OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        description=f"Items per page, 1 to {MAX_PAGE_SIZE} (default 25).",
    ),
]


class ApiPagination(PageNumberPagination):
    """Page numbers, ``page_size`` 1-100; a bad page or size is a 400 naming it."""

    django_paginator_class = ShortListPaginator
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        size = whole_number(
            request, self.page_size_query_param, low=1, high=self.max_page_size
        )
        return self.page_size if size is None else size

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["minimum"] = 1
                parameter["schema"]["maximum"] = self.max_page_size
                parameter["description"] = (
                    f"Items per page, 1 to {self.max_page_size} (default "
                    f"{self.page_size})."
                )
        return parameters

    def paginate_queryset(self, queryset, request, view=None):
        if hasattr(queryset, "ordered") and not queryset.ordered:
            queryset = queryset.order_by("pk")  # e.g. after ?ordering= (empty)
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound as invalid:
            raise exceptions.ValidationError({"page": [invalid.detail]}) from None


PAGING = frozenset({"page", "page_size"})


# docs/api.md "Deprecation": a deprecated v1 endpoint or field keeps working for at
# least this long after its Deprecation date, then may go (its Sunset date).
MIN_DEPRECATION = dt.timedelta(days=180)


@dataclass(frozen=True)
class Deprecation:
    """A deprecated endpoint: since when, when it may go, what replaces it."""

    since: dt.date
    sunset: dt.date
    successor: str  # the path of the replacement

    def __post_init__(self) -> None:
        if self.sunset - self.since < MIN_DEPRECATION:
            raise ValueError("a sunset at least MIN_DEPRECATION after deprecation")

    def headers(self) -> dict[str, str]:
        """RFC 9745 ``Deprecation``, RFC 8594 ``Sunset`` and their links."""
        since = dt.datetime.combine(self.since, dt.time(), tzinfo=dt.UTC)
        sunset = dt.datetime.combine(self.sunset, dt.time(), tzinfo=dt.UTC)
        return {
            "Deprecation": f"@{int(since.timestamp())}",
            "Sunset": http_date(sunset.timestamp()),
            "Link": f'<{self.successor}>; rel="successor-version"',
        }


class ApiViewMixin:
    """Pagination, filtering and parameter hygiene common to every viewset."""

    pagination_class = ApiPagination
    filter_backends = [ApiFilterBackend]
    deprecation: Deprecation | None = None

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # The memo ends with the request (the user object may outlive it).
        selectors.memoise_memberships(user=request.user, enabled=False)
        if self.deprecation is not None:
            for name, value in self.deprecation.headers().items():
                response[name] = value
        return response

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # A read asks for the user's memberships several times: once is enough.
        selectors.memoise_memberships(
            user=request.user, enabled=request.method in ("GET", "HEAD")
        )
        check_query_params(request)
        contract.refuse_unknown_parameters(request)

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

    def reloaded(
        self, obj, code: int = status.HTTP_200_OK, *, serializer_class=None
    ) -> Response:
        """Answer a write with the row as the ViewSet reads it (its selector's
        visibility and annotations), in its ``serializer_class`` unless told."""
        row = self.get_queryset().get(pk=obj.pk)
        serializer = (serializer_class or self.serializer_class)(row)
        return Response(serializer.data, status=code)

    def can_translate(self, obj) -> bool:
        """Whether the user may replace ``obj``'s translations (views that
        write translations say)."""
        raise NotImplementedError

    def save_translations(self, obj, items) -> None:
        """Replace the record's translations when the request gave the list."""
        if items is None:
            return
        translations.replace_translations(
            user=self.request.user,
            obj=obj,
            items=items,
            can_edit=lambda: self.can_translate(obj),
        )

    def filtered_page(self, filterset_class, queryset, serializer_class, each=None):
        """Filter, paginate and serialize a nested list (``each``: called with
        every item of the page first)."""
        if not set(self.request.query_params) <= PAGING:
            filterset = filterset_class(
                self.request.query_params, queryset=queryset, request=self.request
            )
            if not filterset.is_valid():
                raise exceptions.ValidationError(parameter_errors(filterset))
            queryset = filterset.qs
        # else no filter given: skip building the filter form
        page = self.paginate_queryset(queryset)
        if each is not None:
            for item in page:
                each(item)
        data = serializer_class(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(data.data)


class OwnRowsViewSet(
    ApiViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The signed-in user's own rows (tokens, webhooks, saved searches,
    notifications): listed and read by id, no filters."""

    permission_classes = AUTHENTICATED
    lookup_value_regex = ID_REGEX
    filterset_class = None
    # The rows' model: the schema generator has no user whose rows to list.
    model: type[Model]

    def rows_of(self, user) -> QuerySet:
        """The rows ``user`` owns."""
        raise NotImplementedError

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.model.objects.none()
        return self.rows_of(self.request.user)


class DocumentSchema(AutoSchema):
    """For a ViewSet whose ``list`` returns one document, not a list of items."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


LIST_ERRORS = errors(400, 401, 429)


READ_ERRORS = errors(401, 404, 429)


WRITE_ERRORS = errors(400, 401, 403, 404, 429)


def detail_post(url_path: str, permission_classes=None, *, url_name: str = ""):
    """A POST action on one object, at ``url_path`` (named alike unless told),
    which no filter narrows; with the ViewSet's permissions unless others are
    given."""
    options = (
        {} if permission_classes is None else {"permission_classes": permission_classes}
    )
    return action(
        detail=True,
        methods=["post"],
        url_path=url_path,
        url_name=url_name or url_path,
        filterset_class=None,
        **options,
    )


def documented_action(handler, name: str, doc: str, *, request, answer, **options):
    """``handler`` as the POST action ``name`` on one object, described by
    ``doc``: its body ``request``, its answer ``answer`` or a write error.
    ``options``: ``examples`` for the schema, the rest for ``@action``."""
    handler.__name__ = name
    handler.__doc__ = doc
    examples = options.pop("examples", None)
    routed = action(detail=True, methods=["post"], **options)(handler)
    return extend_schema(
        request=request,
        responses={200: answer, **WRITE_ERRORS},
        description=doc,
        examples=examples,
    )(routed)


def payload_action(name: str, doc: str, run, *, payload, answer, **route):
    """A workflow step on one object as a documented POST action ``name``: the
    body is checked with the ``payload`` serializer, ``run(request, obj, data)``
    calls the service, and the answer is the object as the ViewSet reads it,
    in ``answer``. ``route``: the ``@action`` options besides detail and method.
    """

    def handler(self, request, pk=None):
        obj = self.get_object()
        body = payload(data=request.data)
        body.is_valid(raise_exception=True)
        run(request, obj, body.validated_data)
        return self.reloaded(obj, serializer_class=answer)

    return documented_action(
        handler, name, doc, request=payload, answer=answer, **route
    )


def read_schemas(serializer: type[serializers.Serializer]) -> dict[str, Any]:
    """The documented answers of a resource's list and of one of its items, for
    ``@extend_schema_view(**read_schemas(Serializer), <its other actions>)``."""
    return {
        "list": extend_schema(responses={200: serializer(many=True), **LIST_ERRORS}),
        "retrieve": extend_schema(responses={200: serializer, **READ_ERRORS}),
    }


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


MATCH_PAGE = paginated(MatchSerializer, "PaginatedNestedMatchList")
# A match's own columns (the nested lists read them all).
MATCH_COLUMNS = tuple(field.name for field in Match._meta.concrete_fields)


def tagged_schema(
    serializer: type[serializers.Serializer],
    status_serializer: type[serializers.Serializer],
    *,
    status: str,
    matches: str,
):
    """The OpenAPI description of a :class:`TaggedViewSet` resource: its record
    ``serializer``, the ``status_serializer`` its status action takes, and what
    that action and its matches list do."""
    return extend_schema_view(
        **read_schemas(serializer),
        create=extend_schema(responses={201: serializer, **errors(400, 401, 403, 429)}),
        update=extend_schema(responses={200: serializer, **WRITE_ERRORS}),
        partial_update=extend_schema(responses={200: serializer, **WRITE_ERRORS}),
        status=extend_schema(
            request=status_serializer,
            responses={200: serializer, **WRITE_ERRORS},
            description=status,
        ),
        matches=extend_schema(description=matches),
    )


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
    # The family of the resource's records (see api_cache).
    record_family: str

    # Each resource says: how its matches are ordered, which serializer takes
    # a status change, and (methods) its records and why a user who may not
    # create one is refused (services.may_create_record says who may). The
    # writes are the services' need-or-programme steps (services.*_record).
    matches_order: tuple
    status_serializer: type[serializers.Serializer]
    # The nested match list reads the record once and, of the other side of
    # each match, only what MatchSerializer shows (fewer joins and columns):
    # the record's relations and columns, then the other side's.
    record_columns: tuple[tuple[str, ...], tuple[str, ...]]
    other_side: tuple[str, tuple[str, ...]]

    def records(self) -> QuerySet:
        """The needs or programmes the user may see (without their translations:
        ``get_queryset`` adds them, a list attaches them)."""
        raise NotImplementedError

    # The serializer field naming the state or provider a new record belongs to.
    owner_field: str

    def create_refused(self) -> str:
        """Why a user who may not create such records is refused."""
        raise NotImplementedError

    def can_edit(self, record) -> bool:
        return services.can_edit_record(user=self.request.user, record=record)

    def editable_record(self, ref):
        """The record ``ref`` for those who may edit it (its owners and
        curators): 401 signed out, 404 if they may not see it, else 403."""
        if not self.request.user.is_authenticated:
            raise exceptions.NotAuthenticated
        record = audit.get_visible_or_404(
            self.request, self.records().prefetch_related(None), ref=ref
        )
        if not self.can_edit(record):
            raise exceptions.PermissionDenied
        return record

    def can_translate(self, obj) -> bool:
        return self.can_edit(obj)

    def create(self, request, *args, **kwargs):
        model = self.records().model
        if not services.may_create_record(user=request.user, model=model):
            raise exceptions.PermissionDenied(self.create_refused())
        serializer, data = self._validated()
        owner = data.pop(self.owner_field)
        items = data.pop("translations", None)
        with transaction.atomic():
            record = services.create_record(
                user=request.user,
                owner=owner,
                data=data,
                publish=serializer.validated_data.get("publish", False),
            )
            self.save_translations(record, items)
        return Response(
            self.get_serializer(self.reload(record)).data,
            status=status.HTTP_201_CREATED,
        )

    def families_read(self) -> tuple[str, ...]:
        if self.action in ("list", "retrieve"):
            # A record reads its own rows, who may see it, and reference data;
            # its matches and the engine's other results read every family.
            return (self.record_family, api_cache.ORGANISATIONS, api_cache.REFERENCE)
        return super().families_read()

    def get_queryset(self):
        if self.action == "matches":  # the nested list (and its schema) is of matches
            return selectors.matches_visible_to(user=self.request.user)
        if self.action == "list":  # the page's translations: paginate_queryset
            return self.records()
        return self.records().prefetch_related(translations.prefetch_translations())

    def reload(self, obj):
        return self.get_queryset().get(pk=obj.pk)

    @extend_schema(
        parameters=PAGING_PARAMETERS,
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
        # Described by each resource (tagged_schema).
        # Need or Programme: the records' model, read without building records().
        model = type(self).serializer_class.Meta.model
        joined, columns = self.record_columns

        def record_named(ref: str) -> QuerySet:
            return (
                self.records()
                .prefetch_related(None)
                .select_related(None)
                .select_related(*joined)
                .only(*columns)
                .filter(ref=ref)
            )

        # The record and its page of matches are read with SQL built once per
        # shape (prepared.py): who reads them is in the key, the ids vary.
        who = selectors.signature_of(user=request.user)
        try:
            record = Prepared((type(self), "record", who), record_named, ref).get()
        except model.DoesNotExist:
            audit.note_if_hidden(request, model, ref=ref)
            raise Http404 from None
        relation = model._meta.model_name  # "need" or "programme"
        other, other_columns = self.other_side

        def matches_of(record_id: int) -> QuerySet:
            return (
                self.get_queryset()
                .select_related(None)
                .select_related(other)
                .only(*MATCH_COLUMNS, *other_columns)
                .filter(**{relation: record_id})
                .order_by(*self.matches_order)
            )

        if not set(request.query_params) <= PAGING:  # filtered: built for them
            queryset: QuerySet | Prepared = matches_of(record.pk)
        else:
            queryset = Prepared((type(self), "matches", who), matches_of, record.pk)
        return self.filtered_page(
            MatchFilter,
            queryset,
            MatchSerializer,
            each=lambda m: setattr(m, relation, record),
        )

    @action(detail=True, methods=["post"], url_path="status")
    def status(self, request, ref=None):
        # Described by each resource (tagged_schema).
        return self.set_status(
            request,
            lambda record, status: services.set_record_status(
                user=request.user, record=record, status=status
            ),
            self.status_serializer,
        )

    def list_shape(self) -> tuple:
        """What an unfiltered list's queryset depends on besides its reader
        (the key of its prepared read)."""
        return ()

    def list(self, request, *args, **kwargs):
        if not set(request.query_params) <= PAGING:  # filtered: built for them
            return super().list(request, *args, **kwargs)
        # No filter given: the page (and its count) is read with SQL built once
        # per shape (prepared.py); who reads it is in the key.
        key = (
            type(self),
            "list",
            selectors.signature_of(user=request.user),
            *self.list_shape(),
        )
        page = self.paginate_queryset(
            Prepared(key, lambda: self.filter_queryset(self.get_queryset()))
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None and self.action == "list":
            # The tags and the translations of the whole page, a query each.
            tagkeys.attach_tag_keys(page)
            translations.attach_translations(page)
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
            obj = services.update_record(user=request.user, record=instance, data=data)
            self.save_translations(obj, items)
        return Response(self.get_serializer(self.reload(obj)).data)

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
