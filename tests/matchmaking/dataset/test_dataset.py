"""Import and export of cbm-dataset/1 documents."""

import copy
import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from matchmaking.dataset.checks import DatasetInvalid
from matchmaking.dataset.checks import validate_dataset
from matchmaking.dataset.exchange import ImportResult
from matchmaking.dataset.exchange import export_dataset
from matchmaking.dataset.exchange import import_dataset
from matchmaking.dataset.records import Problem
from matchmaking.enums import NeedStatus
from matchmaking.enums import ProgrammeStatus
from matchmaking.enums import Visibility
from matchmaking.models import MemberState
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.models import Provider
from matchmaking.selectors import needs_visible_to
from matchmaking.selectors import programmes_visible_to
from matchmaking.services import verify_provider
from tests.factories import NeedFactory
from tests.factories import ProgrammeFactory
from tests.factories import UserFactory
from tests.paths import DATA

pytestmark = pytest.mark.django_db

# The project's copy of the shared development set (../shared/eval/dev.json).
DEV_JSON = DATA / "dev.json"


@pytest.fixture(scope="module")
def dev_data() -> dict[str, Any]:
    return json.loads(DEV_JSON.read_text(encoding="utf-8"))


@pytest.fixture
def dev(dev_data) -> dict[str, Any]:
    return copy.deepcopy(dev_data)


def small() -> dict[str, Any]:
    """A valid dataset of one provider, one programme and one need."""
    return {
        "format": "cbm-dataset/1",
        "about": "A small test set.",
        "providers": [
            {
                "ref": "itu",
                "name": "International Telecommunication Union",
                "stakeholder_group": "intergovernmental",
                "country": "CHE",
                "website": "https://www.itu.int",
                "description": "UN specialised agency for ICTs.",
            }
        ],
        "programmes": [
            {
                "ref": "itu-cirt",
                "provider": "itu",
                "title": "National CIRT establishment",
                "summary": "Sets up national CIRTs.",
                "description": "Assessment, design and launch of a national CIRT.",
                "topics": ["incident-response", "csirt-establishment"],
                "assistance_types": ["technical-assistance", "assessment"],
                "audiences": ["csirt-staff"],
                "languages": ["fr", "en"],
                "delivery_modes": ["in-person"],
                "eligibility": {
                    "regions": ["002"],
                    "countries": ["FJI"],
                    "ldc_only": True,
                    "sids_only": False,
                },
                "cost_model": "free",
                "capacity": 6,
                "starts_on": "2026-01-01",
                "ends_on": "2027-12-31",
            }
        ],
        "needs": [
            {
                "ref": "sen-csirt",
                "country": "SEN",
                "title": "Établir le CSIRT national",
                "summary": "Un CSIRT opérationnel.",
                "description": "Le Sénégal souhaite rendre opérationnel son CSIRT.",
                "topics": ["csirt-establishment"],
                "assistance_types": ["training"],
                "audiences": ["csirt-staff", "policymakers"],
                "languages": ["fr"],
                "delivery_modes": ["in-person", "hybrid"],
                "priority": "high",
                "visibility": "registered",
                "needed_by": "2027-06-30",
            }
        ],
    }


def counts() -> dict[str, int]:
    return {
        "providers": Provider.objects.count(),
        "programmes": Programme.objects.count(),
        "needs": Need.objects.count(),
        "member_states": MemberState.objects.count(),
    }


NOTHING = {"providers": 0, "programmes": 0, "needs": 0, "member_states": 0}


def tags(obj: Programme | Need) -> dict[str, list[str]]:
    names = ["topics", "assistance_types", "audiences", "languages", "delivery_modes"]
    if isinstance(obj, Programme):
        names += ["eligible_regions", "eligible_countries"]
    return {
        name: sorted(getattr(obj, name).values_list("pk", flat=True)) for name in names
    }


def refs(model: type[Provider | Programme | Need]) -> list[str]:
    return sorted(model.objects.values_list("ref", flat=True))


def stamps() -> dict[str, dict[str, Any]]:
    return {
        model.__name__: dict(model.objects.values_list("ref", "updated_at"))
        for model in (Provider, Programme, Need)
    }


def per_section(providers: int, programmes: int, needs: int) -> dict[str, int]:
    return {"providers": providers, "programmes": programmes, "needs": needs}


# --- importing -------------------------------------------------------------


