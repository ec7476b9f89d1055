"""IATI out: every exported file is valid against the 2.03 activity schema."""

import io
import json
import random
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from lxml import etree

from matchmaking.dataset.exchange import import_dataset
from matchmaking.funding import iati
from matchmaking.funding.services import parse_funding
from matchmaking.funding.services import write_funding
from matchmaking.models import BudgetLine
from matchmaking.models import ContentTranslation
from matchmaking.models import ExchangeRate
from matchmaking.models import Programme
from tests.factories import ProgrammeFactory
from tests.factories import ProviderFactory

BASE = "https://cbm.example/"


def export(programmes=None) -> etree._Element:
    document = iati.export_document(
        programmes if programmes is not None else Programme.objects.all(),
        base_url=BASE,
    )
    root = etree.fromstring(document)
    assert iati.schema_problems(root) == []
    return root


def with_funding(record: dict, rng: random.Random, providers: list[str]) -> dict:
    """A random but valid funding object for a generated programme."""
    year = rng.randint(2024, 2028)
    currency = rng.choice(["USD", "EUR", "XOF", "JPY"])
    record["funding"] = {
        "total_budget": str(rng.randint(1, 9_000_000)),
        "currency": currency,
        "participants": [
            {"role": "funding", "provider": rng.choice(providers)},
            {"role": "implementing", "name": f"Agency {rng.randint(1, 99)}"},
        ],
        "budget_lines": [
            {
                "period_start": f"{year + i}-01-01",
                "period_end": f"{year + i}-12-31",
                "amount": f"{rng.randint(0, 10**7)}.{rng.randint(0, 99):02d}",
                "currency": currency,
            }
            for i in range(rng.randint(0, 3))
        ],
    }
    return record


def test_export_of_the_demo_is_valid(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("load_demo", stdout=io.StringIO())

    root = export()

    published = Programme.objects.filter(status="published")
    assert len(root) == published.count() > 0
    assert sorted(a.findtext("iati-identifier") for a in root) == sorted(
        f"XI-CBM-{ref}" for ref in published.values_list("ref", flat=True)
    )
    # The demo's funding: funders (role 1) of 33 programmes, budgets of 20.
    funded = root.xpath("iati-activity[participating-org/@role='1']")
    assert len(funded) == 33
    assert len(root.xpath("iati-activity[budget]")) == 20
    assert len(root.findall("iati-activity/budget")) == BudgetLine.objects.count() > 0
    assert sorted(
        (org.get("role"), org.findtext("narrative"))
        for org in root.xpath(
            "iati-activity[iati-identifier='XI-CBM-gccf-ldc-grants']/participating-org"
        )
    ) == [
        ("1", "Global Cyber Capacity Facility"),
        ("1", "Nordic Cyber Capacity Partnership"),
        ("3", "Global Cyber Capacity Facility"),
        ("4", "Global Cyber Capacity Facility"),
    ]


def test_export_of_1000_generated_programmes_is_valid(db):
    out = io.StringIO()
    call_command(
        "generate_dataset",
        "--needs",
        "0",
        "--programmes",
        "1000",
        "--seed",
        "3",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    rng = random.Random(3)  # noqa: S311 (test data)
    providers = [p["ref"] for p in data["providers"]]
    for record in data["programmes"]:
        if rng.random() < 0.7:
            with_funding(record, rng, providers)
        record["status"] = "published"
    import_dataset(data=data)

    root = export()

    assert len(root) == 1000
    assert len(root.findall("iati-activity/budget")) > 500


def test_an_activity_carries_every_language_roles_budgets_and_a_link_back(db):
    funder = ProviderFactory(name="Global Fund for Cyber")
    programme = ProgrammeFactory(
        ref="csirt-west",
        title="CSIRT support",
        summary="Short.",
        description="Long.",
        topics=["csirt-establishment", "cybercrime-legislation"],
        ldc_only=True,
    )
    programme.eligible_countries.set(["SEN", "MLI"])
    programme.eligible_regions.set(["002"])
    ContentTranslation.objects.create(
        content_object=programme, language_id="fr", title="Appui CSIRT", summary="Bref."
    )
    ExchangeRate.objects.create(
        currency="EUR", valid_from="2026-01-01", usd_per_unit=Decimal("1.1")
    )
    write_funding(
        programme=programme,
        funding=parse_funding(
            {
                "currency": "EUR",
                "total_budget": "1000",
                "participants": [
                    {"role": "funding", "provider": funder.ref, "iati_ref": "XM-1"},
                    {"role": "implementing", "name": "CERT-SN"},
                ],
                "budget_lines": [
                    {
                        "period_start": "2026-01-01",
                        "period_end": "2026-12-31",
                        "amount": "600",
                        "currency": "EUR",
                    }
                ],
            }
        ),
    )

    (activity,) = export()

    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    assert [(n.get(lang), n.text) for n in activity.findall("title/narrative")] == [
        ("en", "CSIRT support"),
        ("fr", "Appui CSIRT"),
    ]
    assert [
        (o.get("role"), o.get("ref"), o.findtext("narrative"))
        for o in activity.findall("participating-org")
    ] == [("1", "XM-1", "Global Fund for Cyber"), ("4", None, "CERT-SN")]
    assert [c.get("code") for c in activity.findall("recipient-country")] == [
        "ML",
        "SN",
    ]
    assert [
        (r.get("code"), r.get("vocabulary"))
        for r in activity.findall("recipient-region")
    ] == [("002", "2")]
    assert [
        (s.get("code"), s.get("percentage")) for s in activity.findall("sector")
    ] == [("15130", "50.00"), ("22040", "50.00")]
    assert "ldc-only" in [t.get("code") for t in activity.findall("tag")]
    (budget,) = activity.findall("budget")
    assert budget.find("value").text == "600.00"
    assert budget.find("value").get("currency") == "EUR"
    assert activity.find("document-link").get("url") == (
        "https://cbm.example/programmes/csirt-west/"
    )


@pytest.mark.parametrize(
    "url", ["/open-data/iati-activities.xml", "/api/v1/iati/activities/"]
)
def test_the_export_is_served_streamed_with_published_programmes_only(client, db, url):
    ProgrammeFactory(ref="shown")
    ProgrammeFactory(ref="draft", status="draft")

    response = client.get(url)

    assert response.status_code == 200
    assert response.streaming
    root = etree.fromstring(b"".join(response.streaming_content))
    assert [a.findtext("iati-identifier") for a in root] == ["XI-CBM-shown"]


def test_the_export_reads_a_chunk_at_a_time_by_ref(
    db, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(iati, "CHUNK", 2)
    for ref in ["p-c", "p-a", "p-e", "p-b", "p-d"]:
        ProgrammeFactory(ref=ref)
    ProgrammeFactory(ref="p-draft", status="draft")
    ContentType.objects.clear_cache()

    # The programme's content type (then cached), and three chunks of seven
    # queries: the programmes' values, then their translations, participants,
    # budget lines, countries, regions and topics.
    with django_assert_num_queries(22):
        root = export()

    assert [a.findtext("iati-identifier") for a in root] == [
        "XI-CBM-p-a",
        "XI-CBM-p-b",
        "XI-CBM-p-c",
        "XI-CBM-p-d",
        "XI-CBM-p-e",
    ]
