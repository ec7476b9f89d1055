"""Sign-in throttle per account, across addresses.

django-axes locks one username *from one address* after a few failures, which
alone lets an attacker with many addresses guess on. This module adds a budget
per account, whatever the address:

* the first ``LOGIN_ACCOUNT_FREE_FAILURES`` failures (10) cost nothing extra;
* after that each further attempt waits for an exponentially growing delay
  since the last failure (1 s, 2 s, 4 s ... capped at
  ``LOGIN_ACCOUNT_MAX_DELAY_SECONDS``, 15 min). An attempt inside the delay is
  refused (429) *without* checking the password and is not counted, so
  waiting is the only way on: at the cap an account takes at most 96 guesses
  a day from all addresses together;
* the count is forgotten a day after the last failure, after a successful
  sign-in and after a password reset.

The owner is never locked out for good: the delay is capped, a browser that
signed in to the account before carries a signed "known client" cookie that
skips the account-wide delay (it still meets the per-address lockout), and a
password reset clears the count. The price: during a sustained attack the
owner on a new device may wait up to the cap between attempts.

Failures are counted from ``user_login_failed`` (wrong passwords, wrong
codes, a wrong current password when changing it); attempts that django-axes
refused unevaluated are not. The rows live in the database, shared by every
app server.
"""

from __future__ import annotations

import hashlib
import math
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db.models import F
from django.http import HttpRequest
from django.http import HttpResponse
from django.utils import timezone

from matchmaking.models import SignInThrottle

KNOWN_CLIENT_COOKIE = "signin_known"
KNOWN_CLIENT_SALT = "matchmaking.accounts.throttle.known-client"
KNOWN_CLIENT_MAX_AGE = 180 * 24 * 3600
KNOWN_CLIENT_MAX_ACCOUNTS = 5
FORGET_AFTER = timedelta(days=1)
USERNAME_LENGTH = 150


def _key(username: Any) -> str:
    return str(username or "")[:USERNAME_LENGTH]


def delay_after(failures: int) -> timedelta:
    """The wait the account's failures impose before the next attempt."""
    free = settings.LOGIN_ACCOUNT_FREE_FAILURES
    cap = settings.LOGIN_ACCOUNT_MAX_DELAY_SECONDS
    if failures < free:
        return timedelta(0)
    exponent = failures - free
    # 2**exponent overflows nothing here: past the cap's logarithm it is the cap.
    if exponent >= math.log2(max(cap, 1)):
        return timedelta(seconds=cap)
    return timedelta(seconds=min(2**exponent, cap))


def known_accounts(request: HttpRequest) -> list[str]:
    """Usernames this browser signed in to before (signed cookie), newest first."""
    value = request.COOKIES.get(KNOWN_CLIENT_COOKIE)
    if not value:
        return []
    try:
        names = signing.loads(
            value, salt=KNOWN_CLIENT_SALT, max_age=KNOWN_CLIENT_MAX_AGE
        )
    except signing.BadSignature:
        return []
    if not isinstance(names, list):
        return []
    return [str(name) for name in names][:KNOWN_CLIENT_MAX_ACCOUNTS]


def seconds_to_wait(*, username: Any, request: HttpRequest | None = None) -> int:
    """How long this account must wait before a credential is checked (0: now)."""
    key = _key(username)
    if not key:
        return 0
    if request is not None and key in known_accounts(request):
        return 0
    row = SignInThrottle.objects.filter(username=key).first()
    if row is None:
        return 0
    now = timezone.now()
    if now - row.last_failure_at > FORGET_AFTER:
        return 0
    remaining = row.last_failure_at + delay_after(row.failures) - now
    return max(0, math.ceil(remaining.total_seconds()))


def record_failure(*, username: Any) -> None:
    """Count one evaluated failure against the account."""
    key = _key(username)
    if not key:
        return
    now = timezone.now()
    updated = SignInThrottle.objects.filter(
        username=key, last_failure_at__gte=now - FORGET_AFTER
    ).update(failures=F("failures") + 1, last_failure_at=now)
    if not updated:
        SignInThrottle.objects.update_or_create(
            username=key, defaults={"failures": 1, "last_failure_at": now}
        )


def clear(*, username: Any) -> None:
    """Forget the account's failures (a sign-in succeeded, a reset was done)."""
    SignInThrottle.objects.filter(username=_key(username)).delete()


def remember_client(
    request: HttpRequest, response: HttpResponse, username: str
) -> None:
    """After a complete sign-in: this browser is a known client of the account."""
    key = _key(username)
    names = [key, *(n for n in known_accounts(request) if n != key)]
    response.set_cookie(
        KNOWN_CLIENT_COOKIE,
        signing.dumps(names[:KNOWN_CLIENT_MAX_ACCOUNTS], salt=KNOWN_CLIENT_SALT),
        max_age=KNOWN_CLIENT_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **_
) -> None:
    """``user_login_failed``: count it, unless django-axes refused it unevaluated."""
    if request is not None and getattr(request, "axes_locked_out", False):
        return
    if getattr(request, "account_throttled", False):
        return
    record_failure(username=credentials.get("username"))


def on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **_: Any) -> None:
    """``user_logged_in``: a complete sign-in forgets the account's failures."""
    clear(username=user.get_username())


def connect_throttle_signals() -> None:
    """Hook the counting to Django's sign-in signals (from the app's ready)."""
    from django.contrib.auth.signals import user_logged_in
    from django.contrib.auth.signals import user_login_failed

    user_login_failed.connect(on_login_failed, dispatch_uid="account-throttle-failed")
    user_logged_in.connect(on_logged_in, dispatch_uid="account-throttle-success")


# --- password-reset mail ----------------------------------------------------------

RESET_WINDOW_SECONDS = 3600


def count_hit(key: str, window: int = RESET_WINDOW_SECONDS) -> int:
    """Count one request under ``key`` in a window of seconds (an hour by
    default); 0 when the cache is down (an outage degrades, it does not fail)."""
    try:
        cache.add(key, 0, window)
        return cache.incr(key)
    except Exception:
        return 0


def allow_reset_mail(*, email: str, client: str) -> bool:
    """Whether a reset mail may go out: per address and per client, an hour.

    Both counts move on every request, for known and unknown addresses alike,
    so the answer (always the same page) and the work done before the lookup
    say nothing about whether an account exists. With the cache down, mail
    is not throttled (a cache outage degrades, it does not fail).
    """
    digest = hashlib.sha256(email.strip().casefold().encode()).hexdigest()
    per_address = count_hit(f"password-reset:address:{digest}")
    per_client = count_hit(f"password-reset:client:{client}")
    return (
        per_address <= settings.PASSWORD_RESET_MAILS_PER_ADDRESS
        and per_client <= settings.PASSWORD_RESET_REQUESTS_PER_CLIENT
    )
