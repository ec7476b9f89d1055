"""The webhook and saved-search API: secret shown once, checks naming the field,
the delivery log, a test event to a real receiver, query counts."""

from __future__ import annotations

import pytest

from matchmaking.models import SavedSearch
from matchmaking.models import WebhookEndpoint
from matchmaking.savedsearches import services as saved
from matchmaking.webhooks import delivery
from matchmaking.webhooks import signing
from tests.matchmaking.api.conftest import client_for
from tests.webhook_receiver import running_receiver

pytestmark = pytest.mark.django_db

HOOK = {"url": "https://hooks.example.org/cbm", "event_types": ["saved_search.match"]}


@pytest.fixture
def world(shared_world):
    """The API cast, made once for this module (conftest.shared_world)."""
    return shared_world


def test_create_shows_the_secret_once(world):
    client = client_for(world, "ms_a")
    created = client.post("/api/v1/webhooks/", HOOK, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert created["Cache-Control"] == "no-store"
    assert {k: body[k] for k in ("url", "event_types", "is_active")} == {
        **HOOK,
        "is_active": True,
    }
    listed = client.get("/api/v1/webhooks/").json()["results"]
    assert [hook["id"] for hook in listed] == [body["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in client.get(f"/api/v1/webhooks/{body['id']}/").json()
    # Someone else's webhook is not there at all.
    other = client_for(world, "ms_b")
    assert other.get(f"/api/v1/webhooks/{body['id']}/").status_code == 404
    assert other.delete(f"/api/v1/webhooks/{body['id']}/").status_code == 404
    assert WebhookEndpoint.objects.filter(pk=body["id"]).exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**HOOK, "url": "ftp://example.org/x"}, "url"),
        ({**HOOK, "url": "http://10.0.0.8/hook"}, "url"),
        ({**HOOK, "url": "http://169.254.169.254/latest/"}, "url"),
        ({**HOOK, "event_types": ["no.such.event"]}, "event_types.0"),
        ({**HOOK, "event_types": []}, "event_types"),
    ],
)
def test_bad_subscription_is_a_400_naming_the_field(world, payload, field):
    response = client_for(world, "ms_a").post(
        "/api/v1/webhooks/", payload, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]
    assert not WebhookEndpoint.objects.exists()


def test_test_event_reaches_a_real_receiver_signed(
    world, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    client = client_for(world, "ms_a")
    with running_receiver() as receiver:
        hook = client.post(
            "/api/v1/webhooks/", {**HOOK, "url": receiver.url}, format="json"
        ).json()
        with django_capture_on_commit_callbacks(execute=True):
            sent = client.post(f"/api/v1/webhooks/{hook['id']}/test/")
        assert sent.status_code == 202
        [request] = receiver.requests
    assert signing.verify(
        secret=hook["secret"],
        message_id=request.headers["webhook-id"],
        timestamp=request.headers["webhook-timestamp"],
        signature_header=request.headers["webhook-signature"],
        body=request.body,
        now=int(request.headers["webhook-timestamp"]),
    )
    log = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries/").json()
    assert [
        (
            d["message_id"],
            d["event_type"],
            d["state"],
            d["attempts"],
            d["last_status_code"],
        )
        for d in log["results"]
    ] == [(request.headers["webhook-id"], "webhook.test", "succeeded", 1, 200)]


def test_disabled_webhook_is_turned_back_on_with_patch(world):
    endpoint, _secret = delivery.create_endpoint(user=world.users["ms_a"], **HOOK)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_active=False, failure_count=20
    )
    response = client_for(world, "ms_a").patch(
        f"/api/v1/webhooks/{endpoint.pk}/", {"is_active": True}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["is_active"], response.json()["failure_count"]) == (True, 0)


def test_saved_search_from_an_api_query(world):
    client = client_for(world, "ms_a")
    response = client.post(
        "/api/v1/saved-searches/",
        {
            "name": "CSIRT",
            "scope": "programmes",
            "query": "topic=csirt-establishment&q=csirt&page=3",
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["query"], body["results_path"]) == (
        "q=csirt&topic=csirt-establishment",
        "/api/v1/programmes/?q=csirt&topic=csirt-establishment",
    )
    again = client.post(
        "/api/v1/saved-searches/",
        {
            "name": "Again",
            "scope": "programmes",
            "query": "q=csirt&topic=csirt-establishment",
        },
        format="json",
    )
    assert again.status_code == 400
    assert list(again.json()["error"]["fields"]) == ["query"]
    bad = client.post(
        "/api/v1/saved-searches/",
        {"name": "Bad", "scope": "needs", "query": "region=nowhere"},
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"]["query"][0].startswith("region: ")
    assert SavedSearch.objects.count() == 1


def test_saved_search_without_a_query_watches_the_whole_list(world):
    # Found by Schemathesis's stateful phase: leaving `query` out was a 500.
    response = client_for(world, "ms_a").post(
        "/api/v1/saved-searches/", {"name": "All", "scope": "needs"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["query"], body["results_path"]) == ("", "/api/v1/needs/")
    assert list(SavedSearch.objects.values_list("name", "query")) == [("All", "")]


@pytest.mark.parametrize("n", [1, 3])
def test_list_queries_do_not_grow(world, django_assert_num_queries, n):
    user = world.users["ms_a"]
    for i in range(n):
        endpoint, _secret = delivery.create_endpoint(
            user=user,
            url=f"https://hooks.example.org/{i}",
            event_types=["saved_search.match"],
        )
        delivery.send_test_event(user=user, endpoint=endpoint)
        saved.create_saved_search(
            user=user, name=f"s{i}", scope="needs", query=f"q=w{i}"
        )
    client = client_for(world, "ms_a")
    # Each: the page (one row more than it holds: no COUNT).
    with django_assert_num_queries(1):
        assert client.get("/api/v1/webhooks/").status_code == 200
    with django_assert_num_queries(1):
        assert client.get("/api/v1/saved-searches/").status_code == 200
    # The endpoint, then the page of its log.
    with django_assert_num_queries(2):
        response = client.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/")
    assert response.json()["count"] == 1
