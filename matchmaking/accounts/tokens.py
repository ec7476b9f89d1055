"""Personal API tokens: created and revoked by their user, stored hashed.

A key reads ``cbm_<prefix>_<secret>``. Only the SHA-256 of the whole key is
stored; the prefix is kept in clear so people can tell their tokens apart.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import datetime
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db import connection
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from matchmaking import audit
from matchmaking.accounts import policy
from matchmaking.accounts.policy import confirmed_device
from matchmaking.accounts.policy import requires_two_factor
from matchmaking.models import ApiToken
from matchmaking.models import TokenScope
from matchmaking.models import User

KEY_PREFIX = "cbm"
# The security event of a password change or reset revoking a user's tokens.
TOKENS_REVOKED = "tokens_revoked"
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
    """Create a token for the user; the plaintext key is returned only here.

    Curators, staff and superusers get tokens only once two-factor
    authentication is on for them: a token must not be a way around it.
    """
    if requires_two_factor(user) and confirmed_device(user) is None:
        raise PermissionDenied(
            _("Turn on two-factor authentication before creating an API token.")
        )
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
    """Revoke a token: its owner's, or one staff may revoke (``policy``)."""
    if not policy.may_revoke_token(actor=user, token=token):
        raise PermissionDenied
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def revoke_all_tokens(*, user: User, reason: str) -> int:
    """Revoke every live token of the user (a new password) and record it.

    Sessions end when the password changes; tokens would outlive it otherwise.
    """
    count = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if count:
        audit.log_security_event(
            TOKENS_REVOKED,
            user=user,
            object_type="user",
            object_id=user.pk,
            reason=reason,
            count=str(count),
        )
    return count


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
    token = _token_with_user(hash_key(key))
    if token is None or not token_is_usable(token):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


# --- the lookup on every API request ------------------------------------------
#
# ``ApiToken.objects.select_related("user").filter(key_hash=...)`` spends about
# 0.4 ms building its SQL on every request, several times the query itself.
# The same query, built once from the models' metadata, gives the same
# instances: the database values go through the fields' converters, as the
# ORM does (tests/matchmaking/api/test_tokens.py compares the two).


@functools.cache
def _lookup_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    columns = [f"t.{quote(f.column)}" for f in _TOKEN_FIELDS] + [
        f"u.{quote(f.column)}" for f in _USER_FIELDS
    ]
    user_fk = ApiToken._meta.get_field("user").column
    key_hash = ApiToken._meta.get_field("key_hash").column
    return (
        f"SELECT {', '.join(columns)} FROM {quote(ApiToken._meta.db_table)} t "  # noqa: S608  # nosec B608
        f"JOIN {quote(User._meta.db_table)} u ON u.{quote(User._meta.pk.column)}"
        f" = t.{quote(user_fk)} WHERE t.{quote(key_hash)} = %s"
    )


_TOKEN_FIELDS = tuple(ApiToken._meta.concrete_fields)
_USER_FIELDS = tuple(User._meta.concrete_fields)


@functools.cache
def _converters(vendor: str, fields: tuple) -> tuple:
    """(column, converters) per field: what the ORM applies to a fetched value."""
    out = []
    for field in fields:
        column = field.get_col(field.model._meta.db_table)
        out.append(
            (
                column,
                tuple(
                    connection.ops.get_db_converters(column)
                    + column.get_db_converters(connection)
                ),
            )
        )
    return tuple(out)


def _converted(fields: tuple, values) -> list:
    out = []
    for (column, converters), value in zip(
        _converters(connection.vendor, fields), values, strict=True
    ):
        for convert in converters:
            value = convert(value, column, connection)
        out.append(value)
    return out


def _token_with_user(key_hash: str) -> ApiToken | None:
    """The token with this hash and its user, in one query (or None)."""
    with connection.cursor() as cursor:
        cursor.execute(_lookup_sql(connection.vendor), [key_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    size = len(_TOKEN_FIELDS)
    token = ApiToken.from_db(
        connection.alias,
        [f.attname for f in _TOKEN_FIELDS],
        _converted(_TOKEN_FIELDS, row[:size]),
    )
    token.user = User.from_db(
        connection.alias,
        [f.attname for f in _USER_FIELDS],
        _converted(_USER_FIELDS, row[size:]),
    )
    return token
