"""Invitations to act for an organisation, by curators and by colleagues.

Curators invite to any member or observer state or provider; a verified
provider's managers invite colleagues to that provider only
(``policy.may_invite``). The invitee gets a mailed link holding a token of
which only a hash is stored; the link works once, for the invited address
(``policy.may_accept_invitation``), until it expires.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils import translation
from django.utils.translation import gettext as _

from matchmaking import i18n
from matchmaking import joining
from matchmaking.accounts import policy
from matchmaking.models import Country
from matchmaking.models import Invitation
from matchmaking.models import Membership
from matchmaking.models import MemberState
from matchmaking.models import Provider
from matchmaking.models import User
from matchmaking.notifications.mail import queue_mail

INVITATION_VALIDITY_DAYS = 14


def hash_invitation_token(token: str) -> str:
    """The stored form of an invitation token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def invite_user(
    *,
    user: User,
    email: str,
    member_state: MemberState | None = None,
    state: Country | None = None,
    provider: Provider | None = None,
    role: str = "",
    accept_url: Callable[[str], str],
) -> tuple[Invitation, str]:
    """Invite someone by email; ``accept_url(token)`` builds the link.

    Curators invite to any member or observer state (``state``: its member
    state is created on demand) or provider; a verified provider's managers
    invite to that provider. The role defaults to what the organisation is.
    """
    if state is not None:
        if not policy.may_invite(user):
            raise PermissionDenied
        member_state = joining.member_state_for(country=state)
    if not policy.may_invite(user, provider=provider, member_state=member_state):
        raise PermissionDenied
    role = role or joining.default_role(member_state=member_state, provider=provider)
    if member_state is not None or provider is not None:
        joining.check_role(role=role, member_state=member_state, provider=provider)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=email,
        token_hash=hash_invitation_token(token),
        member_state=member_state,
        provider=provider,
        role=role,
        invited_by=user,
        expires_at=timezone.now() + timedelta(days=INVITATION_VALIDITY_DAYS),
    )
    invitation.full_clean()
    invitation.save()
    link = accept_url(token)
    language = translation.get_language()

    def compose() -> tuple[str, str]:
        # Rendered in the invitee's language (their profile's, else the one
        # the curator works in); the organisation's name follows it too.
        return (
            _("Invitation to the cyber capacity-building matchmaking platform"),
            _(
                "You are invited to act for %(org)s on the matchmaking platform.\n\n"
                "Open this link within %(days)s days to accept:\n%(link)s\n"
            )
            % {
                "org": str(member_state or provider),
                "days": INVITATION_VALIDITY_DAYS,
                "link": i18n.url_in_language(link, translation.get_language()),
            },
        )

    queue_mail(recipients=[email], compose=compose, default=language)
    return invitation, token


def _usable(token: str) -> QuerySet[Invitation]:
    """The invitation a token opens while it is neither accepted nor expired."""
    return Invitation.objects.filter(
        token_hash=hash_invitation_token(token),
        accepted_at__isnull=True,
        expires_at__gt=timezone.now(),
    )


def pending_invitation(*, token: str) -> Invitation | None:
    """The unexpired, unaccepted invitation for a token, or None."""
    return _usable(token).select_related("member_state__country", "provider").first()


@transaction.atomic
def accept_invitation(
    *, token: str, user: User | None = None, new_user: dict[str, Any] | None = None
) -> User:
    """Accept an invitation as the invited signed-in user or by creating an account."""
    invitation = _usable(token).select_for_update().first()
    if invitation is None:
        raise ValidationError(_("This invitation is not valid any more."))
    if user is not None and not policy.may_accept_invitation(
        user=user, invitation=invitation
    ):
        raise PermissionDenied
    if user is None:
        data = dict(new_user or {})
        password = data.pop("password")
        user = User(email=invitation.email, **data)
        user.set_password(password)
        user.full_clean()
        user.save()
    Membership.objects.get_or_create(
        user=user,
        member_state=invitation.member_state,
        provider=invitation.provider,
        defaults={"role": invitation.role},
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return user