def test_import_dev_dataset_creates_exactly_its_records(dev):
    result = import_dataset(data=dev)

    assert result == ImportResult(
        created=per_section(32, 40, 24),
        updated=per_section(0, 0, 0),
        unchanged=per_section(0, 0, 0),
    )
    assert refs(Provider) == sorted(p["ref"] for p in dev["providers"])
    assert refs(Programme) == sorted(p["ref"] for p in dev["programmes"])
    assert refs(Need) == sorted(n["ref"] for n in dev["needs"])
    assert len(refs(Provider)) == 32
    assert len(refs(Programme)) == 40
    assert len(refs(Need)) == 24
    assert sorted(MemberState.objects.values_list("country_id", flat=True)) == sorted(
        {n["country"] for n in dev["needs"]}
    )

    itu = Provider.objects.get(ref="itu")
    assert (itu.name, itu.stakeholder_group_id, itu.country_id, itu.website) == (
        "International Telecommunication Union",
        "intergovernmental",
        "CHE",
        "https://www.itu.int",
    )
    assert itu.is_verified is False

    programme = Programme.objects.get(ref="itu-cirt")
    assert programme.provider == itu
    assert programme.status == ProgrammeStatus.PUBLISHED
    assert programme.title == "National CIRT readiness assessment and establishment"
    assert programme.description == dev["programmes"][0]["description"]
    assert (programme.cost_model_id, programme.capacity) == ("cost-shared", 6)
    assert (programme.ldc_only, programme.sids_only) == (False, False)
    assert (programme.starts_on, programme.ends_on, programme.owner) == (
        None,
        None,
        None,
    )
    assert tags(programme) == {
        "topics": ["csirt-establishment", "incident-response"],
        "assistance_types": ["assessment", "technical-assistance", "training"],
        "audiences": ["csirt-staff", "policymakers", "regulators"],
        "languages": ["ar", "en", "es", "fr", "ru"],
        "delivery_modes": ["hybrid", "in-person"],
        "eligible_regions": [],
        "eligible_countries": [],
    }

    need = Need.objects.get(ref="sen-csirt")
    assert need.member_state.country_id == "SEN"
    assert need.status == NeedStatus.OPEN
    assert need.title.startswith("Mise en place du CSIRT national")
    assert need.description == dev["needs"][0]["description"]
    assert (need.priority_id, need.visibility, need.needed_by, need.summary) == (
        "high",
        "public",
        None,
        "",
    )
    assert tags(need) == {
        "topics": [
            "critical-infrastructure",
            "csirt-establishment",
            "governance-structures",
            "incident-response",
        ],
        "assistance_types": ["assessment", "technical-assistance", "training"],
        "audiences": ["ci-operators", "csirt-staff", "policymakers"],
        "languages": ["fr"],
        "delivery_modes": ["hybrid", "in-person"],
    }


def test_importing_the_same_dataset_twice_changes_nothing(dev):
    import_dataset(data=dev)
    before = stamps()

    result = import_dataset(data=dev)

    assert result == ImportResult(
        created=per_section(0, 0, 0),
        updated=per_section(0, 0, 0),
        unchanged=per_section(32, 40, 24),
    )
    assert stamps() == before


def test_import_updates_only_the_records_that_differ(dev):
    import_dataset(data=dev)
    before = stamps()
    dev["providers"][0]["website"] = "https://itu.int/cyber"
    dev["programmes"][0]["topics"] = ["cyber-exercises"]
    dev["programmes"][0]["eligibility"]["regions"] = ["002", "019"]
    dev["needs"][0]["title"] = "CSIRT national"
    dev["needs"][1]["languages"] = ["en", "fr"]

    result = import_dataset(data=dev)

    assert result == ImportResult(
        created=per_section(0, 0, 0),
        updated=per_section(1, 1, 2),
        unchanged=per_section(31, 39, 22),
    )
    after = stamps()
    moved = {
        name: sorted(ref for ref in rows if rows[ref] != before[name][ref])
        for name, rows in after.items()
    }
    assert moved == {
        "Provider": ["itu"],
        "Programme": ["itu-cirt"],
        "Need": sorted([dev["needs"][0]["ref"], dev["needs"][1]["ref"]]),
    }
    assert Provider.objects.get(ref="itu").website == "https://itu.int/cyber"
    programme = Programme.objects.get(ref="itu-cirt")
    assert tags(programme)["topics"] == ["cyber-exercises"]
    assert tags(programme)["eligible_regions"] == ["002", "019"]
    assert tags(programme)["languages"] == ["ar", "en", "es", "fr", "ru"]
    assert Need.objects.get(ref="sen-csirt").title == "CSIRT national"
    assert tags(Need.objects.get(ref=dev["needs"][1]["ref"]))["languages"] == [
        "en",
        "fr",
    ]


def test_import_rejects_unknown_topic_country_and_duplicate_ref_writing_nothing(
    dev,
):
    import_dataset(data=dev)
    before = counts()
    titles = dict(Programme.objects.values_list("ref", "title"))
    dev["programmes"][2]["title"] = "A change that must not be saved"
    dev["needs"][0]["topics"].append("csirt-setup")
    dev["needs"][1]["country"] = "XYZ"
    dev["programmes"][1]["ref"] = "itu-cirt"

    expected = [
        Problem("itu-cirt", "programmes", "ref", "duplicate ref 'itu-cirt'"),
        Problem("sen-csirt", "needs", "topics", "unknown topic 'csirt-setup'"),
        Problem(dev["needs"][1]["ref"], "needs", "country", "unknown country 'XYZ'"),
    ]
    assert validate_dataset(data=dev) == expected
    with pytest.raises(DatasetInvalid) as raised:
        import_dataset(data=dev)

    assert raised.value.problems == expected
    assert str(raised.value) == (
        "programmes[itu-cirt].ref: duplicate ref 'itu-cirt'\n"
        "needs[sen-csirt].topics: unknown topic 'csirt-setup'\n"
        f"needs[{dev['needs'][1]['ref']}].country: unknown country 'XYZ'"
    )
    assert counts() == before
    assert dict(Programme.objects.values_list("ref", "title")) == titles


