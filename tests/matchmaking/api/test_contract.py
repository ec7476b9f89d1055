"""The API's exact contract: unknown or invalid parameters are 400s naming them,
errors speak of the API's fields in the caller's language, the root welcomes
anonymous callers."""

from __future__ import annotations

import pytest

from matchmaking.models import Country
from matchmaking.models import MemberState
from matchmaking.models import Need
from tests.matchmaking.api.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(shared_world):
    """The API cast, made once for this module (conftest.shared_world)."""
    return shared_world


def test_an_unknown_parameter_is_a_400_naming_it_and_the_accepted_ones(world):
    response = client_for(world, "anon").get("/api/v1/programmes/?ldc=true&thme=x")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert sorted(fields) == ["ldc", "thme"]
    accepted = fields["ldc"][0]
    assert accepted.startswith("Unknown parameter. This operation accepts: ")
    assert "ldc_only" in accepted
    assert "page_size" in accepted
    assert "theme" in accepted


def test_a_nested_list_accepts_its_filters_and_paging(world):
    response = client_for(world, "ms_a").get(
        "/api/v1/needs/need-a/matches/?status=suggested&page=1&page_size=5"
    )
    assert response.status_code == 200, response.json()


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("page_size=abc", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
        ("page_size=1000", "page_size"),
        ("page_size=-1", "page_size"),
        ("page=0", "page"),
        ("page=abc", "page"),
        ("page=99", "page"),
        ("needed_by_after=yesterday", "needed_by_after"),
        ("needed_by_before=2027-13-01", "needed_by_before"),
        ("created_after=soon", "created_after"),
        ("ldc=maybe", "ldc"),
        ("theme=no-such-theme", "theme"),
        ("status=gone", "status"),
        ("ordering=-nonsense", "ordering"),
        ("country=XXX", "country"),
        ("region=999", "region"),
    ],
)
def test_an_invalid_or_out_of_range_parameter_is_a_400_naming_it(world, query, name):
    response = client_for(world, "anon").get(f"/api/v1/needs/?{query}")
    assert response.status_code == 400, response.content
    assert list(response.json()["error"]["fields"]) == [name]


def test_page_size_out_of_range_names_the_range(world):
    response = client_for(world, "anon").get("/api/v1/needs/?page_size=1000")
    assert response.json()["error"]["fields"] == {
        "page_size": ["Enter a whole number from 1 to 100."]
    }


def test_a_state_the_user_does_not_act_for_is_named_by_the_api_field(world):
    MemberState.objects.get_or_create(country=Country.objects.get(iso3="BRB"))
    body = {"country": "BRB", "title": "T", "topics": [], "languages": ["en"]}
    client = client_for(world, "ms_a")
    refused = client.post("/api/v1/needs/", body, format="json")
    assert refused.json()["error"]["fields"]["country"] == [
        "country: you may not use “BRB” here."
    ]
    missing = client.post("/api/v1/needs/", {**body, "country": "ZZZ"}, format="json")
    assert missing.json()["error"]["fields"]["country"] == [
        "country: no such value “ZZZ”."
    ]
    french = client.post(
        "/api/v1/needs/?", body, format="json", headers={"Accept-Language": "fr"}
    )
    assert "BRB" in french.json()["error"]["fields"]["country"][0]
    assert "you may not" not in french.json()["error"]["fields"]["country"][0]
    assert not Need.objects.filter(title="T").exists()


def test_the_api_root_tells_an_anonymous_caller_what_it_may_use(world):
    response = client_for(world, "anon").get("/api/v1/")
    assert response.status_code == 200
    body = response.json()
    assert body["docs"] == "http://testserver/api/v1/docs/"
    assert body["authenticated"] is False
    assert "programmes" in body["resources"]
    assert "tokens" not in body["resources"]
    signed_in = client_for(world, "ms_a").get("/api/v1/").json()
    assert "tokens" in signed_in["resources"]


def test_the_legacy_gap_endpoint_announces_its_deprecation_and_sunset(world):
    response = client_for(world, "anon").get("/api/v1/stats/gaps/?by=theme")
    assert response.status_code == 200
    assert response["Deprecation"] == "@1796601600"
    assert response["Sunset"] == "Wed, 30 Jun 2027 00:00:00 GMT"
    assert response["Link"] == '</api/v1/stats/heatmap/>; rel="successor-version"'
    schema = client_for(world, "anon").get("/api/v1/schema/?format=json").json()
    assert schema["paths"]["/api/v1/stats/gaps/"]["get"]["deprecated"] is True
