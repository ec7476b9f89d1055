"""Joining pages (matchmaking/views/joining.py): the public request, the curators'
queue, colleagues' invitations and the e-mail change."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.urls import reverse

from matchmaking.models import Invitation
from matchmaking.models import JoinRequest
from matchmaking.models import JoinStatus
from matchmaking.models import User
from tests.factories import UserFactory
from tests.factories.matchmaking import TEST_PASSWORD
from tests.roundtable.pdfs import pdf

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+")


def form(**changes):
    return {
        "kind": "provider",
        "contact_name": "Ama Owusu",
        "email": "ama@accra-lab.example.org",
        "position": "Director",
        "organisation_name": "Accra Cyber Lab",
        "stakeholder_group": "academia",
        "country": "GHA",
        "website": "https://accra-lab.example.org",
        "message": "",
        "nickname": "",
        **changes,
    }


def test_anyone_can_ask_to_join(client):
    """Before: there was no page to ask to join."""
    page = client.get(reverse("join"))
    assert page.status_code == 200
    assert 'name="kind"' in page.content.decode()
    assert reverse("join") in client.get(reverse("login")).content.decode()


def test_the_answer_is_the_same_whoever_has_an_account(
    client, django_capture_on_commit_callbacks
):
    UserFactory(email="ama@accra-lab.example.org")
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(reverse("join"), form())
        unknown = client.post(
            reverse("join"), form(email="nobody@example.org", organisation_name="B")
        )
    assert (known.status_code, known["Location"]) == (302, reverse("join-sent"))
    assert (unknown.status_code, unknown["Location"]) == (302, reverse("join-sent"))
    assert len(mail.outbox) == 2


def test_a_filled_honeypot_stores_nothing(client):
    response = client.post(reverse("join"), form(nickname="bot"))
    assert (response.status_code, response["Location"]) == (302, reverse("join-sent"))
    assert not JoinRequest.objects.exists()


def test_a_missing_organisation_name_is_named(client):
    response = client.post(reverse("join"), form(organisation_name=""))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["organisation_name"]


def test_the_link_confirms_on_a_button_not_on_a_visit(
    client, curator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("join"), form())
    link = LINK.findall(mail.outbox[0].body)[0]
    path = link.split("testserver", 1)[1]
    assert client.get(path).status_code == 200
    assert JoinRequest.objects.get().status == JoinStatus.UNCONFIRMED
    assert client.post(path).status_code == 200
    assert JoinRequest.objects.get().status == JoinStatus.PENDING
    assert client.get("/join/confirm/forged:token/").status_code == 404


def test_curators_verify_from_the_queue(
    client, curator, django_capture_on_commit_callbacks
):
    request = JoinRequest.objects.create(
        kind="provider",
        status=JoinStatus.PENDING,
        contact_name="Ama Owusu",
        email="ama@accra-lab.example.org",
        position="Director",
        organisation_name="Accra Cyber Lab",
        stakeholder_group_id="academia",
    )
    client.force_login(curator)
    queue = client.get(reverse("join-request-queue"))
    assert [r.pk for r in queue.context["pending"]] == [request.pk]
    detail = reverse("join-request-detail", args=[request.pk])
    refused = client.post(detail, {"reason": ""})
    assert refused.status_code == 400
    assert list(refused.context["form"].errors) == ["reason"]
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(detail, {"verify": "1"})
    assert (done.status_code, done["Location"]) == (302, reverse("join-request-queue"))
    assert User.objects.get(
        email="ama@accra-lab.example.org"
    ).memberships.get().role == ("manager")
    client.force_login(UserFactory())
    assert client.get(detail).status_code == 404


def test_a_manager_invites_a_colleague_from_the_dashboard(client, world):
    world.provider_q.is_verified = True
    world.provider_q.verified_at = "2026-01-01T00:00Z"
    world.provider_q.save()
    client.force_login(world.prov_q)
    assert (
        reverse("colleague-invitations")
        in client.get(reverse("provider-dashboard")).content.decode()
    )
    response = client.post(
        reverse("colleague-invitations"),
        {"email": "colleague@example.org", "role": "viewer"},
    )
    assert response.status_code == 302
    assert list(Invitation.objects.values_list("provider", "role")) == [
        (world.provider_q.pk, "viewer")
    ]
    client.force_login(world.prov_p)  # P is not verified
    assert client.get(reverse("colleague-invitations")).status_code == 404


def test_the_profile_form_no_longer_changes_the_address(client):
    """Before: an invited user could change their e-mail without verification."""
    user = UserFactory(email="me@example.org")
    client.force_login(user)
    client.post(
        reverse("profile"),
        {
            "first_name": "A",
            "last_name": "B",
            "email": "victim@example.org",
            "language": "",
        },
    )
    user.refresh_from_db()
    assert (user.first_name, user.email) == ("A", "me@example.org")


def test_an_email_change_goes_through_the_new_mailbox(
    client, django_capture_on_commit_callbacks
):
    user = UserFactory(email="me@example.org")
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("email-change"),
            {"email": "new@example.org", "password": TEST_PASSWORD},
        )
    assert response.status_code == 302
    path = LINK.findall(mail.outbox[-1].body)[0].split("testserver", 1)[1]
    assert client.get(path).status_code == 200
    user.refresh_from_db()
    assert user.email == "me@example.org"
    client.post(path)
    user.refresh_from_db()
    assert user.email == "new@example.org"


def test_the_nomination_letter_is_served_to_curators_only(
    client, curator, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    request = JoinRequest(
        kind="focal_point",
        status=JoinStatus.PENDING,
        contact_name="Teuila",
        email="t@gov.example.tv",
        position="Director",
        country_id="TUV",
    )
    request.nomination_letter.save("x.pdf", ContentFile(pdf(1)), save=True)
    url = reverse("join-request-letter", args=[request.pk])
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(curator)
    served = client.get(url)
    assert served.status_code == 200
    assert served["Content-Type"] == "application/pdf"
    assert served["Content-Disposition"].startswith(
        f'attachment; filename="nomination-{request.pk}.pdf"'
    )
    assert b"".join(served.streaming_content).startswith(b"%PDF-")
