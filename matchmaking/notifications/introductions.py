"""Introductions that introduce: who each side's contact is, shown only to the parties.

A match reaching "introduced" names a contact on each side (``introduce``,
called by ``services.transition_match``). ``match_contacts`` is the one read of
those details, for the page, the API and the introduction mail: nothing before
the introduction, nothing after a decline, and nothing to anyone who is not a
member of the state or the provider (curators included).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from matchmaking import selectors
from matchmaking.enums import MatchStatus
from matchmaking.enums import MembershipRole
from matchmaking.models import Introduction
from matchmaking.models import Match
from matchmaking.models import Membership
from matchmaking.models import Profile
from matchmaking.models import User

# The steps at which the two sides know each other.
INTRODUCED_STATUSES = frozenset(
    {
        MatchStatus.INTRODUCED,
        MatchStatus.AGREED,
        MatchStatus.IN_DELIVERY,
        MatchStatus.COMPLETED,
    }
)


@dataclass(frozen=True)
class Contact:
    """A named person to write to about a match."""

    user_id: int
    name: str
    role: str
    organisation: str
    email: str
    phone: str


@dataclass(frozen=True)
class MatchContacts:
    state: Contact | None
    provider: Contact | None


def _member(user: User | None, **where: int) -> bool:
    return bool(
        user is not None
        and user.is_active
        and Membership.objects.filter(user=user, **where).exists()
    )


def _first_member(*, role: str, **where: int) -> User | None:
    rows = Membership.objects.filter(user__is_active=True, **where).select_related(
        "user"
    )
    found = rows.filter(role=role).order_by("pk").first() or rows.order_by("pk").first()
    return None if found is None else found.user


def introduce(*, match: Match, actor: User) -> Introduction:
    """Name each side's contact: the need's author and whoever accepted, by default."""
    state = match.need.member_state_id
    provider = match.programme.provider_id
    state_contact = match.need.owner if match.need.owner_id else None
    if not _member(state_contact, member_state_id=state):
        state_contact = _first_member(
            role=MembershipRole.FOCAL_POINT, member_state_id=state
        )
    provider_contact: User | None = actor
    if not _member(actor, provider_id=provider):
        provider_contact = match.programme.owner if match.programme.owner_id else None
        if not _member(provider_contact, provider_id=provider):
            provider_contact = _first_member(
                role=MembershipRole.MANAGER, provider_id=provider
            )
    introduction, _created = Introduction.objects.update_or_create(
        match=match,
        defaults={"state_contact": state_contact, "provider_contact": provider_contact},
    )
    return introduction


def _contact(user: User | None, *, organisation: str, **where: int) -> Contact | None:
    if user is None or not user.is_active:
        return None
    membership = Membership.objects.filter(user=user, **where).first()
    profile = Profile.objects.filter(user=user).first()
    return Contact(
        user_id=user.pk,
        name=user.get_full_name() or user.username,
        role=membership.get_role_display() if membership else "",
        organisation=organisation,
        email=user.email,
        phone=profile.phone if profile else "",
    )


def may_see_contacts(*, user: User, match: Match) -> bool:
    """Only members of the two sides, once introduced (curators do not)."""
    if not (user.is_authenticated and user.is_active):
        return False
    if match.status not in INTRODUCED_STATUSES:
        return False
    return Membership.objects.filter(
        Q(member_state_id=match.need.member_state_id)
        | Q(provider_id=match.programme.provider_id),
        user=user,
    ).exists() and (
        selectors.matches_visible_to(user=user).filter(pk=match.pk).exists()
    )


def match_contacts(*, user: User, match: Match) -> MatchContacts | None:
    """Both contacts, for a party of an introduced match; None for anyone else."""
    if not may_see_contacts(user=user, match=match):
        return None
    introduction = (
        Introduction.objects.filter(match=match)
        .select_related(
            "state_contact",
            "provider_contact",
            "match__need__member_state__country",
            "match__programme__provider",
        )
        .first()
    )
    if introduction is None:
        return None
    return MatchContacts(
        state=_contact(
            introduction.state_contact,
            organisation=str(introduction.match.need.member_state),
            member_state_id=match.need.member_state_id,
        ),
        provider=_contact(
            introduction.provider_contact,
            organisation=introduction.match.programme.provider.name,
            provider_id=match.programme.provider_id,
        ),
    )