def test_import_rejects_a_document_that_is_not_an_object():
    expected = [Problem("", "", "", "the dataset must be an object")]

    assert validate_dataset(data=[small()]) == expected
    with pytest.raises(DatasetInvalid) as raised:
        import_dataset(data=[small()])
    assert raised.value.problems == expected
    assert counts() == NOTHING


def edit(section: str, **fields: Any) -> Callable[[dict], None]:
    """Set fields of the first record of a section."""

    def apply(data: dict) -> None:
        data[section][0].update(fields)

    return apply


def drop(section: str, field: str) -> Callable[[dict], None]:
    def apply(data: dict) -> None:
        del data[section][0][field]

    return apply


def edit_eligibility(**fields: Any) -> Callable[[dict], None]:
    def apply(data: dict) -> None:
        data["programmes"][0]["eligibility"].update(fields)

    return apply


def top(**fields: Any) -> Callable[[dict], None]:
    def apply(data: dict) -> None:
        data.update(fields)

    return apply


def prov(field: str, message: str) -> Problem:
    return Problem("itu", "providers", field, message)


def prog(field: str, message: str) -> Problem:
    return Problem("itu-cirt", "programmes", field, message)


def need(field: str, message: str) -> Problem:
    return Problem("sen-csirt", "needs", field, message)


NOT_A_REF = "is not a ref (up to 100 letters, digits, hyphens and underscores)"

RULES = [
    # the document
    (
        top(format="cbm-dataset/2"),
        [Problem("", "", "format", "expected 'cbm-dataset/1', got 'cbm-dataset/2'")],
    ),
    (
        drop_format := (lambda d: d.pop("format")),
        [Problem("", "", "format", "required")],
    ),
    (top(about=3), [Problem("", "", "about", "must be a string")]),
    (top(need=[]), [Problem("", "", "need", "unknown field")]),
    (top(needs={}), [Problem("", "needs", "", "must be a list")]),
    (top(needs=["sen-csirt"]), [Problem("#0", "needs", "", "must be an object")]),
    # refs
    (drop("needs", "ref"), [Problem("#0", "needs", "ref", "required")]),
    (
        edit("needs", ref="sen csirt"),
        [Problem("#0", "needs", "ref", f"'sen csirt' {NOT_A_REF}")],
    ),
    (
        edit("needs", ref="x" * 101),
        [Problem("#0", "needs", "ref", f"'{'x' * 101}' {NOT_A_REF}")],
    ),
    (edit("needs", ref=7), [Problem("#0", "needs", "ref", f"7 {NOT_A_REF}")]),
    (
        lambda d: d["providers"].append(dict(d["providers"][0])),
        [prov("ref", "duplicate ref 'itu'")],
    ),
    # providers
    (drop("providers", "name"), [prov("name", "required")]),
    (edit("providers", name="  "), [prov("name", "must not be empty")]),
    (edit("providers", name="n" * 201), [prov("name", "longer than 200 characters")]),
    (drop("providers", "stakeholder_group"), [prov("stakeholder_group", "required")]),
    (
        edit("providers", stakeholder_group="ngo"),
        [prov("stakeholder_group", "unknown stakeholder group 'ngo'")],
    ),
    (edit("providers", country="XYZ"), [prov("country", "unknown country 'XYZ'")]),
    (edit("providers", country=756), [prov("country", "must be a string")]),
    (
        edit("providers", website="itu dot int"),
        [prov("website", "'itu dot int' is not a URL")],
    ),
    (edit("providers", twitter="@itu"), [prov("twitter", "unknown field")]),
    # programmes
    (drop("programmes", "provider"), [prog("provider", "required")]),
    (
        edit("programmes", provider="unesco"),
        [prog("provider", "unknown provider 'unesco'")],
    ),
    (edit("programmes", provider=["itu"]), [prog("provider", "must be a string")]),
    (
        edit("programmes", status="live"),
        [
            prog(
                "status",
                "unknown status 'live' (one of draft, published, paused, closed)",
            )
        ],
    ),
    (drop("programmes", "title"), [prog("title", "required")]),
    (edit("programmes", title=42), [prog("title", "must be a string")]),
    (
        edit("programmes", title="t" * 301),
        [prog("title", "longer than 300 characters")],
    ),
    (edit("programmes", summary=["s"]), [prog("summary", "must be a string")]),
    (edit("programmes", topics=[]), [prog("topics", "at least one topic is required")]),
    (drop("programmes", "topics"), [prog("topics", "at least one topic is required")]),
    (
        edit("programmes", topics="incident-response"),
        [prog("topics", "must be a list of strings")],
    ),
    (
        edit("programmes", topics=["csirt-setup", "cyber-crime"]),
        [
            prog("topics", "unknown topic 'csirt-setup'"),
            prog("topics", "unknown topic 'cyber-crime'"),
        ],
    ),
    (
        edit("programmes", assistance_types=["coaching"]),
        [prog("assistance_types", "unknown assistance type 'coaching'")],
    ),
    (
        edit("programmes", audiences=["hackers"]),
        [prog("audiences", "unknown audience 'hackers'")],
    ),
    (
        edit("programmes", audiences=[1]),
        [prog("audiences", "must be a list of strings")],
    ),
    (
        edit("programmes", languages=["xx"]),
        [prog("languages", "unknown language 'xx'")],
    ),
    (
        edit("programmes", languages=[]),
        [prog("languages", "at least one language is required")],
    ),
    (
        edit("programmes", delivery_modes=["postal"]),
        [prog("delivery_modes", "unknown delivery mode 'postal'")],
    ),
    (
        edit("programmes", eligibility=["002"]),
        [prog("eligibility", "must be an object")],
    ),
    (
        edit_eligibility(regions=["999"]),
        [prog("eligibility.regions", "unknown region '999'")],
    ),
    (
        edit_eligibility(countries=["XYZ"]),
        [prog("eligibility.countries", "unknown country 'XYZ'")],
    ),
    (
        edit_eligibility(ldc_only="yes"),
        [prog("eligibility.ldc_only", "must be true or false")],
    ),
    (
        edit_eligibility(sids_only=None),
        [prog("eligibility.sids_only", "must be true or false")],
    ),
    (
        edit_eligibility(landlocked=True),
        [prog("eligibility.landlocked", "unknown field")],
    ),
    (
        edit("programmes", cost_model="cheap"),
        [prog("cost_model", "unknown cost model 'cheap'")],
    ),
    (
        edit("programmes", capacity="6"),
        [prog("capacity", "must be a whole number, 0 or more")],
    ),
    (
        edit("programmes", capacity=-1),
        [prog("capacity", "must be a whole number, 0 or more")],
    ),
    (
        edit("programmes", capacity=True),
        [prog("capacity", "must be a whole number, 0 or more")],
    ),
    (
        edit("programmes", capacity=2.5),
        [prog("capacity", "must be a whole number, 0 or more")],
    ),
    (
        edit("programmes", starts_on="2026-13-01"),
        [prog("starts_on", "'2026-13-01' is not a date (YYYY-MM-DD)")],
    ),
    (
        edit("programmes", starts_on="01/01/2026"),
        [prog("starts_on", "'01/01/2026' is not a date (YYYY-MM-DD)")],
    ),
    (
        edit("programmes", ends_on=2027),
        [prog("ends_on", "2027 is not a date (YYYY-MM-DD)")],
    ),
    (
        edit("programmes", ends_on="2025-12-31"),
        [prog("ends_on", "is before starts_on")],
    ),
    (edit("programmes", judgments={}), [prog("judgments", "unknown field")]),
    # needs
    (drop("needs", "country"), [need("country", "required")]),
    (edit("needs", country="XYZ"), [need("country", "unknown country 'XYZ'")]),
    (
        edit("needs", country="GRL"),
        [need("country", "'GRL' is not a UN member or observer state")],
    ),
    (
        edit("needs", status="done"),
        [
            need(
                "status",
                "unknown status 'done' (one of draft, open, in_discussion, "
                "in_delivery, fulfilled, closed, withdrawn)",
            )
        ],
    ),
    (drop("needs", "title"), [need("title", "required")]),
    (edit("needs", description=None, summary=5), [need("summary", "must be a string")]),
    (
        edit("needs", topics=["csirt-setup"]),
        [need("topics", "unknown topic 'csirt-setup'")],
    ),
    (
        drop("needs", "languages"),
        [need("languages", "at least one language is required")],
    ),
    (edit("needs", priority="urgent"), [need("priority", "unknown priority 'urgent'")]),
    (
        edit("needs", visibility="secret"),
        [
            need(
                "visibility",
                "unknown visibility 'secret' (one of public, registered, confidential)",
            )
        ],
    ),
    (
        edit("needs", needed_by="soon"),
        [need("needed_by", "'soon' is not a date (YYYY-MM-DD)")],
    ),
    (edit("needs", shared_with=["itu"]), [need("shared_with", "unknown field")]),
]


