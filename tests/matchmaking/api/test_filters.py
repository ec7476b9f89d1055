"""Filters, search, ordering, pagination and what they must never reveal (T6, T27)."""

from __future__ import annotations

import pytest

from matchmaking.models import Country
from tests.factories import MemberStateFactory
from tests.factories import NeedFactory
from tests.matchmaking.api.conftest import ROLES
from tests.matchmaking.api.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(shared_world):
    """The API cast, made once for this module (conftest.shared_world)."""
    return shared_world


def refs(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return sorted(row["ref"] for row in response.json()["results"])


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("theme=no-such-theme", "theme"),
        ("topic=nope", "topic"),
        ("status=exploded", "status"),
        ("region=999", "region"),
        ("country=XXX", "country"),
        ("ldc=maybe", "ldc"),
        ("needed_by_after=yesterday", "needed_by_after"),
        ("ordering=owner__password", "ordering"),
        ("priority=urgentest", "priority"),
        ("q=%00", "q"),
        ("title%00=1", "title"),
    ],
)
def test_invalid_filter_values_are_400_naming_the_parameter(world, query, param):
    response = client_for(world, "anon").get(f"/api/v1/needs/?{query}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert param in error["fields"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/programmes/?eligible_for=%00",
        "/api/v1/matches/?need=a%00b",
        "/api/v1/countries/?q=%00",
        "/api/v1/stats/gaps/?by=%00",
        "/api/v1/pitches/?event=%00",
        "/api/v1/needs/a%00b/",
    ],
)
def test_nul_bytes_never_reach_the_database(world, url):
    response = client_for(world, "curator").get(url)
    assert response.status_code in {400, 404}


def test_region_filter_includes_sub_and_intermediate_regions(world):
    gha = MemberStateFactory(country=Country.objects.get(iso3="GHA"))
    NeedFactory(ref="need-gha", member_state=gha)
    client = client_for(world, "curator")
    # 002 Africa > 202 Sub-Saharan Africa > 011 Western Africa (SEN, GHA); KEN is
    # in 014 Eastern Africa.
    everything = [
        "need-a",
        "need-b-draft",
        "need-b-registered",
        "need-b-secret",
        "need-b-shared",
        "need-gha",
    ]
    assert refs(client.get("/api/v1/needs/?region=002&page_size=100")) == everything
    assert refs(client.get("/api/v1/needs/?region=202&page_size=100")) == everything
    assert refs(client.get("/api/v1/needs/?region=011")) == ["need-a", "need-gha"]
    assert refs(client.get("/api/v1/needs/?region=150")) == []


def test_country_and_flag_filters(world):
    client = client_for(world, "curator")
    assert refs(client.get("/api/v1/needs/?country=SEN")) == ["need-a"]
    sen, ken = (Country.objects.get(iso3=c) for c in ("SEN", "KEN"))
    assert (sen.is_ldc, ken.is_ldc) == (True, False)
    assert refs(client.get("/api/v1/needs/?ldc=true")) == ["need-a"]


@pytest.mark.parametrize("role", ["anon", "ms_a", "prov_q", "read_token"])
@pytest.mark.parametrize(
    "query",
    [
        "q=secret",
        "q=forensics",
        "visibility=confidential",
        "country=KEN",
        "status=draft",
        "region=014",
        "ordering=-priority",
        "theme=incident-management-cip",
    ],
)
def test_filters_and_search_never_reveal_b_s_confidential_need(world, role, query):
    response = client_for(world, role).get(f"/api/v1/needs/?{query}&page_size=100")
    assert response.status_code == 200
    found = refs(response)
    assert "need-b-secret" not in found
    assert "need-b-draft" not in found
    assert response.json()["count"] == len(found)


def test_search_finds_words_in_any_text_field(world):
    client = client_for(world, "ms_b")
    assert refs(client.get("/api/v1/needs/?q=SECRET forensics")) == ["need-b-secret"]


def test_page_size_is_1_to_100(world):
    client = client_for(world, "anon")
    assert len(client.get("/api/v1/countries/?page_size=100").json()["results"]) == 100
    response = client.get("/api/v1/countries/?page_size=1000000")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["page_size"]


def test_ordering(world):
    response = client_for(world, "curator").get("/api/v1/needs/?ordering=-title")
    titles = [n["title"] for n in response.json()["results"]]
    assert titles == sorted(titles, reverse=True)


@pytest.mark.parametrize("role", ROLES)
def test_export_contains_only_what_the_role_may_see(world, role):
    response = client_for(world, role).get("/api/v1/dataset/export/")
    assert response.status_code == 200
    body = response.json()
    assert body["format"] == "cbm-dataset/1"
    from tests.matchmaking.api.test_permissions import VISIBLE_NEEDS

    assert sorted(n["ref"] for n in body["needs"]) == VISIBLE_NEEDS[role]
    programmes = sorted(p["ref"] for p in body["programmes"])
    expected = ["prog-p", "prog-q"] + (
        ["prog-q-draft"] if role in {"curator", "prov_q"} else []
    )
    assert programmes == sorted(expected)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/programmes/?updated_before=0087-01-27T09:59:07%2B21:15",
        "/api/v1/sessions/?starts_at_before=0607-04-21T12:38:17.140-20:00",
        "/api/v1/needs/?created_after=0001-01-01T00:00:00%2B10:00",
    ],
)
def test_date_times_with_offsets_postgresql_rejects_are_handled(world, url):
    # Found by Schemathesis on PostgreSQL: offsets beyond ±15:59 were a 500.
    response = client_for(world, "anon").get(url)
    assert response.status_code in {200, 400}


def test_programmes_filter_by_provider_ref(world):
    client = client_for(world, "curator")
    response = client.get("/api/v1/programmes/?provider=prov-q")
    assert refs(response) == ["prog-q", "prog-q-draft"]
    assert refs(client.get("/api/v1/programmes/?provider=prov-p")) == ["prog-p"]
    anon = client_for(world, "anon")
    assert refs(anon.get("/api/v1/programmes/?provider=prov-q")) == ["prog-q"]


@pytest.mark.parametrize("resource", ["needs/need-a", "programmes/prog-p"])
def test_a_nested_match_list_is_filtered_without_paging_parameters(world, resource):
    client = client_for(world, "curator")
    url = f"/api/v1/{resource}/matches/"
    listed = client.get(url).json()["results"]
    assert world.match_a_p.pk in [m["id"] for m in listed]
    assert {m["status"] for m in listed} == {"suggested"}
    # A filter alone (no page or page_size beside it) filters, and a bad value
    # is a 400 naming it.
    assert client.get(f"{url}?status=declined").json()["results"] == []
    refused = client.get(f"{url}?status=exploded")
    assert refused.status_code == 400
    assert "status" in refused.json()["error"]["fields"]
    assert client.get(f"{url}?status=declined&page=1").json()["results"] == []
