"""The reference data loaded by the migrations matches the shipped files."""

import csv
from pathlib import Path

import pytest

from matchmaking.models import AssistanceType
from matchmaking.models import Audience
from matchmaking.models import CostModel
from matchmaking.models import Country
from matchmaking.models import DeliveryMode
from matchmaking.models import Language
from matchmaking.models import Priority
from matchmaking.models import Region
from matchmaking.models import StakeholderGroup
from matchmaking.models import Theme
from matchmaking.models import Topic
from matchmaking.reference import DATA_DIR
from matchmaking.reference import load_taxonomy

pytestmark = pytest.mark.django_db


def m49_rows() -> list[dict[str, str]]:
    path = Path(DATA_DIR) / "m49" / "unsd-m49-en.csv"
    with path.open(encoding="utf-8-sig") as f:
        return [row for row in csv.DictReader(f) if row["ISO-alpha3 Code"]]


def test_reference_data_has_193_un_member_states_and_2_observers():
    assert Country.objects.filter(is_un_member=True).count() == 193
    assert sorted(
        Country.objects.filter(is_observer=True).values_list("iso3", flat=True)
    ) == ["PSE", "VAT"]


def test_membership_flags_cover_the_unterm_gaps():
    members = set(
        Country.objects.filter(is_un_member=True).values_list("iso3", flat=True)
    )
    assert {"CIV", "TUR", "SEN", "FJI"} <= members
    assert not {"COK", "NIU", "PRI", "VAT"} & members


def test_reference_data_has_every_m49_country_or_area():
    assert Country.objects.count() == len(m49_rows()) == 249


def test_ldc_lldc_and_sids_flags_follow_the_m49_file():
    rows = m49_rows()
    expected_ldc = sorted(
        r["ISO-alpha3 Code"] for r in rows if r["Least Developed Countries (LDC)"]
    )
    expected_sids = sorted(
        r["ISO-alpha3 Code"] for r in rows if r["Small Island Developing States (SIDS)"]
    )
    expected_lldc = sorted(
        r["ISO-alpha3 Code"]
        for r in rows
        if r["Land Locked Developing Countries (LLDC)"]
    )
    assert (
        sorted(Country.objects.filter(is_ldc=True).values_list("iso3", flat=True))
        == expected_ldc
    )
    assert (
        sorted(Country.objects.filter(is_sids=True).values_list("iso3", flat=True))
        == expected_sids
    )
    assert (
        sorted(Country.objects.filter(is_lldc=True).values_list("iso3", flat=True))
        == expected_lldc
    )
    assert (len(expected_ldc), len(expected_sids), len(expected_lldc)) == (45, 53, 32)


def test_country_groupings_and_names_in_six_languages():
    senegal = Country.objects.get(iso3="SEN")
    assert (senegal.iso2, senegal.m49) == ("SN", "686")
    assert senegal.region_codes == frozenset({"002", "202", "011"})
    assert (senegal.is_ldc, senegal.is_sids, senegal.is_un_member) == (
        True,
        False,
        True,
    )
    assert (senegal.name_en, senegal.name_fr, senegal.name_es) == (
        "Senegal",
        "Sénégal",
        "Senegal",
    )
    assert (senegal.name_ar, senegal.name_zh, senegal.name_ru) == (
        "السنغال",
        "塞内加尔",
        "Сенегал",
    )


def test_regions_form_a_hierarchy():
    africa = Region.objects.get(code="002")
    western_africa = Region.objects.get(code="011")
    assert (africa.level, africa.parent_id, africa.name_fr) == (
        "region",
        None,
        "Afrique",
    )
    assert western_africa.level == "intermediate"
    assert western_africa.parent_id == "202"
    assert Region.objects.get(code="202").parent_id == "002"
    assert Region.objects.get(code="029").name_en == "Caribbean"


def test_taxonomy_has_5_themes_and_25_topics_with_stable_slugs():
    taxonomy = load_taxonomy()
    assert list(Theme.objects.values_list("slug", flat=True)) == [
        t["slug"] for t in taxonomy["themes"]
    ]
    assert Topic.objects.count() == 25
    assert [
        (t.slug, t.theme_id)
        for t in Topic.objects.filter(theme="incident-management-cip")
    ] == [
        ("csirt-establishment", "incident-management-cip"),
        ("incident-response", "incident-management-cip"),
        ("cyber-exercises", "incident-management-cip"),
        ("critical-infrastructure", "incident-management-cip"),
        ("threat-intelligence", "incident-management-cip"),
    ]


@pytest.mark.parametrize(
    ("model", "key"),
    [
        (AssistanceType, "assistance_types"),
        (Audience, "audiences"),
        (DeliveryMode, "delivery_modes"),
        (StakeholderGroup, "stakeholder_groups"),
        (CostModel, "cost_models"),
        (Priority, "priorities"),
    ],
)
def test_every_vocabulary_is_loaded_in_order(model, key):
    assert list(model.objects.values_list("slug", flat=True)) == [
        entry["slug"] for entry in load_taxonomy()[key]
    ]


def test_languages_include_the_six_un_languages_and_portuguese():
    assert Language.objects.count() == 184
    assert set(
        Language.objects.filter(
            code__in=["ar", "zh", "en", "fr", "ru", "es", "pt"]
        ).values_list("code", flat=True)
    ) == {"ar", "zh", "en", "fr", "ru", "es", "pt"}
