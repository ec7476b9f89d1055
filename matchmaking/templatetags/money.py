"""Money as the reader's language writes it: ``{{ amount|money:currency }}``.

Grouped by the locale's thousands (``EUR 1,200,000`` in English,
``1 200 000 EUR`` in French), cents only when there are some. The API and the
dataset keep exact decimal strings; this is for pages and mails only.
"""

from __future__ import annotations

from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

register = template.Library()


def format_amount(amount: Any) -> str:
    """A number grouped by the active language's thousands ("" for none)."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    places = 0 if value == value.to_integral_value() else 2
    return formats.number_format(value, places, force_grouping=True)


@register.filter
def money(amount: Any, currency: str = "") -> str:
    """An amount with its ISO 4217 currency code, in the active language's
    order and grouping; the number alone without a currency."""
    number = format_amount(amount)
    if not number or not currency:
        return number
    # Translators: an amount of money; the currency is an ISO 4217 code (EUR).
    return _("%(currency)s %(amount)s") % {"currency": currency, "amount": number}