@pytest.mark.parametrize(
    ("change", "expected"),
    RULES,
    ids=[" & ".join(str(problem) for problem in expected) for _, expected in RULES],
)
def test_import_rejects_each_invalid_field_writing_nothing(change, expected):
    data = small()
    change(data)

    assert validate_dataset(data=data) == expected
    with pytest.raises(DatasetInvalid) as raised:
        import_dataset(data=data)
    assert raised.value.problems == expected
    assert counts() == NOTHING


def test_validation_reports_every_problem_of_a_record_in_field_order():
    data = small()
    data["programmes"][0].update(
        provider="unesco", title="", topics=["x"], capacity=-3, colour="red"
    )

    assert validate_dataset(data=data) == [
        prog("provider", "unknown provider 'unesco'"),
        prog("title", "must not be empty"),
        prog("topics", "unknown topic 'x'"),
        prog("capacity", "must be a whole number, 0 or more"),
        prog("colour", "unknown field"),
    ]


def test_validation_reports_problems_in_file_order():
    data = small()
    data["providers"][0]["country"] = "XYZ"
    data["programmes"][0]["topics"] = ["x"]
    data["programmes"].append(dict(data["programmes"][0], languages=["xx"]))
    data["needs"].insert(0, "sen-csirt")

    assert validate_dataset(data=data) == [
        prov("country", "unknown country 'XYZ'"),
        prog("topics", "unknown topic 'x'"),
        prog("ref", "duplicate ref 'itu-cirt'"),
        prog("topics", "unknown topic 'x'"),
        prog("languages", "unknown language 'xx'"),
        Problem("#0", "needs", "", "must be an object"),
    ]


