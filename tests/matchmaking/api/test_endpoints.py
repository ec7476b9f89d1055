"""Success cases with exact bodies, the match workflow, statistics and roundtable."""

from __future__ import annotations

import datetime as dt

import pytest

from matchmaking.models import Match
from matchmaking.models import MatchEvent
from matchmaking.models import Need
from roundtable.enums import PitchState
from tests.factories import EventFactory
from tests.factories import PitchFactory
from tests.factories import SessionFactory
from tests.factories import TimeSlotFactory
from tests.matchmaking.api.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(shared_world):
    """The API cast, made once for this module (conftest.shared_world)."""
    return shared_world


def iso(value: dt.datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def test_need_detail_body(world):
    need = world.need_a
    response = client_for(world, "ms_a").get("/api/v1/needs/need-a/")
    assert response.json() == {
        "ref": "need-a",
        "title": "A public need",
        "summary": "",
        "description": "We need help to establish our national CSIRT.",
        "content_language": "en",
        "translations": [],
        "shown": {
            "language": "en",
            "title": "A public need",
            "summary": "",
            "is_original": True,
            "notice": "",
        },
        "country": "SEN",
        "country_name": "Senegal",
        "status": "open",
        "priority": None,
        "visibility": "public",
        "needed_by": None,
        "topics": ["csirt-establishment"],
        "themes": ["incident-management-cip"],
        "assistance_types": [],
        "audiences": [],
        "languages": ["fr"],
        "delivery_modes": [],
        "shared_with": [],
        "unmet_reason": "",
        "matched_at": None,
        "created_at": iso(need.created_at),
        "updated_at": iso(need.updated_at),
    }


def test_who_a_need_is_shared_with_is_shown_to_its_owners_only(world):
    body_b = client_for(world, "ms_b").get("/api/v1/needs/need-b-shared/").json()
    body_p = client_for(world, "prov_p").get("/api/v1/needs/need-b-shared/").json()
    assert body_b["shared_with"] == ["prov-p"]
    assert "shared_with" not in body_p


def test_nested_matches_are_ranked_with_explanations(world):
    response = client_for(world, "ms_a").get("/api/v1/needs/need-a/matches/")
    match = world.match_a_p
    assert response.json()["count"] == 2
    first, second = response.json()["results"]
    assert first == {
        "id": match.pk,
        "need": "need-a",
        "country": "SEN",
        "programme": "prog-p",
        "programme_title": "P programme",
        "provider": "prov-p",
        "rank": 1,
        "score": 0.9,
        "components": {"topics": 0.8},
        "reasons": [
            {"code": "", "params": {}, "text": "Same topic: CSIRT establishment"}
        ],
        "status": "suggested",
        "origin": "engine",
        "note": "",
        "decline_reason": "",
        "feedback": None,
        "created_at": iso(match.created_at),
        "updated_at": iso(match.updated_at),
    }
    assert (second["programme"], second["rank"]) == ("prog-q", 2)


def test_match_workflow_from_suggestion_to_completed_delivery(world):
    match = world.match_a_p
    url = f"/api/v1/matches/{match.pk}"
    state, provider = client_for(world, "ms_a"), client_for(world, "prov_p")
    # The provider may not express interest for the state: visible, so 403.
    assert provider.post(f"{url}/express-interest/").status_code == 403
    steps = [
        (state, "express-interest", {"note": "yes please"}, "interest"),
        (provider, "introduce", {}, "introduced"),
        (state, "agree", {}, "agreed"),
        (provider, "start-delivery", {}, "in_delivery"),
        (
            state,
            "complete",
            {"feedback": {"rating": 4, "outcome": "partial", "comments": "ok"}},
            "completed",
        ),
    ]
    for client, action, payload, expected in steps:
        response = client.post(f"{url}/{action}/", payload, format="json")
        assert response.status_code == 200, (action, response.json())
        assert response.json()["status"] == expected
    assert response.json()["feedback"] == {
        "rating": 4,
        "outcome": "partial",
        "comments": "ok",
    }
    assert list(
        MatchEvent.objects.filter(match=match).values_list("to_status", flat=True)
    ) == ["interest", "introduced", "agreed", "in_delivery", "completed"]
    assert Need.objects.get(pk=world.need_a.pk).status == "fulfilled"
    again = state.post(f"{url}/agree/")
    assert again.status_code == 400
    assert list(again.json()["error"]["fields"]) == ["status"]


def test_decline_needs_a_reason_and_bad_feedback_is_rejected(world):
    url = f"/api/v1/matches/{world.match_a_p.pk}"
    client = client_for(world, "ms_a")
    response = client.post(f"{url}/decline/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"reason": ["This field is required."]}
    response = client.post(f"{url}/decline/", {"reason": "   "}, format="json")
    assert response.status_code == 400
    Match.objects.filter(pk=world.match_a_p.pk).update(status="in_delivery")
    response = client.post(
        f"{url}/complete/", {"feedback": {"rating": 9, "outcome": "x"}}, format="json"
    )
    assert response.status_code == 400
    assert sorted(response.json()["error"]["fields"]) == [
        "feedback.outcome",
        "feedback.rating",
    ]
    assert Match.objects.get(pk=world.match_a_p.pk).status == "in_delivery"
    response = client.post(f"{url}/decline/", {"reason": "too late"}, format="json")
    assert response.status_code == 400  # in delivery: no longer declinable


def test_need_created_through_the_service_and_published(world):
    response = client_for(world, "ms_a").post(
        "/api/v1/needs/",
        {
            "title": "Cybercrime legislation review",
            "country": "SEN",
            "topics": ["csirt-establishment"],
            "languages": ["fr", "en"],
            "priority": "high",
            "visibility": "confidential",
            "shared_with": ["prov-q"],
            "publish": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["languages"], body["shared_with"]) == (
        "open",
        ["en", "fr"],
        ["prov-q"],
    )
    ref = body["ref"]
    assert client_for(world, "prov_q").get(f"/api/v1/needs/{ref}/").status_code == 200
    assert client_for(world, "prov_p").get(f"/api/v1/needs/{ref}/").status_code == 404
    status = client_for(world, "ms_a").post(
        f"/api/v1/needs/{ref}/status/", {"status": "fulfilled"}, format="json"
    )
    assert status.status_code == 400
    assert status.json()["error"]["fields"] == {
        "status": ["A need cannot go from Open to fulfilled."]
    }


def test_gap_stats_count_visible_needs_and_suppress_small_numbers(world):
    curator = client_for(world, "curator").get("/api/v1/stats/gaps/?by=theme").json()
    assert curator == {
        "by": "theme",
        "suppressed_below": None,
        "results": [
            {
                "key": "incident-management-cip",
                "label": "Cyber Incident Management and Critical Infrastructure "
                "Protection",
                "open_needs": 4,
                "matching_programmes": 2,
                "unmet_needs": 0,
            }
        ],
    }
    # ms_a sees need-a and need-b-registered: 2 open needs, shown as null.
    state = client_for(world, "ms_a").get("/api/v1/stats/gaps/?by=theme").json()
    assert state["results"][0]["open_needs"] is None
    assert state["suppressed_below"] == 3
    bad = client_for(world, "anon").get("/api/v1/stats/gaps/?by=owner")
    assert bad.status_code == 400
    assert list(bad.json()["error"]["fields"]) == ["by"]


def test_gap_stats_do_not_count_hidden_needs(world):
    Need.objects.filter(pk=world.need_b_secret.pk).update(unmet_reason="no_eligible")
    for role in ("ms_a", "prov_p", "prov_q", "anon"):
        rows = client_for(world, role).get("/api/v1/stats/gaps/?by=region").json()
        assert all(row["unmet_needs"] in (0, None) for row in rows["results"]), role
    rows = client_for(world, "curator").get("/api/v1/stats/gaps/?by=region").json()
    assert rows["results"][0]["unmet_needs"] == 1


def test_pitches_are_public_once_accepted_and_the_agenda_hides_the_rest(world):
    event = EventFactory(slug="grt-2027")
    session = SessionFactory(event=event)
    accepted = PitchFactory(
        event=event, provider=world.provider_p, state=PitchState.SCHEDULED
    )
    draft = PitchFactory(event=event, provider=world.provider_q)
    TimeSlotFactory(session=session, pitch=accepted, location="A")
    TimeSlotFactory(session=session, pitch=draft, location="B")
    for role, expected in [
        ("anon", [accepted.pk]),
        ("prov_p", [accepted.pk]),
        ("prov_q", sorted([accepted.pk, draft.pk])),
        ("curator", sorted([accepted.pk, draft.pk])),
    ]:
        client = client_for(world, role)
        found = sorted(
            p["id"] for p in client.get("/api/v1/pitches/").json()["results"]
        )
        assert found == expected, role
        hidden = client.get(f"/api/v1/pitches/{draft.pk}/").status_code
        assert hidden == (200 if draft.pk in expected else 404)
        agenda = client.get("/api/v1/events/grt-2027/agenda/").json()
        slots = agenda["sessions"][0]["slots"]
        shown = [slot["pitch"]["id"] if slot["pitch"] else None for slot in slots]
        assert shown == [accepted.pk, draft.pk if draft.pk in expected else None]


def test_throttling_ignores_a_forged_x_forwarded_for(world, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {"anon": "3/min", "user": "5/min", "dataset": "1/min"},
    )
    client = client_for(world, "anon")
    codes = [
        client.get("/api/v1/needs/", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").status_code
        for i in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]
    last = client.get("/api/v1/needs/", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert int(last["Retry-After"]) > 0
    assert last.json()["error"]["code"] == "throttled"
    user = client_for(world, "ms_a")
    codes = [user.get("/api/v1/taxonomy/").status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]


def test_a_dataset_import_never_declassifies_or_moves_a_need(world):
    """Issue 14, finding 6: by the API too (it has no option to allow either)."""
    curator = client_for(world, "curator")

    def record(**fields):
        return {
            "format": "cbm-dataset/1",
            "needs": [
                {
                    "ref": "need-b-secret",
                    "country": "KEN",
                    "title": "B secret forensics",
                    "languages": ["en"],
                    **fields,
                }
            ],
        }

    kept = curator.post("/api/v1/dataset/import/", record(), format="json")
    assert kept.status_code == 200, kept.json()
    world.need_b_secret.refresh_from_db()
    assert world.need_b_secret.visibility == "confidential"

    for fields, field in (
        ({"visibility": "public"}, "visibility"),
        ({"country": "SEN"}, "country"),
    ):
        response = curator.post(
            "/api/v1/dataset/import/", record(**fields), format="json"
        )
        assert response.status_code == 400
        problems = response.json()["error"]["problems"]
        assert [(p["ref"], p["section"], p["field"]) for p in problems] == [
            ("need-b-secret", "needs", field)
        ]
    world.need_b_secret.refresh_from_db()
    assert (
        world.need_b_secret.visibility,
        world.need_b_secret.member_state_id,
    ) == ("confidential", world.state_b.pk)
    anon = client_for(world, "anon").get("/api/v1/needs/need-b-secret/")
    assert anon.status_code in {401, 404}
