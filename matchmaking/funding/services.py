"""Writes of a programme's funding: who takes part in which role, its total
budget and its budget lines. The pages, the API, the dataset import and the
IATI import all parse with ``parse_funding`` and write with ``write_funding``."""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import asdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from matchmaking import services
from matchmaking.coordination_cells import batched
from matchmaking.coordination_cells import refresh_coordination_cells
from matchmaking.enums import OrganisationRole
from matchmaking.funding.rates import refresh_usd
from matchmaking.models import BudgetLine
from matchmaking.models import ParticipatingOrganisation
from matchmaking.models import Programme
from matchmaking.models import ProgrammeFunding
from matchmaking.models import Provider
from matchmaking.models import User
from matchmaking.models import currency_codes
from matchmaking.models.funding import MONEY_DIGITS
from matchmaking.models.funding import MONEY_PLACES

MAX_PARTICIPANTS = 50
MAX_BUDGET_LINES = 100
FUNDING_KEYS = frozenset(
    {"total_budget", "currency", "cost_per_participant", "participants", "budget_lines"}
)


@dataclass(frozen=True)
class ParticipantInput:
    role: str
    provider_id: int | None
    name: str
    iati_ref: str


@dataclass(frozen=True)
class BudgetLineInput:
    period_start: date
    period_end: date
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class FundingInput:
    total_budget: Decimal | None
    currency: str
    cost_per_participant: Decimal | None
    participants: tuple[ParticipantInput, ...]
    budget_lines: tuple[BudgetLineInput, ...]

    @property
    def is_empty(self) -> bool:
        return (
            self.total_budget is None
            and self.cost_per_participant is None
            and not self.participants
            and not self.budget_lines
        )


class _Problems:
    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, where: str, message: str) -> None:
        self.errors.setdefault(where, []).append(message)


def _money(value: Any, where: str, problems: _Problems) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        problems.add(where, _("Give an amount as a number."))
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        problems.add(where, _("Give an amount as a number."))
        return None
    if not amount.is_finite() or amount < 0:
        problems.add(where, _("An amount cannot be negative."))
        return None
    amount = amount.quantize(Decimal(1).scaleb(-MONEY_PLACES))
    if len(amount.as_tuple().digits) > MONEY_DIGITS:
        problems.add(where, _("This amount is too large."))
        return None
    return amount


def _currency(value: Any, where: str, problems: _Problems) -> str:
    if value is None or value == "":
        return "USD"
    if not isinstance(value, str) or value.upper() not in currency_codes():
        problems.add(where, _("Give an ISO 4217 currency code, such as USD or EUR."))
        return "USD"
    return value.upper()


def _date(value: Any, where: str, problems: _Problems) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    problems.add(where, _("Give a date as YYYY-MM-DD."))
    return None


def _text(value: Any, where: str, limit: int, problems: _Problems) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.add(where, _("Give text."))
        return ""
    if len(value) > limit:
        problems.add(
            where,
            _("At most %(limit)d characters, not %(count)d.")
            % {"limit": limit, "count": len(value)},
        )
    return value.strip()


