"""The notification centre on the page and in the API; settings; the header count."""

import pytest
from rest_framework.test import APIClient

from matchmaking import notifications
from matchmaking.enums import Visibility
from matchmaking.models import EventKind
from matchmaking.models import Notification
from matchmaking.notifications import dispatch

pytestmark = pytest.mark.django_db


@pytest.fixture
def told(world):
    event = notifications.record(
        EventKind.MATCH_INTEREST, world.match, actor=world.focal
    )
    dispatch.deliver([event.pk])
    return Notification.objects.get(user=world.manager)


def test_the_centre_lists_and_opens_a_notification(world, client, told):
    client.force_login(world.manager)
    assert client.get("/notifications/badge/").content.decode().count(">1</span>") == 1
    page = client.get("/notifications/").content.decode()
    assert world.match.need.title in page
    assert 'data-unread="1"' in page
    answer = client.get(f"/notifications/{told.pk}/")
    assert answer.status_code == 302
    assert answer.url == f"/matches/{world.match.pk}/"
    told.refresh_from_db()
    assert told.read_at is not None
    assert (
        "data-unread-count" not in client.get("/notifications/badge/").content.decode()
    )
    # Someone else's notification is not found.
    client.force_login(world.outsider)
    assert client.get(f"/notifications/{told.pk}/").status_code == 404


def test_a_line_whose_subject_is_hidden_since_names_nothing(world, client, told):
    need = world.match.need
    need.visibility = Visibility.CONFIDENTIAL
    need.save(update_fields=["visibility"])
    client.force_login(world.manager)
    page = client.get("/notifications/").content.decode()
    assert need.title not in page
    assert "You can no longer see what this was about." in page
    api = APIClient()
    api.force_authenticate(world.manager)
    row = api.get("/api/v1/notifications/").json()["results"][0]
    assert (row["title"], row["url"], row["visible"]) == ("", "", False)


def test_the_api_lists_marks_read_and_counts(world, told):
    api = APIClient()
    api.force_authenticate(world.manager)
    body = api.get("/api/v1/notifications/").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert {
        k: row[k] for k in ("id", "kind", "category", "url", "visible", "read_at")
    } == {
        "id": told.pk,
        "kind": "match.interest",
        "category": "matches",
        "url": f"/matches/{world.match.pk}/",
        "visible": True,
        "read_at": None,
    }
    assert api.get("/api/v1/notifications/unread/").json() == {"unread": 1}
    assert api.post(f"/api/v1/notifications/{told.pk}/read/").json() == {"marked": 1}
    assert api.get("/api/v1/notifications/unread/").json() == {"unread": 0}
    other = APIClient()
    other.force_authenticate(world.outsider)
    assert other.get(f"/api/v1/notifications/{told.pk}/").status_code == 404
    assert other.get("/api/v1/notifications/").json()["count"] == 0


def test_settings_page_and_api_name_the_bad_field(world, client):
    client.force_login(world.focal)
    answer = client.post(
        "/notifications/settings/",
        {"suggestions": "weekly", "time_zone": "Mars/Olympus"},
    )
    assert answer.status_code == 400
    assert "Unknown time zone Mars/Olympus." in answer.content.decode()
    answer = client.post(
        "/notifications/settings/",
        {"suggestions": "weekly", "time_zone": "Africa/Dakar", "phone": "+221 1"},
    )
    assert answer.status_code == 302
    api = APIClient()
    api.force_authenticate(world.focal)
    body = api.get("/api/v1/notification-settings/").json()
    assert body["modes"]["suggestions"] == "weekly"
    assert (body["time_zone"], body["phone"]) == ("Africa/Dakar", "+221 1")
    bad = api.post(
        "/api/v1/notification-settings/",
        {"modes": {"matches": "hourly"}},
        format="json",
    )
    assert bad.status_code == 400
    assert "modes.matches" in bad.json()["error"]["fields"]
    ok = api.post(
        "/api/v1/notification-settings/", {"modes": {"matches": "never"}}, format="json"
    )
    assert ok.json()["modes"]["matches"] == "never"
