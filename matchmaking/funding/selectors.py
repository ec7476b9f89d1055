"""Reads of programmes' funding, for the pages and the API."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from matchmaking.models import BudgetLine
from matchmaking.models import ParticipatingOrganisation
from matchmaking.models import Programme
from matchmaking.models import ProgrammeFunding


@dataclass(frozen=True)
class Participant:
    role: str
    role_label: str
    name: str
    provider_ref: str
    iati_ref: str


@dataclass(frozen=True)
class Funding:
    """A programme's organisations by role and its money, USD where known."""

    participants: tuple[Participant, ...]
    budget_lines: tuple[BudgetLine, ...]
    total_budget: Decimal | None
    currency: str
    total_budget_usd: Decimal | None
    cost_per_participant: Decimal | None
    budget_lines_usd: Decimal | None

    @property
    def is_empty(self) -> bool:
        return (
            not self.participants
            and not self.budget_lines
            and self.total_budget is None
            and self.cost_per_participant is None
        )


def programme_funding(*, programme: Programme) -> Funding:
    """Three queries: the programme's totals, organisations and budget lines."""
    totals = ProgrammeFunding.objects.filter(programme=programme).first()
    participants = tuple(
        Participant(
            role=p.role,
            role_label=str(p.get_role_display()),
            name=p.provider.name if p.provider else p.name,
            provider_ref=p.provider.ref if p.provider else "",
            iati_ref=p.iati_ref,
        )
        for p in ParticipatingOrganisation.objects.filter(programme=programme)
        .select_related("provider")
        .order_by("role", "id")
    )
    lines = tuple(
        BudgetLine.objects.filter(programme=programme).order_by("period_start", "id")
    )
    usd = [line.amount_usd for line in lines]
    return Funding(
        participants=participants,
        budget_lines=lines,
        total_budget=totals.total_budget if totals else None,
        currency=totals.currency if totals else "USD",
        total_budget_usd=totals.total_budget_usd if totals else None,
        cost_per_participant=totals.cost_per_participant if totals else None,
        budget_lines_usd=(
            sum(usd, Decimal(0)) if lines and None not in usd else None  # type: ignore[arg-type]
        ),
    )
