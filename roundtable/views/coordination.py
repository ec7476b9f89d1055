"""The coordination view: who funds what, where, beside the needs, and what
the roundtable's commitments have delivered (public data only)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import DecimalField
from django.db.models import ExpressionWrapper
from django.db.models import F
from django.db.models import Sum
from django.http import HttpRequest
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from matchmaking.funding.coordination import NOT_STATED
from matchmaking.funding.coordination import WORLD
from matchmaking.funding.coordination import coordination
from matchmaking.models import Region
from matchmaking.models import Theme
from matchmaking.stats.scope import MIN_GROUP_SIZE
from roundtable.enums import CommitmentState
from roundtable.models import Commitment


def commitment_figures() -> dict[str, Decimal | int | None]:
    """Pledged and delivered US dollars of the commitments not withdrawn."""
    live = Commitment.objects.exclude(state=CommitmentState.WITHDRAWN)
    delivered = ExpressionWrapper(
        F("amount_usd") * F("share_delivered") / 100,
        output_field=DecimalField(max_digits=20, decimal_places=4),
    )
    figures = live.aggregate(pledged=Sum("amount_usd"), delivered=Sum(delivered))
    pledged = figures["pledged"] or Decimal(0)
    done = (figures["delivered"] or Decimal(0)).quantize(Decimal("0.01"))
    return {
        "count": live.count(),
        "pledged_usd": pledged,
        "delivered_usd": done,
        "delivered_percent": round(done * 100 / pledged) if pledged else None,
    }


def coordination_view(request: HttpRequest) -> HttpResponse:
    """Money and programmes by funder, region and theme, over time, with needs."""
    figures = coordination()
    region_names = {r.code: r.name for r in Region.objects.all()}
    region_names[WORLD] = _("Any member state")
    theme_names = {t.slug: t.label for t in Theme.objects.all()}
    by_region_theme: dict[tuple[str, str], float] = {}
    for (_funder, region, theme), cell in figures.cells.items():
        by_region_theme[(region, theme)] = (
            by_region_theme.get((region, theme), 0) + cell.programmes
        )
    grid = [
        {
            "region": region_names.get(region, region),
            "theme": theme_names.get(theme, "-"),
            "programmes": round(by_region_theme.get((region, theme), 0), 1),
            "needs": figures.needs.get((region, theme), 0)
            if (region, theme) in figures.needs
            else 0,
            "needs_hidden": (region, theme) in figures.needs
            and figures.needs[(region, theme)] is None,
        }
        for region, theme in sorted(set(by_region_theme) | set(figures.needs))
    ]
    funders = sorted(figures.by(0).items(), key=lambda item: (-item[1].usd, item[0]))
    return render(
        request,
        "roundtable/coordination.html",
        {
            "figures": figures,
            "funders": [
                (name or None, round(cell.programmes, 1), cell.usd.quantize(Decimal(1)))
                for name, cell in funders
            ],
            "regions": [
                (
                    region_names.get(code, code),
                    round(c.programmes, 1),
                    c.usd.quantize(Decimal(1)),
                )
                for code, c in sorted(figures.by(1).items())
            ],
            "themes": [
                (
                    theme_names.get(slug) if slug != NOT_STATED else None,
                    round(c.programmes, 1),
                    c.usd.quantize(Decimal(1)),
                )
                for slug, c in sorted(figures.by(2).items())
            ],
            "years": sorted(figures.by_year.items()),
            "grid": grid,
            "commitments": commitment_figures(),
            "min_group": MIN_GROUP_SIZE,
        },
    )