def test_import_small_dataset_sets_every_field_defaults_and_owner():
    user = UserFactory()

    result = import_dataset(data=small(), user=user)

    assert result.created == per_section(1, 1, 1)
    programme = Programme.objects.get(ref="itu-cirt")
    assert programme.provider.ref == "itu"
    assert programme.status == ProgrammeStatus.PUBLISHED
    assert programme.owner == user
    assert (programme.title, programme.summary, programme.description) == (
        "National CIRT establishment",
        "Sets up national CIRTs.",
        "Assessment, design and launch of a national CIRT.",
    )
    assert (programme.ldc_only, programme.sids_only) == (True, False)
    assert (programme.cost_model_id, programme.capacity) == ("free", 6)
    assert (programme.starts_on, programme.ends_on) == (
        date(2026, 1, 1),
        date(2027, 12, 31),
    )
    assert tags(programme) == {
        "topics": ["csirt-establishment", "incident-response"],
        "assistance_types": ["assessment", "technical-assistance"],
        "audiences": ["csirt-staff"],
        "languages": ["en", "fr"],
        "delivery_modes": ["in-person"],
        "eligible_regions": ["002"],
        "eligible_countries": ["FJI"],
    }
    need = Need.objects.get(ref="sen-csirt")
    assert need.status == NeedStatus.OPEN
    assert need.owner == user
    assert need.member_state == MemberState.objects.get(country_id="SEN")
    assert (need.summary, need.priority_id, need.visibility, need.needed_by) == (
        "Un CSIRT opérationnel.",
        "high",
        Visibility.REGISTERED,
        date(2027, 6, 30),
    )
    assert tags(need) == {
        "topics": ["csirt-establishment"],
        "assistance_types": ["training"],
        "audiences": ["csirt-staff", "policymakers"],
        "languages": ["fr"],
        "delivery_modes": ["hybrid", "in-person"],
    }


def test_import_accepts_null_or_missing_optional_fields():
    data = small()
    data["providers"][0].update(country=None, website=None, description=None)
    data["programmes"][0].update(
        summary=None,
        eligibility=None,
        cost_model=None,
        capacity=None,
        starts_on=None,
        ends_on=None,
    )
    for field in ("assistance_types", "audiences", "delivery_modes"):
        del data["programmes"][0][field]
    data["needs"][0].update(priority=None, visibility=None, needed_by=None)

    import_dataset(data=data)

    provider = Provider.objects.get(ref="itu")
    assert (provider.country_id, provider.website, provider.description) == (
        None,
        "",
        "",
    )
    programme = Programme.objects.get(ref="itu-cirt")
    assert (
        programme.summary,
        programme.cost_model_id,
        programme.capacity,
        programme.starts_on,
        programme.ends_on,
        programme.ldc_only,
    ) == ("", None, None, None, None, False)
    assert tags(programme)["eligible_regions"] == []
    assert tags(programme)["assistance_types"] == []
    need = Need.objects.get(ref="sen-csirt")
    assert (need.priority_id, need.visibility, need.needed_by) == (
        None,
        Visibility.PUBLIC,
        None,
    )


def test_import_accepts_an_untagged_need_of_an_observer_state():
    data = small()
    data["needs"][0].update(country="PSE", topics=[], assistance_types=[], audiences=[])

    import_dataset(data=data)

    need = Need.objects.get(ref="sen-csirt")
    assert need.member_state.country_id == "PSE"
    assert tags(need)["topics"] == []


def test_import_accepts_sections_left_out_and_ignores_judgments():
    data = {
        "format": "cbm-dataset/1",
        "needs": small()["needs"],
        "judgments": {"sen-csirt": {"nothing": 2}},
    }

    result = import_dataset(data=data)

    assert result.created == per_section(0, 0, 1)
    assert refs(Need) == ["sen-csirt"]


def test_import_collapses_repeated_tags():
    data = small()
    data["needs"][0]["languages"] = ["fr", "fr", "en"]

    import_dataset(data=data)

    assert tags(Need.objects.get(ref="sen-csirt"))["languages"] == ["en", "fr"]


def test_import_links_programmes_to_providers_already_in_the_database():
    import_dataset(data=small())
    data = small()
    data["providers"] = []
    data["programmes"][0]["ref"] = "itu-drill"

    result = import_dataset(data=data)

    assert result.created == per_section(0, 1, 0)
    assert Programme.objects.get(ref="itu-drill").provider.ref == "itu"


def test_import_creates_missing_member_states_and_reuses_existing_ones():
    existing = MemberState.objects.create(country_id="SEN")
    data = small()
    second = dict(data["needs"][0], ref="tuv-forensics", country="TUV")
    data["needs"].append(second)

    import_dataset(data=data)

    assert Need.objects.get(ref="sen-csirt").member_state == existing
    assert Need.objects.get(ref="tuv-forensics").member_state.country_id == "TUV"
    assert sorted(MemberState.objects.values_list("country_id", flat=True)) == [
        "SEN",
        "TUV",
    ]


def test_import_takes_the_status_of_new_records_from_the_file():
    data = small()
    data["programmes"][0]["status"] = "draft"
    data["needs"][0]["status"] = "in_discussion"

    import_dataset(data=data)

    assert Programme.objects.get().status == ProgrammeStatus.DRAFT
    assert Need.objects.get().status == NeedStatus.IN_DISCUSSION


