"""Who may change what among accounts, tokens, organisations and verification.

The one place these rules live. The permission backend (what the admin opens
for a curator at all), the admin (which rows and fields), the web views, the
services and the API all ask here; "Who may change what" in docs/operations.md
is this module as a table.

Levels: a plain account (0), a curator or staff member (1), a superuser (2).
Staff rights never reach account, credential or permission data at or above
the holder's own level, and credentials (passwords, API tokens) are never set
for somebody else by a curator: whoever holds them acts as their owner, and the
audit trail would name the owner.
"""

from __future__ import annotations

from typing import Any

from django_otp.plugins.otp_totp.models import TOTPDevice

from matchmaking import selectors
from matchmaking.enums import MembershipRole
from matchmaking.reference import REFERENCE_MODELS

PLAIN, STAFF, SUPERUSER = 0, 1, 2

VIEW = frozenset({"view"})
VIEW_DELETE = frozenset({"view", "delete"})
ALL = frozenset({"view", "add", "change", "delete"})

# The model permissions CuratorBackend grants curators: an explicit allow-list,
# by model label. A model not listed here gives curators nothing (Django's auth
# tables, two-factor devices, the audit trail's historical models), and a new
# model of the project apps must be added here (a test checks it).
CURATOR_MODEL_PERMISSIONS: dict[str, frozenset[str]] = {
    # Reference data and vocabularies.
    **{f"matchmaking.{name}": ALL for name in REFERENCE_MODELS},
    # Organisations and who acts for them. Verification goes through the
    # provider admin's actions (``may_verify_provider``), never the form.
    "matchmaking.memberstate": ALL,
    "matchmaking.provider": ALL,
    "matchmaking.membership": ALL,
    # Invitations are sent from the site (the token goes by mail only); in the
    # admin a curator reads and withdraws them.
    "matchmaking.invitation": VIEW_DELETE,
    # Requests to join are decided on the site or through the API (the
    # decision creates organisations and accounts); in the admin, read only.
    "matchmaking.joinrequest": VIEW,
    # The records curators curate.
    "matchmaking.programme": ALL,
    "matchmaking.need": ALL,
    "matchmaking.match": ALL,
    "matchmaking.matchevent": ALL,
    "matchmaking.contenttranslation": ALL,
    # Who funds what: curators keep the exchange-rate table and correct
    # programmes' funding; imported IATI provenance is read (or removed).
    "matchmaking.exchangerate": ALL,
    "matchmaking.programmefunding": ALL,
    "matchmaking.participatingorganisation": ALL,
    "matchmaking.budgetline": ALL,
    "matchmaking.importedactivity": VIEW_DELETE,
    # The coordination view's figures, kept on write (coordination_cells.py): read
    # only; rebuild_coordination_cells repairs them.
    "matchmaking.coordinationshare": VIEW,
    "matchmaking.coordinationcell": VIEW,
    "matchmaking.coordinationyear": VIEW,
    "matchmaking.coordinationyeartotal": VIEW,
    # Accounts: change narrowed to plain accounts and CURATOR_ACCOUNT_FIELDS.
    # No add (people join by invitation), no delete (deactivate instead).
    "matchmaking.user": frozenset({"view", "change"}),
    # Tokens: read; revoked through the admin action (``may_revoke_token``).
    "matchmaking.apitoken": VIEW,
    # Sign-in throttle counters (accounts/throttle.py): bookkeeping, nothing.
    "matchmaking.signinthrottle": frozenset(),
    # The engine's near misses and gap advice (derived.py): rewritten by every
    # refresh, shown on the pages of the records they concern.
    "matchmaking.nearmiss": frozenset(),
    "matchmaking.suggestedchange": frozenset(),
    # The engine's text analyses, kept by digest for the next task worker
    # (suggestions.py): bookkeeping that no one reads or edits.
    "matchmaking.textanalysis": frozenset(),
    # Allocation slates: asked for and read on the allocation page.
    "matchmaking.allocationslate": frozenset(),
    # What the platform writes itself, read to follow up a delivery or an
    # introduction: the event outbox, mails, webhook deliveries and endpoints
    # (never their secrets), the contacts exchanged and people's contact details.
    **{
        f"matchmaking.{name}": VIEW
        for name in (
            "outboxevent",
            "mailmessage",
            "webhookendpoint",
            "webhookdelivery",
            "introduction",
            "profile",
        )
    },
    # Conversations: curators read them in the admin and hide a message on the
    # match page (with a reason, audited), never edit one; read markers are
    # each person's own.
    "matchmaking.message": VIEW,
    "matchmaking.conversationread": frozenset(),
    # Each person's own: notifications, their settings, saved searches.
    "matchmaking.notification": frozenset(),
    "matchmaking.notificationpreference": frozenset(),
    "matchmaking.savedsearch": frozenset(),
    # The roundtable.
    **{
        f"roundtable.{name}": ALL
        for name in (
            "event",
            "session",
            "pitch",
            "timeslot",
            "sessionreport",
            "callforpitches",
            "review",
            "agendaversion",
            "meeting",
            "breakoutregistration",
            "commitment",
            "commitmentreport",
        )
    },
    # The task queue, and login lockouts (a curator lifts one by deleting it).
    "django_tasks_database.dbtaskresult": ALL,
    # The task workers' heartbeats (taskqueue.py): read, to see which live.
    "matchmaking.taskworker": VIEW,
    "axes.accessattempt": VIEW_DELETE,
    "axes.accessfailurelog": VIEW_DELETE,
    "axes.accesslog": VIEW,
}

