"""The statistics in the API: exact JSON bodies, scope, 400s naming the field."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def anon():
    return APIClient()


@pytest.fixture
def curator_client(curator):
    client = APIClient()
    client.force_authenticate(curator)
    return client


def test_heatmap_json_public_and_curator(gap_data, anon, curator_client):
    url = "/api/v1/stats/heatmap/?theme=incident-management-cip&region=002"
    body = anon.get(url).json()
    assert body["rows"] == "theme"
    assert body["suppressed_below"] == 3
    assert body["row_labels"] == [
        {
            "key": "incident-management-cip",
            "label": "Cyber Incident Management and Critical Infrastructure Protection",
        }
    ]
    assert body["column_labels"] == [{"key": "002", "label": "Africa"}]
    assert body["cells"] == [
        {
            "row": "incident-management-cip",
            "column": "002",
            "needs": 3,
            "covered": None,
            "unmet": None,
            "programmes": 1,
        }
    ]
    body = curator_client.get(url).json()
    assert body["suppressed_below"] is None
    assert body["cells"][0] | {} == {
        "row": "incident-management-cip",
        "column": "002",
        "needs": 4,
        "covered": 1,
        "unmet": 3,
        "programmes": 1,
    }


def test_coverage_unmet_timeline_map_json(gap_data, anon, curator_client):
    assert anon.get("/api/v1/stats/coverage/").json() == {
        "suppressed_below": 3,
        "results": [
            {"group": "ldc", "needs": 3, "covered": None, "unmet": None},
            {"group": "lldc", "needs": 0, "covered": 0, "unmet": 0},
            {"group": "sids", "needs": None, "covered": 0, "unmet": None},
            {"group": "other", "needs": 0, "covered": 0, "unmet": 0},
        ],
    }
    unmet = anon.get("/api/v1/stats/unmet-needs/").json()
    assert [row["ref"] for row in unmet["results"]] == ["n1", "n3", "n6"]
    assert (unmet["total"], unmet["not_public"]) == (3, None)
    assert unmet["results"][0] == {
        "ref": "n1",
        "title": "Need n1",
        "country": "SEN",
        "reason": "no_eligible",
        "created_at": "2026-01-15T12:00:00Z",
    }
    assert curator_client.get("/api/v1/stats/unmet-needs/").json()["not_public"] == 1
    timeline = curator_client.get(
        "/api/v1/stats/timeline/?start=2026-02&end=2026-03"
    ).json()
    assert timeline == {
        "suppressed_below": None,
        "results": [
            {
                "month": "2026-02",
                "opened": 2,
                "matched": 1,
                "in_delivery": 0,
                "fulfilled": 0,
            },
            {
                "month": "2026-03",
                "opened": 3,
                "matched": 0,
                "in_delivery": 0,
                "fulfilled": 1,
            },
        ],
    }
    tiles = {t["code"]: t for t in anon.get("/api/v1/stats/map/").json()["results"]}
    assert tiles["202"] == {
        "code": "202",
        "label": "Sub-Saharan Africa",
        "column": 2,
        "row": 3,
        "needs": 3,
        "unmet": None,
    }


def test_providers_json(gap_data, anon):
    body = anon.get("/api/v1/stats/providers/?theme=cybercrime").json()
    assert [r["key"] for r in body["regions"]] == ["002", "009", "019", "142", "150"]
    academia = next(r for r in body["results"] if r["group"] == "academia")
    assert academia == {
        "group": "academia",
        "label": academia["label"],
        "providers": 1,
        "regions": {"002": 1, "009": 1, "019": 1, "142": 1, "150": 1},
    }
    assert sum(r["providers"] for r in body["results"]) == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("theme=nope", "theme"),
        ("region=999", "region"),
        ("start=2026-13", "start"),
        ("start=2026-05&end=2026-01", "end"),
        ("rows=owner", "rows"),
    ],
)
def test_bad_filters_are_400_naming_the_field(db, anon, query, field):
    response = anon.get(f"/api/v1/stats/heatmap/?{query}")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]


@pytest.mark.parametrize(
    "path",
    ["heatmap", "coverage", "unmet-needs", "timeline", "providers", "map", "funnel"],
)
def test_stats_endpoints_in_the_schema(db, anon, path):
    schema = anon.get("/api/v1/schema/?format=json").json()
    operation = schema["paths"][f"/api/v1/stats/{path}/"]["get"]
    assert {"200", "400"} <= set(operation["responses"])
    assert {p["name"] for p in operation["parameters"]} >= {
        "theme",
        "region",
        "start",
        "end",
    }
