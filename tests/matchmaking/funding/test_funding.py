"""Roles and money on programmes: parsing, writing, USD equivalents, the
dataset format, the page and the API."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from matchmaking.dataset.checks import DatasetInvalid
from matchmaking.dataset.exchange import export_dataset
from matchmaking.dataset.exchange import import_dataset
from matchmaking.funding.rates import add_exchange_rates
from matchmaking.funding.rates import refresh_usd
from matchmaking.funding.rates import usd_equivalent
from matchmaking.funding.services import parse_funding
from matchmaking.funding.services import write_funding
from matchmaking.models import BudgetLine
from matchmaking.models import CoordinationShare
from matchmaking.models import ExchangeRate
from matchmaking.models import Need
from matchmaking.models import ParticipatingOrganisation
from matchmaking.models import Programme
from matchmaking.models import ProgrammeFunding
from matchmaking.models import Provider
from tests.factories import MembershipFactory
from tests.factories import ProgrammeFactory
from tests.factories import ProviderFactory

FUNDING = {
    "total_budget": "250000",
    "currency": "EUR",
    "cost_per_participant": "1200.50",
    "participants": [
        {"role": "funding", "provider": "donor"},
        {"role": "implementing", "name": "CERT Africa", "iati_ref": "XM-OCHA-1"},
    ],
    "budget_lines": [
        {
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "amount": "100000",
            "currency": "EUR",
        },
        {
            "period_start": "2027-01-01",
            "period_end": "2027-12-31",
            "amount": "150000",
            "currency": "EUR",
        },
    ],
}


def test_parse_funding_names_every_problem_by_its_path(db):
    with pytest.raises(ValidationError) as raised:
        parse_funding(
            {
                "currency": "EURO",
                "total_budget": "-1",
                "participants": [{"role": "donor"}, {"role": "funding"}],
                "budget_lines": [
                    {"period_start": "2026-02-01", "period_end": "2026-01-01"}
                ],
                "colour": "red",
            }
        )

    assert sorted(raised.value.message_dict) == [
        "budget_lines[0].amount",
        "budget_lines[0].period_end",
        "colour",
        "currency",
        "participants[0].name",
        "participants[0].role",
        "participants[1].name",
        "total_budget",
    ]


def test_usd_equivalents_use_the_rate_in_force_at_the_period_start(db):
    ProviderFactory(ref="donor", name="Donor")
    programme = ProgrammeFactory()
    ExchangeRate.objects.create(
        currency="EUR", valid_from="2025-06-01", usd_per_unit=Decimal("1.10")
    )
    ExchangeRate.objects.create(
        currency="EUR", valid_from="2027-01-01", usd_per_unit=Decimal("1.20")
    )

    write_funding(programme=programme, funding=parse_funding(FUNDING))

    assert list(
        BudgetLine.objects.filter(programme=programme).values_list(
            "amount_usd", flat=True
        )
    ) == [Decimal("110000.00"), Decimal("180000.00")]
    assert (
        usd_equivalent(
            amount=Decimal(10), currency="XOF", on=programme.created_at.date()
        )
        is None
    )
    # A curator corrects a rate: the stored equivalents follow.
    ExchangeRate.objects.filter(valid_from="2027-01-01").update(
        usd_per_unit=Decimal("1.00")
    )
    assert refresh_usd() == 1
    assert BudgetLine.objects.get(period_start="2027-01-01").amount_usd == Decimal(
        "150000.00"
    )


def test_adding_exchange_rates_keeps_the_held_ones_and_converts_at_once(db):
    ProviderFactory(ref="donor", name="Donor")
    programme = ProgrammeFactory(starts_on=date(2026, 3, 1))
    write_funding(programme=programme, funding=parse_funding(FUNDING))
    ExchangeRate.objects.create(
        currency="EUR", valid_from="2027-01-01", usd_per_unit=Decimal("1.20")
    )
    rates = [
        ("EUR", date(2026, 1, 1), Decimal("1.10")),
        ("EUR", date(2027, 1, 1), Decimal("1.00")),  # held: a curator's 1.20 stays
        ("JPY", date(2026, 1, 1), Decimal("0.0067")),
    ]

    assert add_exchange_rates(rates=rates) == 2

    assert sorted(
        ExchangeRate.objects.values_list("currency", "valid_from", "usd_per_unit")
    ) == [
        ("EUR", date(2026, 1, 1), Decimal("1.1000000000")),
        ("EUR", date(2027, 1, 1), Decimal("1.2000000000")),
        ("JPY", date(2026, 1, 1), Decimal("0.0067000000")),
    ]
    assert list(
        BudgetLine.objects.filter(programme=programme).values_list(
            "amount_usd", flat=True
        )
    ) == [Decimal("110000.00"), Decimal("180000.00")]
    assert ProgrammeFunding.objects.get(programme=programme).total_budget_usd == (
        Decimal("275000.00")
    )
    # The coordination view's cells follow, as after a rate edit in the admin.
    assert list(
        CoordinationShare.objects.filter(programme_id=programme.pk).values_list(
            "funder", "cents"
        )
    ) == [("Donor", 29_000_000)]
    assert add_exchange_rates(rates=rates) == 0


def test_funding_round_trips_through_the_dataset_format(db):
    ProviderFactory(ref="donor", name="Donor")
    programme = ProgrammeFactory(ref="p1")
    write_funding(programme=programme, funding=parse_funding(FUNDING))
    exported = export_dataset(
        providers=Provider.objects.all(),
        programmes=Programme.objects.all(),
        needs=Need.objects.none(),
    )
    (record,) = exported["programmes"]
    assert record["funding"] == {
        "currency": "EUR",
        "total_budget": "250000.00",
        "cost_per_participant": "1200.50",
        "participants": [
            {"role": "funding", "provider": "donor"},
            {"role": "implementing", "name": "CERT Africa", "iati_ref": "XM-OCHA-1"},
        ],
        "budget_lines": [
            {**line, "amount": f"{line['amount']}.00"}
            for line in FUNDING["budget_lines"]
        ],
    }
    ParticipatingOrganisation.objects.all().delete()
    BudgetLine.objects.all().delete()

    import_dataset(data=json.loads(json.dumps(exported)))

    again = export_dataset(
        providers=Provider.objects.all(),
        programmes=Programme.objects.all(),
        needs=Need.objects.none(),
    )
    assert again["programmes"][0]["funding"] == record["funding"]


def test_a_dataset_with_bad_funding_is_refused_naming_record_and_field(db):
    ProviderFactory(ref="prov", name="Prov")
    data = {
        "format": "cbm-dataset/1",
        "programmes": [
            {
                "ref": "x",
                "provider": "prov",
                "title": "Incident response training",
                "topics": ["incident-response"],
                "languages": ["en"],
                "funding": {"participants": [{"role": "funding", "provider": "nope"}]},
            }
        ],
    }
    with pytest.raises(DatasetInvalid) as raised:
        import_dataset(data=data)

    assert [(p.ref, p.field) for p in raised.value.problems] == [
        ("x", "funding.participants[0].provider")
    ]
    assert not Programme.objects.filter(ref="x").exists()


def test_the_provider_edits_funding_on_its_page_and_it_shows(client, db):
    member = MembershipFactory(member_state=None, provider=ProviderFactory())
    programme = ProgrammeFactory(provider=member.provider, ref="mine")
    client.force_login(member.user)

    response = client.post(
        "/programmes/mine/funding/",
        {
            "total_budget": "5000",
            "currency": "USD",
            "participant-0-role": "funding",
            "participant-0-name": "Ministry of Foreign Affairs",
            "line-0-period_start": "2026-01-01",
            "line-0-period_end": "2026-06-30",
            "line-0-amount": "5000",
            "line-0-currency": "USD",
        },
    )

    assert response.status_code == 302
    page = client.get("/programmes/mine/").content.decode()
    assert "Ministry of Foreign Affairs" in page
    assert "USD 5,000" in page
    assert programme.budget_lines.get().amount_usd == Decimal("5000.00")


def test_the_funding_page_keeps_everything_typed_when_it_shows_a_problem(client, db):
    member = MembershipFactory(member_state=None, provider=ProviderFactory())
    programme = ProgrammeFactory(provider=member.provider, ref="mine")
    write_funding(
        programme=programme,
        funding=parse_funding({"participants": [{"role": "funding", "name": "Old"}]}),
    )
    client.force_login(member.user)
    typed = {
        "total_budget": "75000",
        "currency": "EUR",
        "cost_per_participant": "1500",
        "participant-0-role": "implementing",
        "participant-0-name": "CERT Africa",
        "participant-0-iati_ref": "XM-OCHA-1",
        "participant-1-role": "funding",
        "participant-1-provider": member.provider.ref,
        "line-0-period_start": "2026-01-01",
        "line-0-period_end": "2026-12-31",
        "line-0-amount": "40000",
        "line-0-currency": "EUR",
        "line-1-period_start": "2027-01-01",
        "line-1-period_end": "2027-12-31",
        "line-1-amount": "a lot",
        "line-1-currency": "GBP",
    }

    response = client.post("/programmes/mine/funding/", typed)

    assert response.status_code == 400
    page = response.content.decode()
    assert "budget_lines[1].amount" in page
    for name, value in typed.items():
        if name.endswith(("role", "currency", "provider")):
            selected = f'<option value="{value}" selected>'
            assert selected in page or f"<option selected>{value}</option>" in page
        else:
            assert f'name="{name}"' in page
            assert f'value="{value}"' in page, name
    assert 'value="Old"' not in page
    assert list(programme.participants.values_list("name", flat=True)) == ["Old"]
    assert not programme.budget_lines.exists()


def test_others_cannot_change_funding_by_page_or_api(client, db):
    ProgrammeFactory(ref="theirs")
    outsider = MembershipFactory(member_state=None, provider=ProviderFactory())
    client.force_login(outsider.user)

    page = client.post("/programmes/theirs/funding/", {"total_budget": "1"})
    api = client.put(
        "/api/v1/programme-funding/theirs/",
        {"total_budget": "1"},
        content_type="application/json",
    )

    assert page.status_code == 404
    assert api.status_code == 403
    assert not BudgetLine.objects.exists()
    assert (
        client.get("/api/v1/programme-funding/theirs/").json()["total_budget"] is None
    )


def test_the_api_replaces_funding_and_reports_problems(client, db):
    ProviderFactory(ref="donor", name="Donor")
    member = MembershipFactory(member_state=None, provider=ProviderFactory())
    ProgrammeFactory(provider=member.provider, ref="mine")
    client.force_login(member.user)

    bad = client.put(
        "/api/v1/programme-funding/mine/",
        {"participants": [{"role": "sponsor", "name": "X"}]},
        content_type="application/json",
    )
    good = client.put(
        "/api/v1/programme-funding/mine/", FUNDING, content_type="application/json"
    )

    assert bad.status_code == 400
    assert "participants[0].role" in json.dumps(bad.json())
    assert good.status_code == 200
    body = client.get("/api/v1/programme-funding/mine/").json()
    assert body["participants"] == [
        {"role": "funding", "provider": "donor", "name": "Donor", "iati_ref": ""},
        {
            "role": "implementing",
            "provider": None,
            "name": "CERT Africa",
            "iati_ref": "XM-OCHA-1",
        },
    ]
    assert [line["amount"] for line in body["budget_lines"]] == [
        "100000.00",
        "150000.00",
    ]


def test_the_api_filters_programmes_by_funder(client, db):
    donor = ProviderFactory(ref="donor", name="Nordic Donor")
    funded = ProgrammeFactory(ref="funded")
    ProgrammeFactory(ref="other")
    write_funding(
        programme=funded,
        funding=parse_funding(
            {"participants": [{"role": "funding", "provider": "donor"}]}
        ),
    )
    assert donor

    by_ref = client.get("/api/v1/programmes/?funded_by=donor").json()
    by_name = client.get("/api/v1/programmes/?funder=nordic").json()

    assert [p["ref"] for p in by_ref["results"]] == ["funded"]
    assert [p["ref"] for p in by_name["results"]] == ["funded"]


def _funded_dataset(refs, *, funding=FUNDING):
    return {
        "format": "cbm-dataset/1",
        "programmes": [
            {
                "ref": ref,
                "provider": "prov",
                "title": f"Incident response training {ref}",
                "topics": ["incident-response"],
                "languages": ["en"],
                "funding": funding,
            }
            for ref in refs
        ],
    }


def test_the_dataset_import_writes_funding_in_flat_queries(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ProviderFactory(ref="prov", name="Prov")
    ProviderFactory(ref="donor", name="Donor")
    ExchangeRate.objects.create(
        currency="EUR", valid_from="2020-01-01", usd_per_unit="1.10"
    )
    import_dataset(data=_funded_dataset(["warm"]))
    counts = []
    for size in (2, 12):
        refs = [f"s{size}-{i}" for i in range(size)]
        with CaptureQueriesContext(connection) as queries:
            import_dataset(data=_funded_dataset(refs))
        counts.append(len(queries))

    # As many queries for 12 programmes as for 2 (no query per programme).
    assert counts[0] == counts[1]
    assert ParticipatingOrganisation.objects.count() == 15 * 2
    assert BudgetLine.objects.filter(amount_usd=Decimal("110000.00")).count() == 15
    exported = export_dataset(
        providers=Provider.objects.all(),
        programmes=Programme.objects.filter(ref="s12-11"),
        needs=Need.objects.none(),
    )
    assert (
        exported["programmes"][0]["funding"]["participants"]
        == (FUNDING["participants"])
    )


def test_a_dataset_import_replaces_funding_or_writes_nothing(db):
    ProviderFactory(ref="prov", name="Prov")
    ProviderFactory(ref="donor", name="Donor")
    import_dataset(data=_funded_dataset(["a", "b"]))
    before = sorted(BudgetLine.objects.values_list("programme__ref", "amount"))
    bad = _funded_dataset(["a", "b", "c"], funding={"total_budget": "5000"})
    bad["programmes"][1]["funding"] = {
        "budget_lines": [{"period_start": "2026-01-01", "period_end": "2026-12-31"}]
    }

    with pytest.raises(DatasetInvalid) as raised:
        import_dataset(data=bad)

    assert [(p.ref, p.field) for p in raised.value.problems] == [
        ("b", "funding.budget_lines[0].amount")
    ]
    assert not Programme.objects.filter(ref="c").exists()
    assert sorted(BudgetLine.objects.values_list("programme__ref", "amount")) == (
        before
    )
    assert ParticipatingOrganisation.objects.count() == 4

    bad["programmes"][1]["funding"] = None
    import_dataset(data=bad)

    assert BudgetLine.objects.count() == 0
    assert ParticipatingOrganisation.objects.count() == 0
    assert sorted(
        Programme.objects.filter(funding__isnull=False).values_list(
            "ref", "funding__total_budget", "funding__currency"
        )
    ) == [("a", Decimal("5000.00"), "USD"), ("c", Decimal("5000.00"), "USD")]


def _funding_rows():
    """Every stored row of the programmes' funding, with its id and stamp."""
    return (
        sorted(ParticipatingOrganisation.objects.values_list("pk", "programme_id")),
        sorted(BudgetLine.objects.values_list("pk", "programme_id")),
        sorted(ProgrammeFunding.objects.values_list("pk", "updated_at")),
    )