def test_import_keeps_the_status_of_existing_records_unless_the_file_gives_one():
    import_dataset(data=small())
    Programme.objects.update(status=ProgrammeStatus.PAUSED)
    Need.objects.update(status=NeedStatus.IN_DELIVERY)

    again = import_dataset(data=small())

    assert again.unchanged == per_section(1, 1, 1)
    assert Programme.objects.get().status == ProgrammeStatus.PAUSED
    assert Need.objects.get().status == NeedStatus.IN_DELIVERY

    data = small()
    data["programmes"][0]["status"] = "closed"
    data["needs"][0]["status"] = "fulfilled"
    changed = import_dataset(data=data)

    assert changed.updated == per_section(0, 1, 1)
    assert Programme.objects.get().status == ProgrammeStatus.CLOSED
    assert Need.objects.get().status == NeedStatus.FULFILLED


def test_an_update_keeps_the_fields_a_record_leaves_out():
    user = UserFactory()
    import_dataset(data=small(), user=user)
    data = small()
    for field in ("capacity", "eligibility", "audiences", "description"):
        del data["programmes"][0][field]
    for field in ("needed_by", "visibility", "priority", "summary", "topics"):
        del data["needs"][0][field]
    del data["providers"][0]["website"]
    data["programmes"][0]["title"] = "National CIRT establishment, 2nd edition"
    data["needs"][0]["title"] = "Établir le CSIRT national du Sénégal"

    result = import_dataset(data=data)

    assert result.updated == per_section(0, 1, 1)
    assert result.unchanged == per_section(1, 0, 0)
    programme = Programme.objects.get()
    assert (programme.title, programme.capacity, programme.ldc_only) == (
        "National CIRT establishment, 2nd edition",
        6,
        True,
    )
    assert programme.description.startswith("Assessment, design")
    assert tags(programme)["eligible_regions"] == ["002"]
    assert tags(programme)["eligible_countries"] == ["FJI"]
    assert tags(programme)["audiences"] == ["csirt-staff"]
    need = Need.objects.get()
    assert (
        need.title,
        need.needed_by,
        need.visibility,
        need.priority_id,
        need.summary,
    ) == (
        "Établir le CSIRT national du Sénégal",
        date(2027, 6, 30),
        Visibility.REGISTERED,
        "high",
        "Un CSIRT opérationnel.",
    )
    assert tags(need)["topics"] == ["csirt-establishment"]
    assert Provider.objects.get().website == "https://www.itu.int"
    # The format does not carry the owner: an update keeps it.
    assert (programme.owner, need.owner) == (user, user)


def test_an_update_resets_the_fields_a_record_sets_to_null():
    import_dataset(data=small())
    data = small()
    data["programmes"][0].update(capacity=None, eligibility=None)
    data["needs"][0].update(needed_by=None, priority=None)

    import_dataset(data=data)

    programme = Programme.objects.get()
    assert (programme.capacity, programme.ldc_only) == (None, False)
    assert tags(programme)["eligible_regions"] == []
    need = Need.objects.get()
    assert (need.needed_by, need.priority_id) == (None, None)


def confidential_need_and_a_second_provider() -> dict[str, Any]:
    data = small()
    data["needs"][0]["visibility"] = "confidential"
    data["providers"].append(
        {
            "ref": "unidir",
            "name": "UNIDIR",
            "stakeholder_group": "intergovernmental",
        }
    )
    import_dataset(data=data)
    return data


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            drop("needs", "visibility"),
            None,  # left out: the need stays confidential
        ),
        (
            edit("needs", visibility="public"),
            need(
                "visibility",
                "would lower the visibility from confidential to public; an "
                "import declassifies only when told to (--allow-declassify)",
            ),
        ),
        (
            edit("needs", visibility=None),
            need(
                "visibility",
                "would lower the visibility from confidential to public; an "
                "import declassifies only when told to (--allow-declassify)",
            ),
        ),
        (
            edit("needs", visibility="registered"),
            need(
                "visibility",
                "would lower the visibility from confidential to registered; an "
                "import declassifies only when told to (--allow-declassify)",
            ),
        ),
        (
            edit("needs", country="MLI"),
            need(
                "country",
                "would move the need from SEN to MLI; an import moves records "
                "only when told to (--allow-move)",
            ),
        ),
        (
            edit("programmes", provider="unidir"),
            prog(
                "provider",
                "would move the programme from provider 'itu' to 'unidir'; an "
                "import moves records only when told to (--allow-move)",
            ),
        ),
    ],
)
def test_an_import_never_declassifies_or_moves_a_record_silently(change, expected):
    data = confidential_need_and_a_second_provider()
    need_before = Need.objects.values().get()
    programme_before = Programme.objects.values().get()
    change(data)
    data["providers"][0]["description"] = "A change that must not be saved"

    if expected is None:
        import_dataset(data=data)
        assert Need.objects.get().visibility == Visibility.CONFIDENTIAL
        return
    assert validate_dataset(data=data) == [expected]
    with pytest.raises(DatasetInvalid) as raised:
        import_dataset(data=data)

    assert raised.value.problems == [expected]
    assert Need.objects.values().get() == need_before
    assert Programme.objects.values().get() == programme_before
    assert Provider.objects.get(ref="itu").description == (
        "UN specialised agency for ICTs."
    )
    # A confidential need stays out of sight of anonymous readers.
    assert list(needs_visible_to(user=AnonymousUser())) == []


