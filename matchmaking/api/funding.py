"""Programmes' funding (organisations by role, budgets) and IATI activities."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework import viewsets
from rest_framework.response import Response

from matchmaking import selectors
from matchmaking.api.base import ApiViewMixin
from matchmaking.api.base import DocumentSchema
from matchmaking.api.base import errors
from matchmaking.api.permissions import PUBLIC_READ
from matchmaking.funding import selectors as funding_selectors
from matchmaking.funding import services as funding_services

FUNDING_DESCRIPTION = (
    "A programme's participating organisations with their IATI role "
    "(funding, accountable, extending, implementing), total budget, currency "
    "(ISO 4217), cost per participant and budget lines by period; the shape of "
    "`funding` in `cbm-dataset/1`, plus the US-dollar equivalents from the "
    "curators' exchange-rate table (`total_budget_usd`, `amount_usd`: null "
    "while no rate is known)."
)


def funding_document(programme) -> dict:
    funding = funding_selectors.programme_funding(programme=programme)
    return {
        "programme": programme.ref,
        "total_budget": _money(funding.total_budget),
        "currency": funding.currency,
        "total_budget_usd": _money(funding.total_budget_usd),
        "cost_per_participant": _money(funding.cost_per_participant),
        "participants": [
            {
                "role": p.role,
                "provider": p.provider_ref or None,
                "name": p.name,
                "iati_ref": p.iati_ref,
            }
            for p in funding.participants
        ],
        "budget_lines": [
            {
                "period_start": line.period_start.isoformat(),
                "period_end": line.period_end.isoformat(),
                "amount": _money(line.amount),
                "currency": line.currency,
                "amount_usd": _money(line.amount_usd),
            }
            for line in funding.budget_lines
        ],
    }


def _money(value) -> str | None:
    return None if value is None else str(value)


class ProgrammeFundingViewSet(ApiViewMixin, viewsets.ViewSet):
    """The funding of one programme: read by whoever may see the programme,
    replaced as a whole by its provider's users and curators."""

    permission_classes = PUBLIC_READ
    lookup_field = "ref"
    lookup_value_regex = r"[-a-zA-Z0-9_]{1,100}"
    schema = DocumentSchema()

    def _programme(self, ref: str):
        programme = (
            selectors.programmes_visible_to(user=self.request.user, with_tags=False)
            .filter(ref=ref)
            .first()
        )
        if programme is None:
            raise exceptions.NotFound()
        return programme

    @extend_schema(
        responses={200: OpenApiTypes.OBJECT, **errors(401, 404, 429)},
        description=FUNDING_DESCRIPTION,
    )
    def retrieve(self, request, ref=None):
        return Response(funding_document(self._programme(ref)))

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT, **errors(400, 401, 403, 404, 429)},
        description="Replace the funding as a whole (same shape; `participants` "
        "name a `provider` by ref or an organisation by `name`). Every problem "
        "is named by its path, such as `participants[1].role`; nothing is "
        "written then.",
    )
    def update(self, request, ref=None):
        programme = self._programme(ref)
        data = request.data
        if isinstance(data, dict):
            # What the read gives back and the write ignores.
            data = {
                key: value
                for key, value in data.items()
                if key not in ("programme", "total_budget_usd")
            }
            data["budget_lines"] = [
                {k: v for k, v in line.items() if k != "amount_usd"}
                if isinstance(line, dict)
                else line
                for line in data.get("budget_lines") or []
            ]
            data["participants"] = [
                {k: v for k, v in p.items() if v is not None}
                if isinstance(p, dict)
                else p
                for p in data.get("participants") or []
            ]
        try:
            funding = funding_services.parse_funding(data)
            funding_services.save_funding(
                user=request.user, programme=programme, funding=funding
            )
        except ValidationError as invalid:
            raise exceptions.ValidationError(invalid.message_dict) from None
        except PermissionDenied as denied:
            raise exceptions.PermissionDenied(str(denied)) from None
        return Response(funding_document(programme))


class IatiActivitiesViewSet(ApiViewMixin, viewsets.ViewSet):
    """Every published programme as an IATI 2.03 activity file."""

    permission_classes = PUBLIC_READ
    schema = DocumentSchema()

    @extend_schema(
        responses={
            (200, "application/xml"): OpenApiResponse(
                OpenApiTypes.STR, description="An `iati-activities` document."
            ),
            **errors(401, 429),
        },
        description="Every published programme as an IATI activity (standard "
        "2.03), streamed; the same file as `/open-data/iati-activities.xml`.",
    )
    def list(self, request):
        return iati_response(request)


def iati_response(request) -> StreamingHttpResponse:
    """The streamed activity file of the published programmes."""
    # Imported here, not at the top: the IATI code and lxml (about 10 ms of
    # CPU) would otherwise load in every web worker as it starts, through the
    # URLconf, for the few requests that download the activities.
    from matchmaking.funding import iati

    response = StreamingHttpResponse(
        iati.stream_public_activities(base_url=request.build_absolute_uri("/")),
        content_type="application/xml; charset=utf-8",
    )
    response["Content-Disposition"] = 'inline; filename="iati-activities.xml"'
    return response
