"""Issue 14, finding 12: only the invited address accepts an invitation.

A signed-in account whose e-mail differs from the invited address (compared
case-insensitively) is refused on the page and in the service, and nothing is
written; a new account is created with the invited address.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from matchmaking import invitations
from matchmaking.models import Invitation
from matchmaking.models import Membership
from tests.factories import MemberStateFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def invited(curator):
    state = MemberStateFactory()
    invitation, token = invitations.invite_user(
        user=curator,
        email="Fatou.Ndiaye@example.org",
        member_state=state,
        role="focal_point",
        accept_url=lambda t: f"https://example.org/invitations/{t}/",
    )
    return invitation, token, state


def test_another_signed_in_account_cannot_accept(client, invited):
    invitation, token, _state = invited
    stranger = UserFactory(username="stranger", email="stranger@example.org")
    client.force_login(stranger)
    url = reverse("invitation-accept", args=[token])
    page = client.get(url)
    assert page.status_code == 403
    assert "Join as" not in page.content.decode()
    response = client.post(url)
    assert response.status_code == 403
    assert not Membership.objects.filter(user=stranger).exists()
    invitation.refresh_from_db()
    assert (invitation.accepted_at, invitation.accepted_by) == (None, None)


def test_the_service_refuses_another_account(invited):
    _invitation, token, _state = invited
    stranger = UserFactory(username="stranger", email="stranger@example.org")
    with pytest.raises(PermissionDenied):
        invitations.accept_invitation(token=token, user=stranger)
    assert not Membership.objects.filter(user=stranger).exists()
    assert Invitation.objects.get().accepted_at is None


def test_the_invited_address_accepts_whatever_its_case(client, invited):
    _invitation, token, state = invited
    invitee = UserFactory(username="fatou", email="fatou.ndiaye@EXAMPLE.org")
    client.force_login(invitee)
    url = reverse("invitation-accept", args=[token])
    assert client.get(url).status_code == 200
    response = client.post(url)
    assert response.status_code == 302
    assert Membership.objects.get(user=invitee).member_state_id == state.pk
    assert Invitation.objects.get().accepted_by_id == invitee.pk


def test_a_new_account_gets_the_invited_address(client, invited):
    _invitation, token, _state = invited
    response = client.post(
        reverse("invitation-accept", args=[token]),
        {
            "username": "newbie",
            "password1": "a-long-enough-passphrase-9",
            "password2": "a-long-enough-passphrase-9",
        },
    )
    assert response.status_code == 302
    assert Membership.objects.get().user.email == "Fatou.Ndiaye@example.org"
