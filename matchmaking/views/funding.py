"""A programme's funding page: organisations by role, total budget, budget
lines (the provider and curators edit it; matchmaking.funding writes it)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.http import HttpResponse
from django.shortcuts import redirect
from django.shortcuts import render
from django.utils.translation import gettext as _

from matchmaking.enums import OrganisationRole
from matchmaking.funding import selectors as funding_selectors
from matchmaking.funding import services as funding_services
from matchmaking.models import Provider
from matchmaking.models import currency_codes
from matchmaking.views.records import editable_record

ROWS = 5


def _rows(post: Any, prefix: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
    """The non-empty rows of a table of inputs named ``<prefix>-<i>-<field>``."""
    rows = []
    for i in range(ROWS + 50):
        row = {f: post.get(f"{prefix}-{i}-{f}", "").strip() for f in fields}
        if any(v for k, v in row.items() if k not in ("currency", "role")):
            rows.append({k: v for k, v in row.items() if v})
    return rows


def _as_typed(current: funding_selectors.Funding) -> dict[str, Any]:
    """The stored funding in the shape of what the form posts (strings)."""
    return {
        "total_budget": _text(current.total_budget),
        "currency": current.currency,
        "cost_per_participant": _text(current.cost_per_participant),
        "participants": [
            {
                "role": p.role,
                "provider": p.provider_ref,
                "name": "" if p.provider_ref else p.name,
                "iati_ref": p.iati_ref,
            }
            for p in current.participants
        ],
        "budget_lines": [
            {
                "period_start": line.period_start.isoformat(),
                "period_end": line.period_end.isoformat(),
                "amount": str(line.amount),
                "currency": line.currency,
            }
            for line in current.budget_lines
        ],
    }


def _text(value: Any) -> str:
    return "" if value is None else str(value)


@login_required
def programme_funding(request: HttpRequest, ref: str) -> HttpResponse:
    """Edit who funds and delivers a programme and its budget."""
    programme = editable_record(request, "programme", ref)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data = {
            "total_budget": request.POST.get("total_budget", "").strip() or None,
            "currency": request.POST.get("currency", "").strip(),
            "cost_per_participant": request.POST.get("cost_per_participant", "").strip()
            or None,
            "participants": _rows(
                request.POST, "participant", ("role", "provider", "name", "iati_ref")
            ),
            "budget_lines": _rows(
                request.POST,
                "line",
                ("period_start", "period_end", "amount", "currency"),
            ),
        }
        try:
            funding = funding_services.parse_funding(data)
            funding_services.save_funding(
                user=request.user, programme=programme, funding=funding
            )
        except ValidationError as error:
            errors = error.message_dict
        else:
            messages.success(request, _("The funding is saved."))
            return redirect("programme-detail", programme.ref)
    # After a problem the form shows what was typed, never the stored values.
    if errors:
        shown = {
            **data,
            "total_budget": _text(data["total_budget"]),
            "cost_per_participant": _text(data["cost_per_participant"]),
        }
    else:
        shown = _as_typed(funding_selectors.programme_funding(programme=programme))
    return render(
        request,
        "matchmaking/programme_funding.html",
        {
            "programme": programme,
            "funding": shown,
            "participants": shown["participants"] + [None] * ROWS,
            "lines": shown["budget_lines"] + [None] * ROWS,
            "roles": OrganisationRole.choices,
            "providers": Provider.objects.order_by("name").values_list("ref", "name"),
            "currencies": sorted(currency_codes()),
            "funding_errors": sorted(errors.items()),
        },
        status=400 if errors else 200,
    )
