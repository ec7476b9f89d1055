"""A Redis cache that an outage turns into a slower cache, never into errors.

Everything the app keeps in the cache can be rebuilt: API answers and gap
statistics (recomputed from the database), DRF throttle histories. Django's
``RedisCache`` raises on every call while Redis is unreachable, so each API
call and ``/gaps/`` answered 500. ``ResilientRedisCache`` instead:

- talks to Redis with short socket timeouts (connect 0.25 s, read 0.5 s) and
  reconnects once at once, so a restarted server's stale pooled connection is
  replaced instead of counted as an outage;
- on a connection error or timeout opens a **circuit breaker**: for
  ``RETRY_SECONDS`` (5 s) no call goes to Redis, so requests do not each wait
  for a timeout; then one call (in one thread) tries Redis again, and the
  breaker closes when it answers;
- while the breaker is open, or when a call fails, serves the call from a
  **local-memory cache** in the process (bounded like the local cache of a
  one-process deployment), with the same keys. Answers come out of the
  database again, a little slower; throttles count per process during the
  outage, so an API budget is at most multiplied by the number of processes
  for that time (the login lockout is in the database and does not change);
- logs one warning when the breaker opens and one line when Redis is back.

The breaker is per process and per Redis location, shared by the process's
threads (Django gives each thread its own cache object). ``ping()`` is for
``/health/``: a real round trip whatever the breaker says; a success closes it.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 0.25
READ_TIMEOUT = 0.5
RETRY_SECONDS = 5.0
FALLBACK_MAX_ENTRIES = 5000
# Errors that mean "Redis is not there": they open the breaker. Any other
# RedisError (out of memory, read-only replica ...) fails that one call only.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


class Breaker:
    """Whether Redis is to be asked now, shared by the threads of a process."""

    def __init__(self, retry_seconds: float) -> None:
        self.retry_seconds = retry_seconds
        self.lock = threading.Lock()
        self.open_until = 0.0  # monotonic; 0: closed
        self.opened_at = 0.0

    def allows(self) -> bool:
        """True if a call may go to Redis (closed, or this thread probes)."""
        if not self.open_until:
            return True
        with self.lock:
            now = time.monotonic()
            if not self.open_until or now >= self.open_until:
                if self.open_until:
                    # This caller probes; the others keep to the fallback.
                    self.open_until = now + self.retry_seconds
                return True
            return False

    def failed(self, location: str, error: BaseException) -> None:
        with self.lock:
            was_closed = not self.open_until
            now = time.monotonic()
            self.open_until = now + self.retry_seconds
            if was_closed:
                self.opened_at = now
        if was_closed:
            logger.warning(
                "cache %s unreachable (%s: %s): serving from local memory, "
                "retrying every %.0f s",
                location,
                type(error).__name__,
                error,
                self.retry_seconds,
            )

    def succeeded(self, location: str) -> None:
        if not self.open_until:
            return
        with self.lock:
            if not self.open_until:
                return
            down = time.monotonic() - self.opened_at
            self.open_until = 0.0
        logger.warning("cache %s reachable again after %.1f s", location, down)


_breakers: dict[str, Breaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(location: str, retry_seconds: float) -> Breaker:
    with _breakers_lock:
        found = _breakers.get(location)
        if found is None:
            found = _breakers[location] = Breaker(retry_seconds)
        return found


def redacted(location: str) -> str:
    """The location for a log line: no user, password or query options."""
    shown = []
    for url in location.split(","):
        parts = urlsplit(url.strip())
        host = parts.netloc.rpartition("@")[2]
        shown.append(f"{parts.scheme}://{host}{parts.path}")
    return ",".join(shown)


class ResilientRedisCache(RedisCache):
    """Django's RedisCache, degrading to local memory while Redis is away."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS", {}))
        retry_seconds = float(options.pop("RETRY_SECONDS", RETRY_SECONDS))
        max_entries = int(options.pop("FALLBACK_MAX_ENTRIES", FALLBACK_MAX_ENTRIES))
        options.setdefault("socket_connect_timeout", CONNECT_TIMEOUT)
        options.setdefault("socket_timeout", READ_TIMEOUT)
        # One immediate reconnect on a dropped connection (a restarted server
        # closed the pooled ones); a timeout is not retried.
        options.setdefault(
            "retry", Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,))
        )
        super().__init__(server, {**params, "OPTIONS": options})
        self.location = server if isinstance(server, str) else ",".join(server)
        self.shown = redacted(self.location)
        self.breaker = breaker_for(self.location, retry_seconds)
        # LocMemCache keeps its entries per name, module-wide: every thread's
        # instance of this cache shares one fallback store.
        self.fallback = LocMemCache(
            f"resilient-redis-fallback:{self.location}",
            {
                "TIMEOUT": params.get("TIMEOUT", DEFAULT_TIMEOUT),
                "KEY_PREFIX": params.get("KEY_PREFIX", ""),
                "VERSION": params.get("VERSION", 1),
                "KEY_FUNCTION": params.get("KEY_FUNCTION"),
                "OPTIONS": {"MAX_ENTRIES": max_entries},
            },
        )

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self.breaker.allows():
            try:
                result = getattr(super(), name)(*args, **kwargs)
            except UNREACHABLE as error:
                self.breaker.failed(self.shown, error)
            except RedisError:
                logger.warning("cache %s: %s failed", self.shown, name, exc_info=True)
            else:
                self.breaker.succeeded(self.shown)
                return result
        return getattr(self.fallback, name)(*args, **kwargs)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call("get", key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", key, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", key, version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", keys, version)

    def clear(self):
        self.fallback.clear()
        return self._call("clear")

    def ping(self) -> bool:
        """One round trip to Redis now, whatever the breaker says (for /health/)."""
        try:
            self._cache.get_client(write=True).ping()
        except UNREACHABLE as error:
            self.breaker.failed(self.shown, error)
            return False
        except RedisError:
            logger.warning("cache %s: ping failed", self.shown, exc_info=True)
            return False
        self.breaker.succeeded(self.shown)
        return True
