"""Who funds and delivers a programme, and its money: organisations with their
IATI role, a total budget, budget lines by period and a dated exchange-rate
table (curators keep it; there is no live feed)."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from functools import cache

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from matchmaking.enums import OrganisationRole
from matchmaking.models.base import Timestamped
from matchmaking.models.base import choice_field
from matchmaking.models.base import in_order
from matchmaking.models.base import optional_fk
from matchmaking.models.base import parent_fk
from matchmaking.models.base import user_fk
from matchmaking.models.organisations import Provider
from matchmaking.models.records import Programme
from matchmaking.models.records import ends_before_start
from matchmaking.reference import DATA_DIR

MONEY_DIGITS = 16
MONEY_PLACES = 2


@cache
def currency_codes() -> frozenset[str]:
    """The ISO 4217 alphabetic codes of the countries' currencies, with XDR."""
    with (DATA_DIR / "country-codes.csv").open(encoding="utf-8") as fh:
        codes = {
            code.strip()
            for row in csv.DictReader(fh)
            for code in row["ISO4217-currency_alphabetic_code"].split(",")
            if len(code.strip()) == 3
        }
    return frozenset(codes | {"USD", "EUR", "XDR"})


def validate_currency(value: str) -> None:
    """Refuse anything but an ISO 4217 alphabetic code."""
    if value not in currency_codes():
        raise ValidationError(
            _("%(value)s is not an ISO 4217 currency code."),
            code="currency",
            params={"value": value},
        )


def currency_field(**options: object) -> models.CharField:
    return models.CharField(
        _("currency"),
        max_length=3,
        validators=[validate_currency],
        help_text=_("ISO 4217 code, such as USD, EUR or XOF."),
        **options,  # type: ignore[arg-type]
    )


def money_field(verbose_name: object, **options: object) -> models.DecimalField:
    return models.DecimalField(
        verbose_name,  # type: ignore[arg-type]
        max_digits=MONEY_DIGITS,
        decimal_places=MONEY_PLACES,
        validators=[MinValueValidator(Decimal(0))],
        **options,  # type: ignore[arg-type]
    )


