"""The conversation in the API: list, write, mark read, hide; 404 for strangers."""

import pytest
from rest_framework.test import APIClient

from matchmaking.conversations.services import post_message
from matchmaking.models import Message
from matchmaking.models import OutboxEvent

pytestmark = pytest.mark.django_db


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_the_two_sides_write_and_read_each_other(introduced):
    world = introduced
    url = f"/api/v1/matches/{world.match.pk}/messages/"
    answer = _api(world.focal).post(url, {"text": "Hello https://x.org"}, format="json")
    assert answer.status_code == 201
    body = answer.json()
    message = Message.objects.get()
    assert body == {
        "id": message.pk,
        "side": "state",
        "author": "Awa Diop",
        "organisation": str(world.match.need.member_state),
        "text": "Hello https://x.org",
        "created_at": body["created_at"],
        "mine": True,
        "unread": False,
        "hidden": False,
        "hidden_reason": "",
    }
    assert OutboxEvent.objects.filter(kind="message.new").count() == 1
    manager = _api(world.manager)
    page = manager.get(url).json()
    assert page["count"] == 1
    assert [(m["id"], m["mine"], m["unread"]) for m in page["results"]] == [
        (message.pk, False, True)
    ]
    assert manager.post(f"{url}read/").json() == {
        "last_read_id": message.pk,
        "unread": 0,
    }
    assert manager.get(url).json()["results"][0]["unread"] is False


def test_bad_input_is_a_400_naming_text_and_writes_nothing(introduced, world):
    url = f"/api/v1/matches/{world.match.pk}/messages/"
    api = _api(world.focal)
    for payload in ({}, {"text": ""}, {"text": "x" * 2001}, {"text": " \n "}):
        answer = api.post(url, payload, format="json")
        assert answer.status_code == 400, payload
        assert list(answer.json()["error"]["fields"]) == ["text"], payload
    assert not Message.objects.exists()


def test_before_the_introduction_a_party_gets_a_400_naming_text(world):
    answer = _api(world.focal).post(
        f"/api/v1/matches/{world.match.pk}/messages/", {"text": "Hi"}, format="json"
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["fields"] == {
        "text": [
            "The conversation opens once the provider has accepted and introduced "
            "both sides."
        ]
    }


def test_a_stranger_gets_the_404_of_a_missing_match(introduced, curator):
    world = introduced
    message = post_message(user=world.focal, match=world.match, body="Secret")
    base = f"/api/v1/matches/{world.match.pk}/messages/"
    missing = "/api/v1/matches/999999/messages/"
    api = _api(world.outsider)
    assert api.get(base).json() == api.get(missing).json()
    assert api.get(base).status_code == 404
    assert api.post(base, {"text": "x"}, format="json").status_code == 404
    assert api.post(f"{base}read/").status_code == 404
    hide = f"{base}{message.pk}/hide/"
    assert api.post(hide, {"reason": "x"}, format="json").status_code == 404
    assert Message.objects.count() == 1
    assert Message.objects.get().hidden_at is None


def test_a_curator_reads_everything_hides_and_the_parties_see_the_reason(
    introduced, curator
):
    world = introduced
    message = post_message(user=world.focal, match=world.match, body="Phone me")
    base = f"/api/v1/matches/{world.match.pk}/messages/"
    hide = f"{base}{message.pk}/hide/"
    assert _api(world.manager).post(hide, {"reason": "x"}).status_code == 403
    assert _api(curator).post(base, {"text": "x"}, format="json").status_code == 403
    empty = _api(curator).post(hide, {"reason": ""}, format="json")
    assert list(empty.json()["error"]["fields"]) == ["reason"]
    hidden = _api(curator).post(hide, {"reason": "Personal data"}, format="json")
    assert hidden.status_code == 200
    assert (hidden.json()["text"], hidden.json()["hidden"]) == ("Phone me", True)
    party = _api(world.manager).get(base).json()["results"][0]
    assert (party["text"], party["hidden"], party["hidden_reason"]) == (
        "",
        True,
        "Personal data",
    )
    other = _api(curator).post(
        f"/api/v1/matches/{world.match.pk}/messages/999999/hide/",
        {"reason": "x"},
        format="json",
    )
    assert other.status_code == 404


@pytest.mark.parametrize("n", [1, 3])
def test_listing_messages_takes_a_constant_number_of_queries(
    introduced, django_assert_num_queries, n
):
    world = introduced
    for i in range(n):
        post_message(user=world.focal, match=world.match, body=f"Message {i}")
    api = _api(world.manager)
    # The reader's memberships (states and providers), the match, the
    # messages with their authors, the reader's read marker.
    with django_assert_num_queries(4):
        answer = api.get(f"/api/v1/matches/{world.match.pk}/messages/")
    assert answer.json()["count"] == n
