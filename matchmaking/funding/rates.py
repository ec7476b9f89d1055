"""US-dollar equivalents from the curators' dated exchange-rate table."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from matchmaking.coordination_cells import refresh_coordination_cells
from matchmaking.models import BudgetLine
from matchmaking.models import ExchangeRate
from matchmaking.models import ProgrammeFunding

CENT = Decimal("0.01")


class RateTable:
    """The table read once: the rate in force on a day is the latest one dated
    on or before it; before the first one, the first one."""

    def __init__(self, currencies: Iterable[str] | None = None) -> None:
        rows = ExchangeRate.objects.order_by("currency", "valid_from")
        if currencies is not None:
            rows = rows.filter(currency__in=set(currencies))
        self._rates: dict[str, list[tuple[date, Decimal]]] = {}
        for currency, valid_from, rate in rows.values_list(
            "currency", "valid_from", "usd_per_unit"
        ):
            self._rates.setdefault(currency, []).append((valid_from, rate))

    def rate(self, currency: str, on: date) -> Decimal | None:
        if currency == "USD":
            return Decimal(1)
        rates = self._rates.get(currency)
        if not rates:
            return None
        found = rates[0][1]
        for valid_from, rate in rates:
            if valid_from > on:
                break
            found = rate
        return found

    def to_usd(self, amount: Decimal | None, currency: str, on: date) -> Decimal | None:
        if amount is None:
            return None
        rate = self.rate(currency, on)
        if rate is None:
            return None
        return (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def usd_equivalent(*, amount: Decimal, currency: str, on: date) -> Decimal | None:
    """One amount in US dollars at the rate in force on a day (None: no rate)."""
    return RateTable([currency]).to_usd(amount, currency, on)


def funding_day(funding: ProgrammeFunding) -> date:
    """The day whose rate converts a total budget: the programme's start."""
    return funding.programme.starts_on or timezone.localdate()


@transaction.atomic
def refresh_usd(*, programme_ids: Iterable[int] | None = None) -> int:
    """Recompute the stored US-dollar equivalents (after a rate or an amount
    changed); returns how many rows changed."""
    table = RateTable()
    if programme_ids is None:
        return _refresh(table, BudgetLine.objects.all(), ProgrammeFunding.objects.all())
    ids = sorted(set(programme_ids))
    return sum(
        _refresh(
            table,
            BudgetLine.objects.filter(programme_id__in=ids[i : i + _CHUNK]),
            ProgrammeFunding.objects.filter(programme_id__in=ids[i : i + _CHUNK]),
        )
        for i in range(0, len(ids), _CHUNK)
    )


_CHUNK = 2000


def _refresh(
    table: RateTable,
    lines: QuerySet[BudgetLine],
    totals: QuerySet[ProgrammeFunding],
) -> int:
    changed_lines = []
    for line in lines.only(
        "id", "programme_id", "amount", "currency", "period_start", "amount_usd"
    ):
        usd = table.to_usd(line.amount, line.currency, line.period_start)
        if usd != line.amount_usd:
            line.amount_usd = usd
            changed_lines.append(line)
    BudgetLine.objects.bulk_update(changed_lines, ["amount_usd"], batch_size=1000)
    changed_totals = []
    for funding in totals.select_related("programme"):
        usd = table.to_usd(funding.total_budget, funding.currency, funding_day(funding))
        if usd != funding.total_budget_usd:
            funding.total_budget_usd = usd
            changed_totals.append(funding)
    ProgrammeFunding.objects.bulk_update(
        changed_totals, ["total_budget_usd"], batch_size=1000
    )
    # Bulk updates send no signal: the coordination view's cells follow here.
    refresh_coordination_cells(
        {line.programme_id for line in changed_lines}
        | {funding.programme_id for funding in changed_totals}
    )
    return len(changed_lines) + len(changed_totals)


@transaction.atomic
def add_exchange_rates(*, rates: Iterable[tuple[str, date, Decimal]]) -> int:
    """Add the rates (currency, valid from, US dollars per unit) the table
    lacks, then recompute the US-dollar equivalents and the coordination
    cells as a curator's edit in the admin does; a currency's rate of a day
    already in the table is left as it is. Returns how many were added."""
    held = set(ExchangeRate.objects.values_list("currency", "valid_from"))
    added = []
    for currency, valid_from, usd_per_unit in rates:
        if (currency, valid_from) in held:
            continue
        rate = ExchangeRate(
            currency=currency, valid_from=valid_from, usd_per_unit=usd_per_unit
        )
        rate.full_clean()
        added.append(rate)
        held.add((currency, valid_from))
    ExchangeRate.objects.bulk_create(added)
    if added:
        refresh_usd()
    return len(added)