def test_importing_the_same_funding_again_rewrites_nothing(db):
    ProviderFactory(ref="prov", name="Prov")
    ProviderFactory(ref="donor", name="Donor")
    # Given in another order than it is read back (participants by role,
    # lines by start): the same funding all the same.
    funding = {
        **FUNDING,
        "participants": FUNDING["participants"][::-1],
        "budget_lines": FUNDING["budget_lines"][::-1],
    }
    import_dataset(data=_funded_dataset(["a", "b"], funding=funding))
    before = _funding_rows()

    import_dataset(data=_funded_dataset(["a", "b"], funding=funding))

    assert _funding_rows() == before
    changed = _funded_dataset(["a", "b"], funding=funding)
    changed["programmes"][1]["funding"] = {**funding, "total_budget": "260000"}
    import_dataset(data=changed)
    participants = _funding_rows()[0]
    a, b = (Programme.objects.get(ref=ref).pk for ref in ("a", "b"))
    assert [row for row in participants if row[1] == a] == [
        row for row in before[0] if row[1] == a
    ]
    assert [row for row in participants if row[1] == b] != [
        row for row in before[0] if row[1] == b
    ]
    assert ProgrammeFunding.objects.get(programme=b).total_budget == Decimal(
        "260000.00"
    )


def test_the_catalogue_filters_programmes_by_funder(client, db):
    from matchmaking.enums import ProgrammeStatus
    from matchmaking.models import SearchScope
    from matchmaking.savedsearches.queries import from_page

    ProviderFactory(ref="donor", name="Nordic Donor")
    by_provider = ProgrammeFactory(ref="funded", title="Funded training")
    by_name = ProgrammeFactory(ref="named", title="Named training")
    implemented = ProgrammeFactory(ref="implemented", title="Implemented training")
    draft = ProgrammeFactory(
        ref="draft", title="Draft training", status=ProgrammeStatus.DRAFT
    )
    ProgrammeFactory(ref="other", title="Other training")
    for programme, participant in (
        (by_provider, {"role": "funding", "provider": "donor"}),
        (by_name, {"role": "funding", "name": "Nordic Fund"}),
        (implemented, {"role": "implementing", "name": "Nordic Implementer"}),
        (draft, {"role": "funding", "provider": "donor"}),
    ):
        write_funding(
            programme=programme,
            funding=parse_funding({"participants": [participant]}),
        )

    page = client.get("/programmes/?funder=nordic").content.decode()
    french = client.get("/fr/programmes/?funder=NORDIC").content.decode()

    for html in (page, french):
        shown = sorted(
            ref
            for ref in ("funded", "named", "implemented", "draft", "other")
            if f'href="{"/fr" if html is french else ""}/programmes/{ref}/"' in html
        )
        assert shown == ["funded", "named"]
        assert 'name="funder" type="search" maxlength="200" value="' in html
    assert ">Funded by</label>" in page
    assert ">Financé par</label>" in french
    assert "2 programmes" in page
    assert from_page(scope=SearchScope.PROGRAMMES, page_query="funder=nordic") == (
        "funder=nordic"
    )
