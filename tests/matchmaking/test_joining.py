"""Joining (matchmaking/joining.py, issue 17 "The doors are closed").

Requests to join (address confirmed by a signed link, then a curator's
decision), invitations to every member and observer state with the role the
organisation calls for, colleagues' invitations, confirmed e-mail changes.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from matchmaking import invitations
from matchmaking import joining
from matchmaking import selectors
from matchmaking.enums import MembershipRole
from matchmaking.forms import InvitationForm
from matchmaking.models import Country
from matchmaking.models import Invitation
from matchmaking.models import JoinKind
from matchmaking.models import JoinRequest
from matchmaking.models import JoinStatus
from matchmaking.models import Membership
from matchmaking.models import MemberState
from matchmaking.models import Provider
from matchmaking.models import StakeholderGroup
from matchmaking.models import User
from tests.factories import MembershipFactory
from tests.factories import ProviderFactory
from tests.factories import UserFactory
from tests.factories.matchmaking import TEST_PASSWORD
from tests.roundtable import pdfs

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+")


def url(token: str) -> str:
    return f"https://cbm.example.org/join/confirm/{token}/"


def absolute(path: str) -> str:
    return f"https://cbm.example.org{path}"


def provider_request(**changes):
    return {
        "kind": JoinKind.PROVIDER,
        "contact_name": "Ama Owusu",
        "email": "ama@accra-lab.example.org",
        "position": "Director",
        "organisation_name": "Accra Cyber Lab",
        "stakeholder_group": StakeholderGroup.objects.get(slug="academia"),
        "country": Country.objects.get(iso3="GHA"),
        "website": "https://accra-lab.example.org",
        "language": "fr",
        **changes,
    }


def submit(data, letter=None, client="192.0.2.1"):
    return joining.submit_join_request(
        data=data, letter=letter, confirm_url=url, client=client
    )


def confirmed(join_request, queue_url=""):
    sent = [m for m in mail.outbox if m.to == [join_request.email]][-1]
    token = LINK.findall(sent.body)[0].rstrip("/").rsplit("/", 1)[1]
    return joining.confirm_join_request(token=token, queue_url=queue_url)


# --- invitations: every state, the organisation's role ------------------------------


def test_curator_invitations_offer_every_member_and_observer_state():
    """Before: only the 41 member states already in the database were offered."""
    offered = {value for value, _label in InvitationForm().fields["state"].choices}
    offered.discard("")
    assert len(offered) == 195
    assert {"TUV", "PSE", "VAT", "SEN"} <= {str(v) for v in offered}
    assert "ATA" not in {str(v) for v in offered}  # Antarctica: no state


def test_inviting_to_a_state_without_a_member_state_creates_it(curator):
    assert not MemberState.objects.filter(country_id="TUV").exists()
    invitation, _token = invitations.invite_user(
        user=curator,
        email="focal@example.tv",
        state=Country.objects.get(iso3="TUV"),
        accept_url=lambda t: f"https://example.org/{t}",
    )
    assert invitation.member_state.country_id == "TUV"
    assert invitation.role == MembershipRole.FOCAL_POINT


def test_a_provider_invitation_defaults_to_programme_manager(curator):
    """Before: the role defaulted to "Focal point" whatever the organisation."""
    provider = ProviderFactory()
    invitation, _token = invitations.invite_user(
        user=curator,
        email="colleague@example.org",
        provider=provider,
        accept_url=lambda t: f"https://example.org/{t}",
    )
    assert invitation.role == MembershipRole.MANAGER
    assert InvitationForm().fields["role"].initial in (None, "")


def test_a_provider_has_no_focal_point(curator):
    with pytest.raises(ValidationError) as refused:
        invitations.invite_user(
            user=curator,
            email="colleague@example.org",
            provider=ProviderFactory(),
            role=MembershipRole.FOCAL_POINT,
            accept_url=lambda t: f"https://example.org/{t}",
        )
    assert list(refused.value.message_dict) == ["role"]
    assert not Invitation.objects.exists()


# --- a provider's request, from the form to an account ------------------------------


def test_a_provider_request_reaches_curators_only_once_its_address_is_confirmed(
    curator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = submit(provider_request())
    assert request.status == JoinStatus.UNCONFIRMED
    assert [m.to for m in mail.outbox] == [["ama@accra-lab.example.org"]]
    # In the requester's language (French).
    assert mail.outbox[0].subject.startswith("Confirmez")
    assert list(selectors.join_requests_visible_to(user=curator)) == []
    curator.email, curator.language = "curator@un.example.org", "es"
    curator.save()
    queue = "https://cbm.example.org/curation/join-requests/"
    with django_capture_on_commit_callbacks(execute=True):
        assert confirmed(request, queue).status == JoinStatus.PENDING
    assert list(selectors.join_requests_visible_to(user=curator)) == [request]
    # The curators hear of it, in their own language.
    told = mail.outbox[-1]
    assert (told.to, told.subject) == (
        ["curator@un.example.org"],
        "Una solicitud de adhesión está pendiente",
    )
    assert "Accra Cyber Lab" in told.body
    assert queue in told.body
    # Opening the link again changes nothing.
    assert confirmed(request, queue).status == JoinStatus.PENDING


def test_verifying_creates_the_verified_provider_and_a_manager_account(
    curator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = submit(provider_request())
    confirmed(request)
    with django_capture_on_commit_callbacks(execute=True):
        joining.verify_join_request(
            user=curator, join_request=request, url_for=absolute
        )
    request.refresh_from_db()
    provider = Provider.objects.get(name="Accra Cyber Lab")
    assert (provider.is_verified, provider.verified_by, provider.country_id) == (
        True,
        curator,
        "GHA",
    )
    user = User.objects.get(email="ama@accra-lab.example.org")
    assert (user.username, user.first_name, user.last_name, user.language) == (
        "ama",
        "Ama",
        "Owusu",
        "fr",
    )
    assert not user.has_usable_password()
    assert list(
        Membership.objects.filter(user=user).values_list("provider", "role")
    ) == [(provider.pk, MembershipRole.MANAGER)]
    assert (request.status, request.user, request.provider) == (
        JoinStatus.VERIFIED,
        user,
        provider,
    )
    # The audit trail: requested, confirmed, verified (by the curator).
    assert [
        h.history_change_reason for h in request.history.order_by("history_id")
    ] == [
        "requested",
        "e-mail confirmed",
        "verified",
    ]
    verified_mail = mail.outbox[-1]
    assert verified_mail.to == ["ama@accra-lab.example.org"]
    assert "/accounts/password/reset/" in verified_mail.body
    with pytest.raises(ValidationError):
        joining.verify_join_request(
            user=curator, join_request=request, url_for=absolute
        )


def test_a_name_taken_is_a_curator_error_naming_the_field(curator):
    ProviderFactory(name="Accra Cyber Lab")
    request = JoinRequest.objects.create(
        status=JoinStatus.PENDING, **provider_request()
    )
    with pytest.raises(ValidationError) as refused:
        joining.verify_join_request(
            user=curator, join_request=request, url_for=absolute
        )
    assert list(refused.value.message_dict) == ["organisation_name"]
    request.refresh_from_db()
    assert request.status == JoinStatus.PENDING
    assert not User.objects.filter(email="ama@accra-lab.example.org").exists()


def test_only_curators_decide():
    request = JoinRequest.objects.create(
        status=JoinStatus.PENDING, **provider_request()
    )
    someone = UserFactory()
    with pytest.raises(PermissionDenied):
        joining.verify_join_request(
            user=someone, join_request=request, url_for=absolute
        )
    with pytest.raises(PermissionDenied):
        joining.reject_join_request(user=someone, join_request=request, reason="no")
    request.refresh_from_db()
    assert request.status == JoinStatus.PENDING


def test_rejecting_needs_a_reason_and_mails_it(
    curator, django_capture_on_commit_callbacks
):
    request = JoinRequest.objects.create(
        status=JoinStatus.PENDING, **provider_request()
    )
    with pytest.raises(ValidationError) as refused:
        joining.reject_join_request(user=curator, join_request=request, reason="  ")
    assert list(refused.value.message_dict) == ["reason"]
    with django_capture_on_commit_callbacks(execute=True):
        joining.reject_join_request(
            user=curator,
            join_request=request,
            reason="Nous ne trouvons pas ce laboratoire.",
        )
    request.refresh_from_db()
    assert (request.status, request.reason, request.decided_by) == (
        JoinStatus.REJECTED,
        "Nous ne trouvons pas ce laboratoire.",
        curator,
    )
    assert "Nous ne trouvons pas ce laboratoire." in mail.outbox[-1].body
    assert not Provider.objects.filter(name="Accra Cyber Lab").exists()


# --- a focal-point nomination ------------------------------------------------------


def focal_request(**changes):
    return {
        "kind": JoinKind.FOCAL_POINT,
        "contact_name": "Teuila Fa'amoe",
        "email": "teuila@gov.example.tv",
        "position": "Director of ICT, Ministry of Justice",
        "country": Country.objects.get(iso3="TUV"),
        "language": "en",
        **changes,
    }


def test_a_nomination_letter_goes_through_the_safe_pdf_path(
    curator, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    hostile = pdfs.pdf(1) + b"PK\x03\x04appended zip"
    letter = SimpleUploadedFile("letter.pdf", hostile, "application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        request = submit(focal_request(), letter=letter)
    stored = request.nomination_letter.read()
    assert b"PK\x03\x04" not in stored
    assert len(PdfReader(request.nomination_letter.path).pages) == 1
    assert request.nomination_letter.name.startswith("nominations/")
    confirmed(request)
    joining.verify_join_request(user=curator, join_request=request, url_for=absolute)
    state = MemberState.objects.get(country_id="TUV")  # created on demand
    user = User.objects.get(email="teuila@gov.example.tv")
    assert list(
        Membership.objects.filter(user=user).values_list("member_state", "role")
    ) == [(state.pk, MembershipRole.FOCAL_POINT)]


def test_a_letter_that_is_not_a_pdf_is_refused_naming_the_field():
    letter = SimpleUploadedFile("letter.pdf", b"<html>hi</html>", "application/pdf")
    with pytest.raises(ValidationError) as refused:
        submit(focal_request(), letter=letter)
    assert refused.value.message_dict == {
        "nomination_letter": [
            "The file is not a PDF (checked by its content, whatever its name says)."
        ]
    }
    assert not JoinRequest.objects.exists()


def test_a_nomination_names_a_member_or_observer_state():
    with pytest.raises(ValidationError) as refused:
        submit(focal_request(country=Country.objects.get(iso3="ATA")))
    assert list(refused.value.message_dict) == ["country"]
    with pytest.raises(ValidationError) as refused:
        submit(focal_request(country=None))
    assert list(refused.value.message_dict) == ["country"]


def test_an_existing_account_of_the_address_gets_the_membership(curator):
    ama = UserFactory(username="ama-owusu", email="AMA@accra-lab.example.org")
    request = JoinRequest.objects.create(
        status=JoinStatus.PENDING, **provider_request()
    )
    joining.verify_join_request(user=curator, join_request=request, url_for=absolute)
    assert Membership.objects.get(provider__name="Accra Cyber Lab").user == ama
    assert User.objects.filter(email__iexact="ama@accra-lab.example.org").count() == 1


# --- abuse limits --------------------------------------------------------------------


def test_requests_are_throttled_per_address_without_saying_so(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        made = [submit(provider_request(), client=f"192.0.2.{n}") for n in range(5)]
    assert [m is not None for m in made] == [True, True, True, False, False]
    assert JoinRequest.objects.count() == 3
    assert len(mail.outbox) == 3


# --- colleagues ---------------------------------------------------------------------


def test_a_verified_providers_manager_invites_colleagues_to_it_only(curator):
    mine = ProviderFactory(
        name="Mine", is_verified=True, verified_at="2026-01-01T00:00Z"
    )
    other = ProviderFactory(
        name="Other", is_verified=True, verified_at="2026-01-01T00:00Z"
    )
    manager = UserFactory()
    MembershipFactory(user=manager, member_state=None, provider=mine, role="manager")
    invitation, _token = invitations.invite_user(
        user=manager,
        email="colleague@example.org",
        provider=mine,
        accept_url=lambda t: t,
    )
    assert (invitation.provider, invitation.role) == (mine, MembershipRole.MANAGER)
    with pytest.raises(PermissionDenied):
        invitations.invite_user(
            user=manager, email="x@example.org", provider=other, accept_url=lambda t: t
        )
    with pytest.raises(PermissionDenied):
        invitations.invite_user(
            user=manager,
            email="x@example.org",
            state=Country.objects.get(iso3="SEN"),
            accept_url=lambda t: t,
        )
    assert list(Invitation.objects.values_list("provider__name", flat=True)) == ["Mine"]


def test_an_unverified_providers_manager_invites_nobody():
    provider = ProviderFactory(is_verified=False)
    manager = UserFactory()
    MembershipFactory(
        user=manager, member_state=None, provider=provider, role="manager"
    )
    with pytest.raises(PermissionDenied):
        invitations.invite_user(
            user=manager,
            email="x@example.org",
            provider=provider,
            accept_url=lambda t: t,
        )
    viewer = UserFactory()
    provider.is_verified, provider.verified_at = True, "2026-01-01T00:00Z"
    provider.save()
    MembershipFactory(user=viewer, member_state=None, provider=provider, role="viewer")
    with pytest.raises(PermissionDenied):
        invitations.invite_user(
            user=viewer,
            email="x@example.org",
            provider=provider,
            accept_url=lambda t: t,
        )
    assert not Invitation.objects.exists()


# --- e-mail changes -----------------------------------------------------------------


def test_an_email_change_takes_effect_only_from_the_new_mailbox(
    django_capture_on_commit_callbacks,
):
    user = UserFactory(email="old@example.org")
    with pytest.raises(ValidationError) as refused:
        joining.request_email_change(
            user=user, new_email="new@example.org", password="wrong", confirm_url=str
        )
    assert list(refused.value.message_dict) == ["password"]
    with django_capture_on_commit_callbacks(execute=True):
        joining.request_email_change(
            user=user,
            new_email="new@example.org",
            password=TEST_PASSWORD,
            confirm_url=lambda token: f"https://cbm.example.org/e/{token}/",
        )
    user.refresh_from_db()
    assert user.email == "old@example.org"
    assert mail.outbox[-1].to == ["new@example.org"]
    token = LINK.findall(mail.outbox[-1].body)[0].rstrip("/").rsplit("/", 1)[1]
    with pytest.raises(PermissionDenied):
        joining.confirm_email_change(user=UserFactory(), token=token)
    joining.confirm_email_change(user=user, token=token)
    user.refresh_from_db()
    assert user.email == "new@example.org"
    # Spent: the address it was sent from is gone.
    with pytest.raises(ValidationError):
        joining.confirm_email_change(user=user, token=token)
