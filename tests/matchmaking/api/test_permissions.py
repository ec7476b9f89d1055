"""Who may see and do what: the permission matrix of the API (T4, T5, T7, T8)."""

from __future__ import annotations

import pytest
from django.forms.models import model_to_dict
from rest_framework.test import APIClient

from matchmaking.models import Match
from matchmaking.models import Need
from matchmaking.models import Programme
from tests.matchmaking.api.conftest import ROLES
from tests.matchmaking.api.conftest import client_for

pytestmark = pytest.mark.django_db

NOT_FOUND = {"error": {"status": 404, "code": "not_found", "message": "Not found."}}

# Which needs each role sees (docs/DATASET.md visibility; drafts only for the owner).
VISIBLE_NEEDS = {
    "anon": ["need-a"],
    "ms_a": ["need-a", "need-b-registered"],
    "ms_b": [
        "need-a",
        "need-b-draft",
        "need-b-registered",
        "need-b-secret",
        "need-b-shared",
    ],
    "prov_p": ["need-a", "need-b-registered", "need-b-shared"],
    "prov_q": ["need-a"],  # Q is not verified
    "curator": [
        "need-a",
        "need-b-draft",
        "need-b-registered",
        "need-b-secret",
        "need-b-shared",
    ],
    "read_token": ["need-a", "need-b-registered"],
}
ALL_NEEDS = VISIBLE_NEEDS["curator"]


@pytest.fixture
def world(shared_world):
    """The API cast, made once for this module (conftest.shared_world)."""
    return shared_world


def snapshot(model, pk):
    """Every field of a row, to prove a denied request changed nothing."""
    obj = model.objects.get(pk=pk)
    data = model_to_dict(obj)
    data["updated_at"] = obj.updated_at
    return data


@pytest.mark.parametrize("role", ROLES)
def test_need_list_shows_exactly_what_the_role_may_see(world, role):
    response = client_for(world, role).get(
        "/api/v1/needs/?ordering=title&page_size=100"
    )
    assert response.status_code == 200
    refs = sorted(row["ref"] for row in response.json()["results"])
    assert refs == VISIBLE_NEEDS[role]
    assert response.json()["count"] == len(VISIBLE_NEEDS[role])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("ref", ALL_NEEDS)
def test_hidden_need_answers_404_exactly_like_a_missing_one(world, role, ref):
    client = client_for(world, role)
    response = client.get(f"/api/v1/needs/{ref}/")
    if ref in VISIBLE_NEEDS[role]:
        assert response.status_code == 200
        assert response.json()["ref"] == ref
    else:
        missing = client.get("/api/v1/needs/no-such-need/")
        assert response.status_code == missing.status_code == 404
        assert response.json() == missing.json() == NOT_FOUND


@pytest.mark.parametrize("role", ["ms_a", "prov_p", "prov_q", "read_token"])
def test_foreign_roles_cannot_edit_a_need_of_state_b(world, role):
    client = client_for(world, role)
    for need in (world.need_b_secret, world.need_b_registered, world.need_b_draft):
        before = snapshot(Need, need.pk)
        patch = client.patch(
            f"/api/v1/needs/{need.ref}/", {"title": "pwned"}, format="json"
        )
        status = client.post(
            f"/api/v1/needs/{need.ref}/status/", {"status": "withdrawn"}, format="json"
        )
        if role == "read_token":
            expected = 403  # the scope is checked before anything is looked up
        elif need.ref in VISIBLE_NEEDS[role]:
            expected = 403  # visible, so no secret in saying "not yours"
        else:
            expected = 404
        assert (patch.status_code, status.status_code) == (expected, expected)
        assert snapshot(Need, need.pk) == before


@pytest.mark.parametrize("role", ["anon", "ms_a", "ms_b", "prov_p", "read_token"])
def test_foreign_roles_cannot_edit_a_programme_of_q(world, role):
    client = client_for(world, role)
    for prog in (world.prog_q, world.prog_q_draft):
        before = snapshot(Programme, prog.pk)
        patch = client.patch(
            f"/api/v1/programmes/{prog.ref}/", {"title": "pwned"}, format="json"
        )
        status = client.post(
            f"/api/v1/programmes/{prog.ref}/status/",
            {"status": "closed"},
            format="json",
        )
        if role == "anon":
            expected = 401
        elif role == "read_token" or prog.status == "published":
            expected = 403
        else:
            expected = 404  # a draft of Q is invisible to the others
        assert (patch.status_code, status.status_code) == (expected, expected)
        assert snapshot(Programme, prog.pk) == before


MATCH_ACTIONS = [
    ("express-interest", {}),
    ("introduce", {}),
    ("agree", {}),
    ("start-delivery", {}),
    ("complete", {"feedback": {"rating": 5, "outcome": "achieved"}}),
    ("decline", {"reason": "not for us"}),
]