def test_moves_and_declassifying_happen_only_when_allowed():
    data = confidential_need_and_a_second_provider()
    data["needs"][0].update(visibility="public", country="MLI")
    data["programmes"][0]["provider"] = "unidir"

    with pytest.raises(DatasetInvalid) as raised:
        import_dataset(data=data, allow_moves=True)
    assert [(p.section, p.field) for p in raised.value.problems] == [
        ("needs", "visibility")
    ]
    with pytest.raises(DatasetInvalid) as raised:
        import_dataset(data=data, allow_declassify=True)
    assert [(p.section, p.field) for p in raised.value.problems] == [
        ("programmes", "provider"),
        ("needs", "country"),
    ]

    import_dataset(data=data, allow_moves=True, allow_declassify=True)

    need = Need.objects.select_related("member_state").get()
    assert (need.visibility, need.member_state.country_id) == ("public", "MLI")
    assert Programme.objects.get().provider.ref == "unidir"


def test_an_import_may_raise_a_need_visibility():
    import_dataset(data=small())  # registered
    data = small()
    data["needs"][0]["visibility"] = "confidential"

    import_dataset(data=data)

    assert Need.objects.get().visibility == Visibility.CONFIDENTIAL


# --- exporting -------------------------------------------------------------


def everything(about: str = "") -> dict[str, Any]:
    return export_dataset(
        providers=Provider.objects.all(),
        programmes=Programme.objects.all(),
        needs=Need.objects.all(),
        about=about,
    )


def test_export_small_dataset_gives_every_field_sorted():
    import_dataset(data=small())

    assert everything(about="Exported.") == {
        "format": "cbm-dataset/1",
        "about": "Exported.",
        "providers": small()["providers"],
        "programmes": [
            {
                "ref": "itu-cirt",
                "provider": "itu",
                "status": "published",
                "title": "National CIRT establishment",
                "summary": "Sets up national CIRTs.",
                "description": "Assessment, design and launch of a national CIRT.",
                "topics": ["csirt-establishment", "incident-response"],
                "assistance_types": ["assessment", "technical-assistance"],
                "audiences": ["csirt-staff"],
                "languages": ["en", "fr"],
                "delivery_modes": ["in-person"],
                "eligibility": {
                    "regions": ["002"],
                    "countries": ["FJI"],
                    "ldc_only": True,
                    "sids_only": False,
                },
                "cost_model": "free",
                "capacity": 6,
                "starts_on": "2026-01-01",
                "ends_on": "2027-12-31",
            }
        ],
        "needs": [
            {
                "ref": "sen-csirt",
                "country": "SEN",
                "status": "open",
                "title": "Établir le CSIRT national",
                "summary": "Un CSIRT opérationnel.",
                "description": "Le Sénégal souhaite rendre opérationnel son CSIRT.",
                "topics": ["csirt-establishment"],
                "assistance_types": ["training"],
                "audiences": ["csirt-staff", "policymakers"],
                "languages": ["fr"],
                "delivery_modes": ["hybrid", "in-person"],
                "priority": "high",
                "visibility": "registered",
                "needed_by": "2027-06-30",
            }
        ],
    }


def test_export_of_the_dev_dataset_carries_every_field_of_its_records(dev):
    import_dataset(data=dev)

    exported = everything()

    def normalised(record: dict[str, Any]) -> dict[str, Any]:
        return {
            key: sorted(value) if isinstance(value, list) else value
            for key, value in record.items()
        }

    for section in ("providers", "programmes", "needs"):
        by_ref = {record["ref"]: record for record in exported[section]}
        assert [record["ref"] for record in exported[section]] == sorted(by_ref)
        assert sorted(by_ref) == sorted(record["ref"] for record in dev[section])
        for record in dev[section]:
            mine = by_ref[record["ref"]]
            if "eligibility" in record:
                assert mine["eligibility"] == normalised(record["eligibility"])
            assert {key: mine[key] for key in record if key != "eligibility"} == {
                key: value
                for key, value in normalised(record).items()
                if key != "eligibility"
            }


def test_export_then_import_into_an_empty_database_round_trips(dev):
    import_dataset(data=dev)
    Programme.objects.filter(ref="itu-cirt").update(
        status=ProgrammeStatus.PAUSED,
        starts_on=date(2026, 2, 1),
        ends_on=date(2026, 12, 31),
    )
    Need.objects.filter(ref="sen-csirt").update(
        status=NeedStatus.IN_DISCUSSION,
        summary="Résumé",
        needed_by=date(2027, 1, 31),
    )
    first = everything(about="round trip")
    Need.objects.all().delete()
    Programme.objects.all().delete()
    Provider.objects.all().delete()
    MemberState.objects.all().delete()
    assert counts() == NOTHING

    result = import_dataset(data=json.loads(json.dumps(first)))

    assert result.created == per_section(32, 40, 24)
    assert everything(about="round trip") == first


