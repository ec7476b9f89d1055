"""Dataset <-> engine adapters used by the database-free ranking command."""

from datetime import date

from matchmaking.dataset.evaluation import dataset_profiles
from matchmaking.dataset.evaluation import rank_dataset
from matchmaking.dataset.evaluation import ranking_document

DATASET = {
    "format": "cbm-dataset/1",
    "providers": [{"ref": "itu", "name": "ITU"}],
    "programmes": [
        {
            "ref": "cirt",
            "provider": "itu",
            "title": "National CIRT establishment",
            "summary": "Sets up computer incident response teams.",
            "description": "Assessment, incident handling procedures, training.",
            "topics": ["csirt-establishment"],
            "assistance_types": ["training"],
            "audiences": ["csirt-staff"],
            "languages": ["en", "fr"],
            "delivery_modes": ["in-person"],
            "eligibility": {"regions": ["002"], "countries": [], "ldc_only": True},
            "capacity": 4,
            "ends_on": "2027-12-31",
        },
        {
            "ref": "old",
            "provider": "itu",
            "title": "Past CSIRT course",
            "topics": ["csirt-establishment"],
            "languages": ["fr"],
            "eligibility": {"regions": [], "countries": []},
            "ends_on": "2025-01-01",
        },
    ],
    "needs": [
        {
            "ref": "sen-csirt",
            "country": "SEN",
            "title": "Mise en place du CSIRT national",
            "description": "Équipe nationale de réponse aux incidents informatiques.",
            "topics": ["csirt-establishment"],
            "assistance_types": ["training"],
            "audiences": ["csirt-staff"],
            "languages": ["fr"],
            "delivery_modes": ["in-person"],
            "priority": "high",
            "visibility": "public",
        },
        {
            "ref": "fra-x",
            "country": "FRA",
            "title": "Sensibilisation",
            "languages": ["fr"],
            "delivery_modes": ["online"],
        },
    ],
}


def test_dataset_profiles_carry_country_facts_and_eligibility_rules():
    needs, programmes = dataset_profiles(DATASET)
    sen = needs[0]
    assert (sen.key, sen.is_ldc, sen.is_sids) == ("sen-csirt", True, False)
    assert {"002", "202", "011"} <= sen.country_regions
    cirt = programmes[0]
    assert (cirt.regions, cirt.ldc_only, cirt.capacity) == (
        frozenset({"002"}),
        True,
        4,
    )
    assert cirt.ends_on == date(2027, 12, 31)
    assert cirt.is_published


def test_rank_dataset_produces_a_cbm_ranking_document():
    results = rank_dataset(DATASET, today=date(2026, 6, 1), top=10)
    document = ranking_document(results)
    assert document["format"] == "cbm-ranking/1"
    assert list(document["rankings"]) == ["sen-csirt", "fra-x"]
    assert [r["programme"] for r in document["rankings"]["sen-csirt"]] == ["cirt"]
    assert document["rankings"]["fra-x"] == []
    assert document["unmet"] == ["fra-x"]
    assert 0 < document["rankings"]["sen-csirt"][0]["score"] <= 1


def test_programme_end_date_is_judged_against_the_given_day():
    earlier = ranking_document(rank_dataset(DATASET, today=date(2024, 6, 1)))
    assert [r["programme"] for r in earlier["rankings"]["fra-x"]] == ["old"]