@pytest.mark.parametrize("role", ["ms_a", "prov_p", "prov_q"])
@pytest.mark.parametrize(("action", "payload"), MATCH_ACTIONS)
def test_match_actions_on_a_confidential_need_of_b_are_404_for_foreigners(
    world, role, action, payload
):
    # ms_a and prov_p are strangers to the secret need; prov_q is party only
    # through its programme, but may not see the need, so the match is hidden.
    match = world.match_secret_q
    before = snapshot(Match, match.pk)
    client = client_for(world, role)
    response = client.post(
        f"/api/v1/matches/{match.pk}/{action}/", payload, format="json"
    )
    missing = client.post(f"/api/v1/matches/999999/{action}/", payload, format="json")
    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json() == NOT_FOUND
    assert snapshot(Match, match.pk) == before
    assert client.get(f"/api/v1/matches/{match.pk}/").status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_match_list_shows_only_the_roles_matches(world, role):
    expected = {
        "anon": None,
        "ms_a": {("need-a", "prog-p"), ("need-a", "prog-q")},
        "ms_b": {
            ("need-b-secret", "prog-q"),
            ("need-b-secret", "prog-p"),
            ("need-b-shared", "prog-p"),
        },
        "prov_p": {("need-a", "prog-p"), ("need-b-shared", "prog-p")},
        "prov_q": {("need-a", "prog-q")},
        "curator": {
            ("need-a", "prog-p"),
            ("need-a", "prog-q"),
            ("need-b-secret", "prog-q"),
            ("need-b-secret", "prog-p"),
            ("need-b-shared", "prog-p"),
        },
        "read_token": {("need-a", "prog-p"), ("need-a", "prog-q")},
    }[role]
    response = client_for(world, role).get("/api/v1/matches/")
    if expected is None:
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"
        return
    found = {(m["need"], m["programme"]) for m in response.json()["results"]}
    assert found == expected
    assert response.json()["count"] == len(expected)


@pytest.mark.parametrize("role", ["ms_a", "prov_q"])
def test_nested_matches_of_a_hidden_need_are_404(world, role):
    client = client_for(world, role)
    response = client.get("/api/v1/needs/need-b-secret/matches/")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_programme_matches_exclude_needs_the_provider_may_not_see(world):
    # prog-p is matched with need-b-secret too, which P may not see.
    response = client_for(world, "prov_p").get("/api/v1/programmes/prog-p/matches/")
    assert [m["need"] for m in response.json()["results"]] == [
        "need-a",
        "need-b-shared",
    ]


def test_state_a_cannot_post_a_need_for_state_b(world):
    client = client_for(world, "ms_a")
    count = Need.objects.count()
    response = client.post(
        "/api/v1/needs/",
        {
            "title": "Need for someone else",
            "country": "KEN",
            "topics": ["csirt-establishment"],
            "languages": ["en"],
        },
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["country"]
    assert Need.objects.count() == count


def test_providers_cannot_post_needs(world):
    response = client_for(world, "prov_p").post(
        "/api/v1/needs/",
        {"title": "x", "country": "SEN", "topics": ["csirt-establishment"]},
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_mass_assignment_of_protected_need_fields_is_ignored(world):
    client = client_for(world, "ms_a")
    response = client.post(
        "/api/v1/needs/",
        {
            "title": "Train our CSIRT",
            "country": "SEN",
            "topics": ["csirt-establishment"],
            "languages": ["fr"],
            "status": "fulfilled",
            "ref": "chosen-ref",
            "unmet_reason": "no_eligible",
            "owner": world.users["curator"].pk,
            "member_state": world.state_b.pk,
            "matched_at": "2020-01-01T00:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    need = Need.objects.get(ref=response.json()["ref"])
    assert need.ref != "chosen-ref"
    assert (need.status, need.unmet_reason, need.member_state_id, need.owner_id) == (
        "draft",
        "",
        world.state_a.pk,
        world.users["ms_a"].pk,
    )
    assert need.matched_at is None
    patch = client.patch(
        f"/api/v1/needs/{need.ref}/",
        {"country": "KEN", "status": "open", "title": "Renamed"},
        format="json",
    )
    assert patch.status_code == 200
    need.refresh_from_db()
    assert (need.member_state_id, need.status, need.title) == (
        world.state_a.pk,
        "draft",
        "Renamed",
    )


def test_provider_can_only_register_programmes_for_itself(world):
    client = client_for(world, "prov_p")
    payload = {
        "title": "New offer",
        "provider": "prov-q",
        "topics": ["csirt-establishment"],
        "languages": ["en"],
    }
    count = Programme.objects.count()
    response = client.post("/api/v1/programmes/", payload, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["provider"]
    assert Programme.objects.count() == count
    payload["provider"] = "prov-p"
    payload["status"] = "published"
    response = client.post("/api/v1/programmes/", payload, format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "draft"
    assert response.json()["provider"] == "prov-p"


def test_only_curators_propose_matches(world):
    payload = {"need": "need-b-registered", "programme": "prog-q", "note": "fits"}
    for role in ("ms_a", "ms_b", "prov_q", "read_token"):
        response = client_for(world, role).post("/api/v1/matches/", payload)
        assert response.status_code == 403, role
    assert not Match.objects.filter(need=world.need_b_registered).exists()
    response = client_for(world, "curator").post(
        "/api/v1/matches/", payload, format="json"
    )
    assert response.status_code == 201
    assert (response.json()["origin"], response.json()["note"]) == ("curator", "fits")


def test_only_curators_import_datasets(world):
    for role in ("anon", "ms_a", "prov_p", "read_token"):
        response = client_for(world, role).post(
            "/api/v1/dataset/import/", {"format": "cbm-dataset/1"}, format="json"
        )
        assert response.status_code in {401, 403}, role


def test_session_writes_need_a_csrf_token(world):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.users["ms_a"])
    response = client.patch(
        "/api/v1/needs/need-a/", {"title": "no csrf"}, format="json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
    world.need_a.refresh_from_db()
    assert world.need_a.title == "A public need"


def test_a_write_to_an_id_outside_the_lookup_pattern_is_the_api_404(world):
    # Found by Schemathesis's stateful phase: the catch-all answered a POST with
    # the HTML page of a CSRF failure (a 403) instead of the API's 404.
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {world.write_key}")
    client.cookies["sessionid"] = "not-a-session"
    for path in ("/api/v1/join-requests/VX/reject/", "/api/v1/needs/a%20b/status/"):
        response = client.post(path, {"status": "open"}, format="json")
        assert (response.status_code, response.json()) == (404, NOT_FOUND), path