def test_export_includes_the_providers_of_exported_programmes(dev):
    import_dataset(data=dev)

    exported = export_dataset(
        providers=Provider.objects.filter(ref="cisco"),
        programmes=Programme.objects.filter(ref__in=["itu-cirt", "ocwar-c"]),
        needs=Need.objects.none(),
    )

    assert [p["ref"] for p in exported["providers"]] == [
        "cisco",
        "expertisefrance",
        "itu",
    ]
    assert [p["ref"] for p in exported["programmes"]] == ["itu-cirt", "ocwar-c"]
    assert exported["needs"] == []


def test_export_of_querysets_from_selectors_keeps_their_scope():
    NeedFactory(ref="public-need")
    NeedFactory(ref="secret-need", visibility=Visibility.CONFIDENTIAL)
    NeedFactory(ref="draft-need", status=NeedStatus.DRAFT)
    ProgrammeFactory(ref="open-programme")
    ProgrammeFactory(ref="draft-programme", status=ProgrammeStatus.DRAFT)
    anonymous = AnonymousUser()

    exported = export_dataset(
        providers=Provider.objects.none(),
        programmes=programmes_visible_to(user=anonymous),
        needs=needs_visible_to(user=anonymous),
    )

    assert [n["ref"] for n in exported["needs"]] == ["public-need"]
    assert [p["ref"] for p in exported["programmes"]] == ["open-programme"]
    assert len(exported["providers"]) == 1


@pytest.mark.parametrize("size", [1, 3])
def test_export_runs_a_fixed_number_of_queries(django_assert_num_queries, size):
    for _ in range(size):
        ProgrammeFactory(topics=["incident-response", "csirt-establishment"])
        NeedFactory()

    # 1 providers (of the queryset or of the exported programmes)
    # 1 programmes, 7 of their M2Ms: topics, assistance types, audiences,
    #   languages, delivery modes, eligible regions, eligible countries
    # 1 needs (with their member state's country), 5 of their M2Ms
    # 3 the programmes' funding: totals, participating organisations, budget lines
    with django_assert_num_queries(18):
        exported = everything()

    assert len(exported["programmes"]) == size
    assert len(exported["needs"]) == size
    assert {tuple(p["topics"]) for p in exported["programmes"]} == {
        ("csirt-establishment", "incident-response")
    }


# --- hostile input (issue 14, finding 15) -----------------------------------


def deeply_nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            edit("needs", title="CSIRT\x00 set-up"),
            [need("title", "contains a NUL character")],
        ),
        (
            edit("providers", name="ITU \ud800"),
            [prov("name", "contains an unpaired surrogate (not valid Unicode)")],
        ),
        (
            edit("programmes", provider="itu\x00"),
            [prog("provider", "contains a NUL character")],
        ),
        (
            edit("needs", topics=["csirt-establishment", "a\x00b"]),
            [need("topics.1", "contains a NUL character")],
        ),
        (
            top(about="about \udfff"),
            [
                Problem(
                    "",
                    "",
                    "about",
                    "contains an unpaired surrogate (not valid Unicode)",
                )
            ],
        ),
        (
            edit("needs", description=deeply_nested(100_000)),
            [
                Problem(
                    "", "", "", "nested more than 64 levels deep (arrays and objects)"
                )
            ],
        ),
    ],
)
def test_import_refuses_nul_surrogates_and_deep_nesting_writing_nothing(
    change, expected
):
    data = small()
    change(data)

    assert validate_dataset(data=data) == expected
    with pytest.raises(DatasetInvalid) as raised:
        import_dataset(data=data)
    assert raised.value.problems == expected
    assert counts() == NOTHING


def test_import_names_a_record_without_a_valid_ref_by_its_index():
    data = small()
    data["needs"][0]["ref"] = "sen\x00"

    assert validate_dataset(data=data) == [
        Problem("#0", "needs", "ref", "contains a NUL character")
    ]


# --- provider identity (issue 14, finding 7) ----------------------------------------


def test_an_import_refuses_a_provider_name_already_taken_whatever_its_spelling():
    import_dataset(data=small())
    data = small()
    data["providers"].append(
        {
            "ref": "itu-copy",
            "name": "INTERNATIONAL Telecommunication Uni\u043en",  # Cyrillic o
            "stakeholder_group": "intergovernmental",
        }
    )
    data["providers"].append(
        {"ref": "other", "name": "Other", "stakeholder_group": "intergovernmental"}
    )
    data["providers"].append(
        {"ref": "other-2", "name": "ÖTHER", "stakeholder_group": "intergovernmental"}
    )
    message = (
        "the name of provider '{}' already (names are compared ignoring case, "
        "accents and look-alike letters)"
    )

    assert validate_dataset(data=data) == [
        Problem("itu-copy", "providers", "name", message.format("itu")),
        Problem("other-2", "providers", "name", message.format("other")),
    ]
    assert refs(Provider) == ["itu"]


def test_an_import_changing_a_verified_provider_identity_clears_its_verification():
    import_dataset(data=small())
    curator = UserFactory(is_curator=True)
    verify_provider(user=curator, provider=Provider.objects.get())
    data = small()
    data["providers"][0]["description"] = "A description is no identity."

    import_dataset(data=data)

    assert Provider.objects.get().is_verified is True
    data["providers"][0]["name"] = "International Telecommunication Union (ITU)"

    import_dataset(data=data)

    provider = Provider.objects.get()
    assert (provider.is_verified, provider.verified_at, provider.verified_by) == (
        False,
        None,
        None,
    )
    assert provider.name_key == "international telecommunication union (itu)"
