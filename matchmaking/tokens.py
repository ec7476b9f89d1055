"""Personal API tokens: created and revoked by their user, stored hashed.

A key reads ``cbm_<prefix>_<secret>``. Only the SHA-256 of the whole key is
stored; the prefix is kept in clear so people can tell their tokens apart.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import selectors
from .models import ApiToken, TokenScope, User

KEY_PREFIX = "cbm"
# Writing last_used_at on every request would turn reads into writes.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_key(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(
    *,
    user: User,
    name: str,
    scope: str,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for the user; the plaintext key is returned only here."""
    if scope not in TokenScope.values:
        raise ValidationError({"scope": _("Unknown scope.")})
    if not name.strip():
        raise ValidationError({"name": _("Give the token a name.")})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    for _attempt in range(5):
        prefix = secrets.token_hex(4)
        key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    user=user,
                    name=name.strip(),
                    prefix=prefix,
                    key_hash=hash_key(key),
                    scope=scope,
                    expires_at=expires_at,
                )
        except IntegrityError:  # a prefix collision: draw again
            continue
        return token, key
    raise RuntimeError("could not draw a unique token prefix")


def revoke_token(*, user: User, token: ApiToken) -> ApiToken:
    """Revoke one of the user's tokens (curators may revoke anyone's)."""
    if token.user_id != user.pk and not selectors.is_curator(user):
        raise PermissionDenied
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_is_usable(token: ApiToken) -> bool:
    """Not revoked, not expired, and its user still active."""
    now = timezone.now()
    return (
        token.revoked_at is None
        and (token.expires_at is None or token.expires_at > now)
        and token.user.is_active
    )


def authenticate_key(*, key: str) -> ApiToken | None:
    """The usable token for a presented key, or None."""
    token = (
        ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
    )
    if token is None or not token_is_usable(token):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
