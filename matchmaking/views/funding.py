"""A programme's funding page: organisations by role, total budget, budget
lines (the provider and curators edit it; matchmaking.funding writes it)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from matchmaking.enums import OrganisationRole
from matchmaking.funding import selectors as funding_selectors
from matchmaking.funding import services as funding_services
from matchmaking.models import Provider, currency_codes
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
    current = funding_selectors.programme_funding(programme=programme)
    participants = list(current.participants) + [None] * ROWS
    lines = list(current.budget_lines) + [None] * ROWS
    return render(
        request,
        "matchmaking/programme_funding.html",
        {
            "programme": programme,
            "funding": current,
            "participants": participants[: len(current.participants) + ROWS],
            "lines": lines[: len(current.budget_lines) + ROWS],
            "roles": OrganisationRole.choices,
            "providers": Provider.objects.order_by("name").values_list("ref", "name"),
            "currencies": sorted(currency_codes()),
            "funding_errors": sorted(errors.items()),
        },
        status=400 if errors else 200,
    )
