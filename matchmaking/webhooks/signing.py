"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

The secret is ``whsec_`` and the base64 of 24 random bytes; the signature is
``v1,`` and the base64 HMAC-SHA256, keyed by the decoded secret, of
``{webhook-id}.{webhook-timestamp}.{body}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
# A receiver refuses a timestamp further than this from its clock (replays).
TOLERANCE_SECONDS = 5 * 60


def new_secret() -> str:
    """A fresh signing secret, ``whsec_`` and 24 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for one attempt."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(
    *,
    secret: str,
    message_id: str,
    timestamp: str,
    signature_header: str,
    body: bytes,
    now: int,
) -> bool:
    """Whether one of the header's signatures is ours and the timestamp is fresh."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > TOLERANCE_SECONDS:
        return False
    expected = sign(secret=secret, message_id=message_id, timestamp=sent_at, body=body)
    return any(
        hmac.compare_digest(expected, candidate)
        for candidate in signature_header.split()
    )