class ExchangeRate(Timestamped):
    """How many US dollars one unit of a currency was worth from a date on."""

    currency = currency_field()
    valid_from = models.DateField(_("valid from"))
    usd_per_unit = models.DecimalField(
        _("US dollars per unit"),
        max_digits=20,
        decimal_places=10,
        validators=[MinValueValidator(Decimal("0.0000000001"))],
    )

    class Meta:
        ordering = ["currency", "-valid_from"]
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "valid_from"], name="exchange_rate_unique_day"
            ),
            models.CheckConstraint(
                condition=Q(usd_per_unit__gt=0), name="exchange_rate_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.usd_per_unit} USD ({self.valid_from})"


class ProgrammeFunding(Timestamped):
    """A programme's total budget and cost per participant, in one currency."""

    programme = parent_fk(Programme, "funding", _("programme"), one=True)
    total_budget = money_field(_("total budget"), null=True, blank=True)
    currency = currency_field(default="USD")
    cost_per_participant = money_field(_("cost per participant"), null=True, blank=True)
    # The US-dollar equivalent at the rate of the programme's start (or of
    # today without one), kept by matchmaking.funding.rates.
    total_budget_usd = money_field(_("total budget (USD)"), null=True, blank=True)

    class Meta:
        verbose_name = _("programme funding")
        verbose_name_plural = _("programme funding")

    def __str__(self) -> str:
        return f"{self.programme_id}: {self.total_budget} {self.currency}"


class BudgetLine(models.Model):
    """The money of one period of a programme (an IATI budget)."""

    programme = parent_fk(Programme, "budget_lines", _("programme"))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    amount = money_field(_("amount"))
    currency = currency_field(default="USD")
    # Kept by matchmaking.funding.rates from the rate in force at the period's
    # start; empty while the table has no rate for the currency.
    amount_usd = money_field(_("amount (USD)"), null=True, blank=True)

    class Meta:
        ordering = ["period_start", "id"]
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        constraints = [
            in_order(
                "period_start",
                "period_end",
                same_ok=True,
                name="budget_line_period_in_order",
                message=_("A period cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="budget_line_amount_positive"
            ),
        ]
        indexes = [models.Index(fields=["programme", "period_start"])]

    def __str__(self) -> str:
        return f"{self.period_start}/{self.period_end}: {self.amount} {self.currency}"

    def clean(self) -> None:
        if ends_before_start(self.period_start, self.period_end):
            raise ValidationError(
                {"period_end": _("A period cannot end before it starts.")}
            )


class ParticipatingOrganisation(models.Model):
    """An organisation taking part in a programme in one IATI role: a
    registered provider or a plain named organisation."""

    programme = parent_fk(Programme, "participants", _("programme"))
    role = choice_field(_("role"), OrganisationRole)
    provider = optional_fk(
        Provider, _("provider"), on_delete=models.PROTECT, related_name="participations"
    )
    name = models.CharField(
        _("name"),
        max_length=200,
        blank=True,
        help_text=_("For an organisation that is not a registered provider."),
    )
    iati_ref = models.CharField(
        _("IATI organisation identifier"), max_length=100, blank=True
    )

    class Meta:
        ordering = ["programme", "role", "id"]
        verbose_name = _("participating organisation")
        verbose_name_plural = _("participating organisations")
        constraints = [
            models.CheckConstraint(
                condition=Q(provider__isnull=False) | ~Q(name=""),
                name="participant_named",
                violation_error_message=_(
                    "Name the organisation or choose a registered provider."
                ),
            ),
        ]
        indexes = [models.Index(fields=["role", "provider"])]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.name or self.provider_id}"

    def clean(self) -> None:
        if not self.provider_id and not self.name.strip():
            raise ValidationError(
                {"name": _("Name the organisation or choose a registered provider.")}
            )


class ImportedActivity(models.Model):
    """Where a programme imported from an IATI activity file came from."""

    programme = parent_fk(Programme, "iati_source", _("programme"), one=True)
    iati_identifier = models.CharField(_("IATI identifier"), max_length=200)
    reporting_org = models.CharField(_("reporting organisation"), max_length=300)
    source_name = models.CharField(_("file"), max_length=255)
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    imported_by = user_fk(_("imported by"))
    duplicate_of = optional_fk(Programme, _("possible duplicate of"))

    class Meta:
        ordering = ["-imported_at", "id"]
        verbose_name = _("imported IATI activity")
        verbose_name_plural = _("imported IATI activities")
        indexes = [models.Index(fields=["iati_identifier"])]

    def __str__(self) -> str:
        return self.iati_identifier


def period_overlaps(
    a_start: date | None, a_end: date | None, b_start: date | None, b_end: date | None
) -> bool:
    """Whether two periods share a day (an open end runs for ever)."""
    return (a_start is None or b_end is None or a_start <= b_end) and (
        b_start is None or a_end is None or b_start <= a_end
    )


# --- the coordination view's figures, kept on write --------------------------
# matchmaking.coordination_cells keeps these in the transactions that change what
# they are computed from (and rebuilds them); the coordination view reads them.


class CoordinationShare(models.Model):
    """One cell of one published programme: a funder x top region x theme
    (missing axes "not stated" / worldwide), the number of cells the programme
    is split over and its whole money in cents. Not a foreign key: the rows of
    a deleted programme are removed by the refresh that subtracts them."""

    programme_id = models.BigIntegerField(_("programme"), db_index=True)
    funder = models.CharField(_("funder"), max_length=200)
    region = models.CharField(_("region"), max_length=3)
    theme = models.CharField(_("theme"), max_length=60)
    split = models.PositiveIntegerField(_("cells of the programme"))
    cents = models.BigIntegerField(_("money (US cents)"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)

    class Meta:
        verbose_name = _("coordination share")
        verbose_name_plural = _("coordination shares")

    def __str__(self) -> str:
        return f"{self.programme_id}: {self.funder} / {self.region} / {self.theme}"


class CoordinationCell(models.Model):
    """The published programmes sharing one cell with one split: how many and
    their money in cents (the sum of their CoordinationShare rows)."""

    funder = models.CharField(_("funder"), max_length=200)
    region = models.CharField(_("region"), max_length=3)
    theme = models.CharField(_("theme"), max_length=60)
    split = models.PositiveIntegerField(_("cells of the programme"))
    programmes = models.BigIntegerField(_("programmes"), default=0)
    cents = models.BigIntegerField(_("money (US cents)"), default=0)

    class Meta:
        verbose_name = _("coordination cell")
        verbose_name_plural = _("coordination cells")
        constraints = [
            models.UniqueConstraint(
                fields=["funder", "region", "theme", "split"],
                name="coordination_cell_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.funder} / {self.region} / {self.theme} / {self.split}"


class CoordinationYear(models.Model):
    """One published programme's budget lines of one year (by their start):
    how many and their US-dollar equivalents in cents."""

    programme_id = models.BigIntegerField(_("programme"), db_index=True)
    year = models.IntegerField(_("year"))
    lines = models.IntegerField(_("budget lines"))
    cents = models.BigIntegerField(_("money (US cents)"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)

    class Meta:
        verbose_name = _("coordination year")
        verbose_name_plural = _("coordination years")

    def __str__(self) -> str:
        return f"{self.programme_id}: {self.year}"


class CoordinationYearTotal(models.Model):
    """All published programmes' budget lines of one year (the sum of their
    CoordinationYear rows)."""

    year = models.IntegerField(_("year"), unique=True)
    lines = models.BigIntegerField(_("budget lines"), default=0)
    cents = models.BigIntegerField(_("money (US cents)"), default=0)

    class Meta:
        verbose_name = _("coordination year total")
        verbose_name_plural = _("coordination year totals")

    def __str__(self) -> str:
        return str(self.year)
