"""Money as the reader's language writes it, on pages; exact strings in the API."""

from decimal import Decimal

import pytest
from django.utils import translation

from matchmaking.funding.services import parse_funding
from matchmaking.funding.services import write_funding
from matchmaking.models import ExchangeRate
from matchmaking.templatetags.money import money
from tests.factories import ProgrammeFactory


@pytest.mark.parametrize(
    ("language", "expected", "plain"),
    [
        ("en", "EUR 1,200,000", "1,234.50"),
        ("fr", "1\xa0200\xa0000 EUR", "1\xa0234,50"),
        ("es", "1\xa0200\xa0000 EUR", "1\xa0234,50"),
        ("ru", "1\xa0200\xa0000 EUR", "1\xa0234,50"),
        ("ar", "1.200.000 EUR", "1.234,50"),
        ("zh-hans", "EUR 1,200,000", "1,234.50"),
    ],
)
def test_money_is_grouped_in_the_languages_way(language, expected, plain):
    with translation.override(language):
        assert money(Decimal("1200000.00"), "EUR") == expected
        assert money(Decimal("1234.5")) == plain
        assert money(None, "EUR") == ""


def test_pages_show_money_by_language_and_the_api_exact_decimals(client, db):
    ExchangeRate.objects.create(
        currency="EUR", valid_from="2020-01-01", usd_per_unit="1.08"
    )
    programme = ProgrammeFactory(ref="funded")
    write_funding(
        programme=programme,
        funding=parse_funding(
            {
                "total_budget": "1200000",
                "currency": "EUR",
                "budget_lines": [
                    {
                        "period_start": "2026-01-01",
                        "period_end": "2026-12-31",
                        "amount": "1200000",
                    }
                ],
            }
        ),
    )

    english = client.get("/programmes/funded/").content.decode()
    french = client.get("/fr/programmes/funded/").content.decode()
    api = client.get("/api/v1/programme-funding/funded/").json()

    assert "EUR 1,200,000 (≈ USD 1,296,000)" in english
    assert "1\xa0200\xa0000 EUR (≈ 1\xa0296\xa0000 USD)" in french
    assert "1200000.00" not in english + french
    assert api["total_budget"] == "1200000.00"