def _objects(
    data: Mapping[str, Any], key: str, limit: int, problems: _Problems
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The objects of the list ``data[key]`` (at most ``limit``), each with
    where it stands (``participants[1]``); every other item is a problem."""
    items = data.get(key) or []
    if not isinstance(items, list):
        problems.add(key, _("Give a list."))
        items = []
    if len(items) > limit:
        problems.add(key, _("At most %(limit)d.") % {"limit": limit})
    for i, item in enumerate(items):
        where = f"{key}[{i}]"
        if isinstance(item, Mapping):
            yield where, item
        else:
            problems.add(where, _("Give an object."))


def parse_funding(
    data: Mapping[str, Any], *, providers: Mapping[str, int] | None = None
) -> FundingInput:
    """Check a funding record (dataset shape) and return it parsed; raise a
    ValidationError naming every problem's field (``participants[1].role``).
    ``providers`` maps the provider refs it may name to ids (all by default)."""
    problems = _Problems()
    if not isinstance(data, Mapping):
        raise ValidationError({"funding": [_("Give an object.")]})
    for key in sorted(set(data) - FUNDING_KEYS):
        problems.add(key, _("Unknown field."))
    total = _money(data.get("total_budget"), "total_budget", problems)
    currency = _currency(data.get("currency"), "currency", problems)
    per_head = _money(
        data.get("cost_per_participant"), "cost_per_participant", problems
    )
    known = (
        providers
        if providers is not None
        else dict(Provider.objects.values_list("ref", "id"))
    )
    participants: list[ParticipantInput] = []
    for where, item in _objects(data, "participants", MAX_PARTICIPANTS, problems):
        role = item.get("role")
        if role not in OrganisationRole.values:
            problems.add(
                f"{where}.role",
                _("Choose one of: %(choices)s.")
                % {"choices": ", ".join(OrganisationRole.values)},
            )
        provider_id = None
        ref = item.get("provider")
        if ref not in (None, ""):
            provider_id = known.get(ref) if isinstance(ref, str) else None
            if provider_id is None:
                problems.add(f"{where}.provider", _("No such provider."))
        name = _text(item.get("name"), f"{where}.name", 200, problems)
        iati_ref = _text(item.get("iati_ref"), f"{where}.iati_ref", 100, problems)
        if provider_id is None and not name and ref in (None, ""):
            problems.add(
                f"{where}.name",
                _("Name the organisation or choose a registered provider."),
            )
        participants.append(ParticipantInput(str(role), provider_id, name, iati_ref))
    lines: list[BudgetLineInput] = []
    for where, item in _objects(data, "budget_lines", MAX_BUDGET_LINES, problems):
        start = _date(item.get("period_start"), f"{where}.period_start", problems)
        end = _date(item.get("period_end"), f"{where}.period_end", problems)
        amount = _money(item.get("amount"), f"{where}.amount", problems)
        if amount is None and f"{where}.amount" not in problems.errors:
            problems.add(f"{where}.amount", _("This field is required."))
        line_currency = _currency(
            item.get("currency") or currency, f"{where}.currency", problems
        )
        if start and end and end < start:
            problems.add(
                f"{where}.period_end", _("A period cannot end before it starts.")
            )
        if start and end and amount is not None:
            lines.append(BudgetLineInput(start, end, amount, line_currency))
    if problems.errors:
        raise ValidationError(problems.errors)
    return FundingInput(total, currency, per_head, tuple(participants), tuple(lines))


@transaction.atomic
def write_funding(
    *, programme: Programme, funding: FundingInput, refresh: bool = True
) -> None:
    """Replace a programme's funding with ``funding`` (checked by parse_funding)."""
    write_fundings(fundings={programme.pk: funding}, refresh=refresh)


_CHUNK = 500


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


@transaction.atomic
@batched()
def write_fundings(
    *, fundings: Mapping[int, FundingInput], refresh: bool = True
) -> None:
    """Replace the funding of many programmes (programme id -> funding checked
    by parse_funding) set by set: per 500 programmes, three deletes, and for all
    of them three bulk inserts and one upsert of the totals, whatever the number
    of participants and lines (the imports' path; one programme is the same)."""
    ids = sorted(fundings)
    for chunk in _chunks(ids):
        ParticipatingOrganisation.objects.filter(programme_id__in=chunk).delete()
        BudgetLine.objects.filter(programme_id__in=chunk).delete()
        ProgrammeFunding.objects.filter(programme_id__in=chunk).exclude(
            programme_id__in=[
                pk
                for pk in chunk
                if fundings[pk].total_budget is not None
                or fundings[pk].cost_per_participant is not None
            ]
        ).delete()
    # The parsed inputs are named after the models' fields.
    ParticipatingOrganisation.objects.bulk_create(
        [
            ParticipatingOrganisation(programme_id=pk, **asdict(p))
            for pk in ids
            for p in fundings[pk].participants
        ],
        batch_size=_CHUNK,
    )
    BudgetLine.objects.bulk_create(
        [
            BudgetLine(programme_id=pk, **asdict(line))
            for pk in ids
            for line in fundings[pk].budget_lines
        ],
        batch_size=_CHUNK,
    )
    totals = [
        ProgrammeFunding(
            programme_id=pk,
            total_budget=fundings[pk].total_budget,
            currency=fundings[pk].currency,
            cost_per_participant=fundings[pk].cost_per_participant,
        )
        for pk in ids
        if fundings[pk].total_budget is not None
        or fundings[pk].cost_per_participant is not None
    ]
    if totals:
        ProgrammeFunding.objects.bulk_create(
            totals,
            batch_size=_CHUNK,
            update_conflicts=True,
            unique_fields=["programme"],
            update_fields=[
                "total_budget",
                "currency",
                "cost_per_participant",
                "updated_at",
            ],
        )
    if refresh and ids:
        refresh_usd(programme_ids=ids)
    # Bulk writes send no signal: the coordination view's cells follow here.
    refresh_coordination_cells(ids)


def save_funding(*, user: User, programme: Programme, funding: FundingInput) -> None:
    """The provider's (or a curator's) change of a programme's funding."""
    if not services.can_edit_record(user=user, record=programme):
        raise PermissionDenied(_("You cannot change this programme."))
    write_funding(programme=programme, funding=funding)


def funding_as_data(programme: Programme) -> dict[str, Any] | None:
    """A programme's funding in the dataset's shape (None: nothing recorded).

    Reads ``participants`` (with provider), ``budget_lines`` and ``funding``
    from what the caller prefetched."""
    participants = [
        {
            "role": p.role,
            **({"provider": p.provider.ref} if p.provider_id else {}),
            **({"name": p.name} if p.name else {}),
            **({"iati_ref": p.iati_ref} if p.iati_ref else {}),
        }
        for p in programme.participants.all()
    ]
    lines = [
        {
            "period_start": line.period_start.isoformat(),
            "period_end": line.period_end.isoformat(),
            "amount": str(line.amount),
            "currency": line.currency,
        }
        for line in programme.budget_lines.all()
    ]
    try:
        totals = programme.funding
    except ProgrammeFunding.DoesNotExist:
        totals = None
    if not participants and not lines and totals is None:
        return None
    data: dict[str, Any] = {"currency": totals.currency if totals else "USD"}
    if totals and totals.total_budget is not None:
        data["total_budget"] = str(totals.total_budget)
    if totals and totals.cost_per_participant is not None:
        data["cost_per_participant"] = str(totals.cost_per_participant)
    data["participants"] = participants
    data["budget_lines"] = lines
    return data


FUNDING_PREFETCH = ("participants__provider", "budget_lines", "funding")


def funding_by_programme(programme_ids: Any) -> dict[int, dict[str, Any]]:
    """The dataset-shaped funding of many programmes (ids or a values("pk")
    subquery) in three queries; programmes without any are left out."""
    found: dict[int, dict[str, Any]] = {}

    def entry(pk: int) -> dict[str, Any]:
        return found.setdefault(
            pk, {"currency": "USD", "participants": [], "budget_lines": []}
        )

    for row in (
        ProgrammeFunding.objects.filter(programme_id__in=programme_ids)
        .order_by()
        .values("programme_id", "total_budget", "currency", "cost_per_participant")
    ):
        data = entry(row["programme_id"])
        data["currency"] = row["currency"]
        if row["total_budget"] is not None:
            data["total_budget"] = str(row["total_budget"])
        if row["cost_per_participant"] is not None:
            data["cost_per_participant"] = str(row["cost_per_participant"])
    for row in (
        ParticipatingOrganisation.objects.filter(programme_id__in=programme_ids)
        .order_by("programme_id", "role", "id")
        .values("programme_id", "role", "provider__ref", "name", "iati_ref")
    ):
        item = {"role": row["role"]}
        if row["provider__ref"]:
            item["provider"] = row["provider__ref"]
        if row["name"]:
            item["name"] = row["name"]
        if row["iati_ref"]:
            item["iati_ref"] = row["iati_ref"]
        entry(row["programme_id"])["participants"].append(item)
    for row in (
        BudgetLine.objects.filter(programme_id__in=programme_ids)
        .order_by("programme_id", "period_start", "id")
        .values("programme_id", "period_start", "period_end", "amount", "currency")
    ):
        entry(row["programme_id"])["budget_lines"].append(
            {
                "period_start": row["period_start"].isoformat(),
                "period_end": row["period_end"].isoformat(),
                "amount": str(row["amount"]),
                "currency": row["currency"],
            }
        )
    return found
