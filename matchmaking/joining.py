"""Joining the platform: requests to join, colleagues' invitations, e-mail changes.

* Someone without an account asks to join, for a provider organisation or as
  a member state's focal point (``submit_join_request``). The request reaches
  the curators only once its address is proven by a signed link mailed to it
  (``confirm_join_request``). A curator verifies it (the provider is created
  and verified or the member state made ready, the requester gets an account
  with the organisation's role and a link to set a password) or rejects it
  with a reason; the requester is told by mail in their language.
* A verified provider's programme manager invites colleagues to that provider
  only (``matchmaking.invitations.invite_user`` with ``policy.may_invite``).
* A changed e-mail address takes effect only once a link mailed to the new
  address is opened by the same account (``request_email_change``,
  ``confirm_email_change``): an invitation or a password reset is never sent
  to an address nobody proved.

Public forms are throttled per address and per client, and answer the same
whatever accounts exist: nothing here tells who is registered.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import IO
from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from matchmaking import audit
from matchmaking import i18n
from matchmaking import selectors
from matchmaking import uploads
from matchmaking.accounts import throttle
from matchmaking.enums import MembershipRole
from matchmaking.models import MAX_LETTER_BYTES
from matchmaking.models import MAX_LETTER_PAGES
from matchmaking.models import NOTE_TEXT
from matchmaking.models import Country
from matchmaking.models import JoinKind
from matchmaking.models import JoinRequest
from matchmaking.models import JoinStatus
from matchmaking.models import Membership
from matchmaking.models import MemberState
from matchmaking.models import Provider
from matchmaking.models import User
from matchmaking.notifications.mail import queue_mail

CONFIRM_SALT = "matchmaking.joining.confirm"
CONFIRM_MAX_AGE = 3 * 24 * 3600
EMAIL_CHANGE_SALT = "matchmaking.joining.email-change"
EMAIL_CHANGE_MAX_AGE = 24 * 3600
# Requests to join, per hour: per address given and per client address. Past
# either the page answers the same but nothing is stored and no mail goes out.
REQUESTS_PER_ADDRESS = 3
REQUESTS_PER_CLIENT = 10

# What a request may carry, by kind (the rest is cleared).
PROVIDER_FIELDS = ("organisation_name", "stakeholder_group", "country", "website")
COMMON_FIELDS = ("contact_name", "email", "position", "message", "language")

type UrlFor = Callable[[str], str]


def states() -> Any:
    """Every UN member and observer state (193 + 2), by English name."""
    return Country.objects.filter(is_un_member=True) | Country.objects.filter(
        is_observer=True
    )


def member_state_for(*, country: Country) -> MemberState:
    """The member state of a UN member or observer country, created on demand."""
    state = MemberState.objects.filter(country=country).first()
    if state is not None:
        return state
    state = MemberState(country=country)
    state.full_clean()
    state.save()
    return state


def default_role(*, member_state: Any = None, provider: Any = None) -> str:
    """What someone acting for the organisation is by default."""
    return (
        MembershipRole.MANAGER if provider is not None else MembershipRole.FOCAL_POINT
    )


def check_role(*, role: str, member_state: Any = None, provider: Any = None) -> None:
    """A state has focal points and viewers; a provider managers and viewers."""
    allowed = (
        {MembershipRole.MANAGER, MembershipRole.VIEWER}
        if provider is not None
        else {MembershipRole.FOCAL_POINT, MembershipRole.VIEWER}
    )
    if role not in allowed:
        raise ValidationError(
            {
                "role": _("Choose one of: %(roles)s.")
                % {
                    "roles": ", ".join(
                        str(MembershipRole(r).label) for r in sorted(allowed)
                    )
                }
            }
        )


# --- requests to join ---------------------------------------------------------


def _address_key(email: str) -> str:
    return hashlib.sha256(email.strip().casefold().encode()).hexdigest()


def allow_join_request(*, email: str, client: str) -> bool:
    """Whether a request may go on (per address and per client, an hour)."""
    per_address = throttle.count_hit(f"join-request:address:{_address_key(email)}")
    per_client = throttle.count_hit(f"join-request:client:{client}")
    return per_address <= REQUESTS_PER_ADDRESS and per_client <= REQUESTS_PER_CLIENT


@transaction.atomic
def submit_join_request(
    *,
    data: dict[str, Any],
    letter: IO[bytes] | None = None,
    confirm_url: UrlFor,
    client: str,
) -> JoinRequest | None:
    """Store a request to join and mail a link to confirm its address.

    Returns None, storing and sending nothing, when the address or the client
    asked too often; callers answer the same either way.
    """
    kind = data.get("kind")
    fields = COMMON_FIELDS + (
        PROVIDER_FIELDS if kind == JoinKind.PROVIDER else ("country",)
    )
    join_request = JoinRequest(
        kind=kind or "", **{f: data[f] for f in fields if f in data}
    )
    join_request.email = (join_request.email or "").strip()
    join_request.full_clean(exclude=["nomination_letter"])
    checked = None
    if letter is not None and kind == JoinKind.FOCAL_POINT:
        try:
            checked = uploads.check_pdf(
                letter, max_pages=MAX_LETTER_PAGES, max_bytes=MAX_LETTER_BYTES
            )
        except ValidationError as error:
            raise ValidationError({"nomination_letter": error}) from error
    if not allow_join_request(email=join_request.email, client=client):
        return None
    if checked is not None:
        join_request.nomination_letter.save(
            "letter.pdf", ContentFile(checked.content), save=False
        )
    audit.set_change_reason(join_request, "requested")
    join_request.save()
    token = signing.dumps(join_request.pk, salt=CONFIRM_SALT)
    link = confirm_url(token)
    _mail_requester(
        join_request,
        template="matchmaking/mail/join_confirm.txt",
        subject=lambda: _("Confirm your request to join the matchmaking platform"),
        context={"link": link, "days": CONFIRM_MAX_AGE // (24 * 3600)},
    )
    return join_request


def request_for_confirmation(*, token: str) -> JoinRequest | None:
    """The request a confirmation link names (still valid), or None."""
    try:
        pk = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature:
        return None
    return JoinRequest.objects.filter(pk=pk).first()


@transaction.atomic
def confirm_join_request(*, token: str, queue_url: str = "") -> JoinRequest:
    """The address is proven: the request goes to the curators' queue.

    With ``queue_url`` (an absolute link to the queue), the active curators are
    told by mail, each in their profile's language.
    """
    found = request_for_confirmation(token=token)
    if found is None:
        raise ValidationError(_("This link is not valid any more."))
    join_request = JoinRequest.objects.select_for_update().get(pk=found.pk)
    if join_request.status != JoinStatus.UNCONFIRMED:
        return join_request  # opened twice: nothing more to do
    join_request.status = JoinStatus.PENDING
    join_request.email_confirmed_at = timezone.now()
    audit.set_change_reason(join_request, "e-mail confirmed")
    join_request.save(update_fields=["status", "email_confirmed_at"])
    if queue_url:
        _tell_curators(join_request, queue_url)
    return join_request


def _tell_curators(join_request: JoinRequest, queue_url: str) -> None:
    curators = list(
        User.objects.filter(is_curator=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )

    def compose() -> tuple[str, str]:
        body = _(
            "%(org)s asks to join the matchmaking platform (%(kind)s). "
            "Verify or reject the request here:"
        ) % {
            "org": _organisation(join_request),
            "kind": join_request.get_kind_display(),
        }
        return _("A request to join is waiting"), f"{body}\n{queue_url}\n"

    queue_mail(recipients=curators, compose=compose)


def _locked_pending(join_request: JoinRequest) -> JoinRequest:
    locked = JoinRequest.objects.select_for_update().get(pk=join_request.pk)
    if locked.status != JoinStatus.PENDING:
        raise ValidationError(
            _("This request is %(status)s: it cannot be decided again.")
            % {"status": locked.get_status_display()}
        )
    return locked


def _unique_username(email: str) -> str:
    stem = (
        "".join(c for c in email.split("@")[0].lower() if c.isalnum() or c in "._-")[
            :140
        ]
        or "member"
    )
    name, n = stem, 1
    while User.objects.filter(username__iexact=name).exists():
        n += 1
        name = f"{stem}{n}"
    return name


def _account_for(join_request: JoinRequest) -> tuple[User, bool]:
    """The account the requester signs in with: theirs if the address has exactly
    one active account, else a new one without a password. (user, created)"""
    owners = list(
        User.objects.filter(email__iexact=join_request.email, is_active=True)[:2]
    )
    if len(owners) == 1:
        return owners[0], False
    first, _sep, last = join_request.contact_name.strip().partition(" ")
    user = User(
        username=_unique_username(join_request.email),
        email=join_request.email,
        first_name=first[:150],
        last_name=last[:150],
        language=i18n.supported(join_request.language) or "",
    )
    user.set_unusable_password()
    user.full_clean()
    user.save()
    return user, True


@transaction.atomic
def verify_join_request(
    *, user: User, join_request: JoinRequest, url_for: UrlFor
) -> JoinRequest:
    """A curator verifies a request: organisation, account and role are created.

    ``url_for(path)`` makes an absolute link for the mail.
    """
    if not selectors.is_curator(user):
        raise PermissionDenied
    join_request = _locked_pending(join_request)
    now = timezone.now()
    if join_request.kind == JoinKind.PROVIDER:
        provider = Provider(
            name=join_request.organisation_name,
            stakeholder_group=join_request.stakeholder_group,
            country=join_request.country,
            website=join_request.website,
            is_verified=True,
            verified_at=now,
            verified_by=user,
        )
        try:
            provider.full_clean()
        except ValidationError as error:
            raise ValidationError(
                {"organisation_name": error.message_dict.get("name", error.messages)}
            ) from error
        audit.set_change_reason(provider, "verified")
        provider.save()
        join_request.provider = provider
        organisation: dict[str, Any] = {"provider": provider}
    else:
        join_request.member_state = member_state_for(country=join_request.country)
        organisation = {"member_state": join_request.member_state}
    account, created = _account_for(join_request)
    Membership.objects.get_or_create(
        user=account, **organisation, defaults={"role": default_role(**organisation)}
    )
    join_request.user = account
    join_request.status = JoinStatus.VERIFIED
    join_request.decided_at = now
    join_request.decided_by = user
    audit.set_change_reason(join_request, "verified")
    join_request.save()
    set_password = created or not account.has_usable_password()
    if set_password:
        path = reverse(
            "password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(account.pk)),
                "token": default_token_generator.make_token(account),
            },
        )
    else:
        path = reverse("login")
    _mail_requester(
        join_request,
        template="matchmaking/mail/join_verified.txt",
        subject=lambda: _("Your request to join is verified"),
        context={
            "link": url_for(path),
            "username": account.get_username(),
            "set_password": set_password,
        },
    )
    return join_request


@transaction.atomic
def reject_join_request(
    *, user: User, join_request: JoinRequest, reason: str
) -> JoinRequest:
    """A curator rejects a request with a reason, which the requester is sent."""
    if not selectors.is_curator(user):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the request is rejected.")})
    if len(reason) > NOTE_TEXT:
        raise ValidationError(
            {"reason": _("At most %(limit)d characters.") % {"limit": NOTE_TEXT}}
        )
    join_request = _locked_pending(join_request)
    join_request.status = JoinStatus.REJECTED
    join_request.reason = reason
    join_request.decided_at = timezone.now()
    join_request.decided_by = user
    audit.set_change_reason(join_request, "rejected")
    join_request.save(update_fields=["status", "reason", "decided_at", "decided_by"])
    _mail_requester(
        join_request,
        template="matchmaking/mail/join_rejected.txt",
        subject=lambda: _("Your request to join was not accepted"),
        context={"reason": reason},
    )
    return join_request


def _mail_requester(
    join_request: JoinRequest,
    *,
    template: str,
    subject: Callable[[], str],
    context: dict[str, Any],
) -> None:
    """Mail the requester in their language (through the mail outbox)."""
    email = join_request.email
    language = i18n.supported(join_request.language) or translation.get_language()

    def compose() -> tuple[str, str]:
        body = render_to_string(
            template,
            {
                "request": join_request,
                "organisation": _organisation(join_request),
                **context,
            },
        )
        return subject(), body

    # The address has no account yet: the mail outbox keeps it per address.
    queue_mail(recipients=[email], compose=compose, default=language)


def _organisation(join_request: JoinRequest) -> str:
    if join_request.kind == JoinKind.PROVIDER:
        return join_request.organisation_name
    return i18n.display_name(join_request.country) if join_request.country_id else ""


# --- e-mail changes -------------------------------------------------------------


def request_email_change(
    *, user: User, new_email: str, password: str, confirm_url: UrlFor
) -> None:
    """Mail a link to the new address; the address changes once it is opened."""
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied
    if not user.check_password(password):
        raise ValidationError({"password": _("The password is not right.")})
    new_email = new_email.strip()
    if new_email.casefold() == (user.email or "").casefold():
        raise ValidationError({"email": _("This is your address already.")})
    token = signing.dumps(
        {"user": user.pk, "new": new_email, "old": _address_key(user.email or "")},
        salt=EMAIL_CHANGE_SALT,
    )
    link = confirm_url(token)
    language = i18n.supported(user.language) or translation.get_language()

    def compose() -> tuple[str, str]:
        body = render_to_string(
            "matchmaking/mail/email_change.txt",
            {"user": user, "link": link, "hours": EMAIL_CHANGE_MAX_AGE // 3600},
        )
        return _("Confirm your new e-mail address"), body

    # The new address has no account's language yet: the user's is used.
    queue_mail(recipients=[new_email], compose=compose, default=language)


@transaction.atomic
def confirm_email_change(*, user: User, token: str) -> User:
    """The signed-in account that asked opens the link: its address changes."""
    try:
        payload = signing.loads(
            token, salt=EMAIL_CHANGE_SALT, max_age=EMAIL_CHANGE_MAX_AGE
        )
    except signing.BadSignature as error:
        raise ValidationError(_("This link is not valid any more.")) from error
    if payload.get("user") != user.pk:
        raise PermissionDenied
    if payload.get("old") != _address_key(user.email or ""):
        # The address changed since the link was sent: it is spent.
        raise ValidationError(_("This link is not valid any more."))
    user.email = payload["new"]
    user.full_clean(validate_unique=False)
    user.save(update_fields=["email"])
    return user
