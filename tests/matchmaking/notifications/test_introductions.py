"""Introductions: contacts shown to the two sides once introduced, to nobody else."""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from matchmaking import services
from matchmaking.enums import MatchStatus
from matchmaking.models import MailMessage
from matchmaking.models import OutboxEvent
from matchmaking.models import Profile
from matchmaking.notifications import dispatch
from matchmaking.notifications import introductions
from matchmaking.notifications.mail import send_pending

pytestmark = pytest.mark.django_db


def _introduce(world):
    services.transition_match(
        user=world.focal, match=world.match, action="express_interest"
    )
    world.match.need.owner = world.focal
    world.match.need.save(update_fields=["owner"])
    Profile.objects.create(user=world.manager, phone="+41 22 000 00 00")
    services.transition_match(user=world.manager, match=world.match, action="introduce")
    world.match.refresh_from_db()


def _page(client, user, match):
    client.force_login(user)
    return client.get(f"/matches/{match.pk}/")


def _api(user, match):
    api = APIClient()
    api.force_authenticate(user)
    return api.get(f"/api/v1/matches/{match.pk}/contacts/")


def test_no_contact_before_the_introduction(world, client):
    services.transition_match(
        user=world.focal, match=world.match, action="express_interest"
    )
    assert introductions.match_contacts(user=world.focal, match=world.match) is None
    page = _page(client, world.focal, world.match)
    assert page.status_code == 200
    assert world.manager.email not in page.content.decode()
    assert _api(world.focal, world.match).json() == {
        "introduced": False,
        "state": None,
        "provider": None,
    }


def test_both_sides_see_each_other_once_introduced(world, client, curator):
    _introduce(world)
    assert world.match.status == MatchStatus.INTRODUCED
    page = _page(client, world.focal, world.match).content.decode()
    assert "hanna@example.org" not in page  # factory e-mails are username-based
    assert world.manager.email in page
    assert "+41 22 000 00 00" in page
    assert _api(world.manager, world.match).json() == {
        "introduced": True,
        "state": {
            "name": "Awa Diop",
            "role": "Focal point",
            "organisation": str(world.match.need.member_state),
            "email": "focal@example.org",
            "phone": "",
        },
        "provider": {
            "name": "Hanna de Vries",
            "role": "Programme manager",
            "organisation": world.match.programme.provider.name,
            "email": "manager@example.org",
            "phone": "+41 22 000 00 00",
        },
    }
    # Nobody else: not a curator, not another provider.
    curator_page = _page(client, curator, world.match).content.decode()
    assert "manager@example.org" not in curator_page
    assert _api(curator, world.match).json()["introduced"] is False
    assert _api(world.outsider, world.match).status_code == 404
    # A declined match shows them no more.
    services.transition_match(
        user=world.focal, match=world.match, action="decline", note="Other plans"
    )
    assert _api(world.focal, world.match).json()["introduced"] is False


def test_each_side_gets_an_introduction_mail_in_its_language(world):
    world.focal.language = "fr"
    world.focal.save(update_fields=["language"])
    _introduce(world)
    event = OutboxEvent.objects.get(kind="match.introduced")
    dispatch.deliver([event.pk])
    # The focal point and a colleague, and the manager who accepted and
    # introduced: an introduction reaches the one who acted too.
    assert send_pending() == 3
    by_to = {m.to[0]: m for m in mail.outbox}
    french = by_to["focal@example.org"]
    assert french.subject.startswith("Mise en relation : ")
    assert "Votre contact" in french.body
    assert "Hanna de Vries, Programme manager" not in french.body  # role translated
    assert "manager@example.org" in french.body
    assert "+41 22 000 00 00" in french.body
    assert french.alternatives[0].mimetype == "text/html"
    assert "mailto:manager@example.org" in french.alternatives[0].content
    english = by_to["colleague@example.org"]
    assert "Your contact" in english.body
    assert french.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The manager's copy names the state's contact, not the manager.
    contact = by_to["manager@example.org"].body.split("Your contact:")[1]
    assert "Awa Diop, Focal point" in contact
    assert "focal@example.org" in contact
    assert "manager@example.org" not in contact
    assert MailMessage.objects.filter(status="sent").count() == 3
    # The outsider never appears in any mail.
    assert all("outsider" not in m.body for m in mail.outbox)


def test_no_contact_in_the_open_data_exports(world, client):
    _introduce(world)
    client.force_login(world.focal)
    for name in ("needs.csv", "programmes.csv", "dataset.json"):
        body = client.get(f"/open-data/{name}").getvalue()
        assert b"manager@example.org" not in body
        assert b"+41 22" not in body