# What a curator may change on a plain account in the admin. The rest is role,
# permission or credential data: the username signs in, the e-mail address
# receives the password-reset link, and rights are for superusers to give.
CURATOR_ACCOUNT_FIELDS = ("first_name", "last_name", "language", "is_active")


def account_level(user: Any) -> int:
    """The level an account's flags give it (whether it is active or not)."""
    if getattr(user, "is_superuser", False):
        return SUPERUSER
    if getattr(user, "is_curator", False) or getattr(user, "is_staff", False):
        return STAFF
    return PLAIN


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def acting_level(user: Any) -> int:
    """The level a signed-in user acts at now (-1: anonymous or inactive)."""
    return account_level(user) if _active(user) else -1


# --- two-factor -------------------------------------------------------------------


def confirmed_device(user: Any) -> TOTPDevice | None:
    """The user's confirmed TOTP device, if two-factor is on for them."""
    if user is None or not user.pk:
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def requires_two_factor(user: Any) -> bool:
    """Curators, staff and superusers see confidential needs of every state."""
    return bool(
        user is not None
        and user.is_authenticated
        and (getattr(user, "is_curator", False) or user.is_staff or user.is_superuser)
    )


# --- model permissions (CuratorBackend) -------------------------------------------


def curator_has_model_perm(user: Any, perm: str) -> bool:
    """``app_label.action_model`` is on the curators' allow-list (for a curator)."""
    if not (_active(user) and getattr(user, "is_curator", False)):
        return False
    app_label, _dot, codename = perm.partition(".")
    action, _sep, model = codename.partition("_")
    return action in CURATOR_MODEL_PERMISSIONS.get(f"{app_label}.{model}", ())


def curator_permission_lookups() -> list[tuple[str, str]]:
    """(app label, codename) of every permission on the curators' allow-list."""
    return sorted(
        (label.split(".")[0], f"{action}_{label.split('.')[1]}")
        for label, actions in CURATOR_MODEL_PERMISSIONS.items()
        for action in actions
    )


def curator_has_module_perms(user: Any, app_label: str) -> bool:
    """The curator holds some permission in the app (the admin lists it)."""
    return bool(
        _active(user)
        and getattr(user, "is_curator", False)
        and any(
            label.startswith(f"{app_label}.") for label in CURATOR_MODEL_PERMISSIONS
        )
    )


# --- accounts -----------------------------------------------------------------------


def may_create_account_directly(actor: Any) -> bool:
    """Only superusers create accounts in the admin; others join by invitation."""
    return acting_level(actor) == SUPERUSER


def may_change_account(*, actor: Any, target: Any) -> bool:
    """Superusers change any account; curators only accounts below their level."""
    level = acting_level(actor)
    if level == SUPERUSER:
        return True
    return level >= STAFF and account_level(target) < level


def account_fields_editable_by(*, actor: Any) -> tuple[str, ...] | None:
    """The account fields the actor may change (None: every field)."""
    return None if acting_level(actor) == SUPERUSER else CURATOR_ACCOUNT_FIELDS


def may_set_password(*, actor: Any, target: Any) -> bool:
    """A password is set by its owner (knowing the current one) or a superuser."""
    return acting_level(actor) == SUPERUSER


# --- API tokens ---------------------------------------------------------------------

# A token's owner, key and scope are fixed at creation; revocation is final.
TOKEN_FIXED_FIELDS = ("user", "prefix", "key_hash", "scope", "created_at")


def may_revoke_token(*, actor: Any, token: Any) -> bool:
    """The owner, or staff for accounts below their level (superusers: any)."""
    if not _active(actor):
        return False
    if token.user_id == actor.pk:
        return True
    return selectors.is_curator(actor) and may_change_account(
        actor=actor, target=token.user
    )


def expiry_of_token_made_by(*, maker: Any, expires_at: Any) -> Any:
    """A token made with a token never outlives its maker: no later expiry than
    the maker's (the maker's when none is asked)."""
    if maker.expires_at is None:
        return expires_at
    if expires_at is None or expires_at > maker.expires_at:
        return maker.expires_at
    return expires_at


# --- organisations and verification --------------------------------------------------


def may_register_provider(user: Any) -> bool:
    """A signed-in user who acts for no organisation registers one (unverified)."""
    return _active(user) and not (
        selectors.member_state_ids(user=user) or selectors.provider_ids(user=user)
    )


def may_edit_provider(*, user: Any, provider: Any) -> bool:
    """Its members and curators edit a provider's profile (not its verification)."""
    return selectors.is_curator(user) or provider.pk in selectors.provider_ids(
        user=user
    )


def may_verify_provider(user: Any) -> bool:
    """Curators vouch for a provider, or withdraw it."""
    return selectors.is_curator(user)


def may_invite(user: Any, *, provider: Any = None, member_state: Any = None) -> bool:
    """Curators invite people to act for a member state or provider; the
    programme managers of a verified provider invite colleagues to it."""
    if selectors.is_curator(user):
        return True
    return bool(
        provider is not None
        and member_state is None
        and provider.is_verified
        and _active(user)
        and provider.memberships.filter(user=user, role=MembershipRole.MANAGER).exists()
    )


def may_accept_invitation(*, user: Any, invitation: Any) -> bool:
    """Only the invited address accepts (compared case-insensitively).

    A new account created from the link gets the invited address.
    """
    return _active(user) and (user.email or "").strip().casefold() == (
        invitation.email.strip().casefold()
    )
