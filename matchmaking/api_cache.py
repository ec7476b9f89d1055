"""A read cache of API responses, invalidated by a data generation.

Reads of the API repeat: portals and dashboards poll the same lists, and a
focal point reloads a need's matches. A GET answered in JSON is kept, as the
bytes sent, under a key made of

- the **data generation**: a counter in the database (one row, so every worker
  process sees the same value), moved on by every change to the data;
- the user (responses follow what each user may see), the language, the
  negotiated media type and the full path with its query.

Authentication, permissions and throttling run before the cache is asked, so
a cached answer is never given to anyone the view itself would refuse; only
200 answers of at most 64 KB are kept. ``API_CACHE_SECONDS`` bounds how long
an answer lives (0 turns the cache off); the generation makes a change visible
at once.

The generation moves on:

- after the transaction of any saved or deleted record, or changed relation,
  of the project's apps and of users (signals), except bookkeeping that no
  API answer shows (token use, security records, history rows);
- after every request with an unsafe method (``DataGenerationMiddleware``),
  which covers bulk updates made by views and services;
- after the bulk writes of the engine (suggestions, in requests, background
  tasks or ``rematch``), of the dataset import and of expiring meeting
  requests, which send no signal.

Bodies are kept in the ``default`` cache: per process by default
(local memory), shared between processes when ``CACHE_URL`` names Redis.
"""

from __future__ import annotations

import hashlib
import logging
import time

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.db import connection
from django.db import transaction
from django.db.models.signals import m2m_changed
from django.db.models.signals import post_delete
from django.db.models.signals import post_save
from django.http import HttpResponse
from django.http import HttpResponseNotModified
from django.utils.http import http_date
from django.utils.http import parse_http_date_safe
from django.utils.translation import get_language

logger = logging.getLogger(__name__)

# The counter lives in the table cbm_data_generation (migration 0010), one row.
APPS = ("matchmaking", "roundtable")
# Bookkeeping no API answer shows: a change to these leaves the cache alone.
IGNORED = frozenset(
    {
        "matchmaking.apitoken",
        "matchmaking.signinthrottle",
        "axes.accessattempt",
        "axes.accessfailurelog",
        "axes.accesslog",
        "sessions.session",
    }
)
# Deleted in bulk by the engine, which moves the generation itself: a delete
# signal would make Django fetch every row before deleting it.
BULK_DELETED = frozenset({"matchmaking.match"})
# Larger answers (a page of 100 records) are not kept: with the local-memory
# cache's 5,000 entries this bounds it to about 320 MB a process.
MAX_BYTES = 64 * 1024
# Headers of a kept answer that are sent again with it.
KEPT_HEADERS = ("Content-Type", "Link")


def seconds() -> int:
    return int(getattr(settings, "API_CACHE_SECONDS", 0))


def generation_and_time() -> tuple[int, float] | None:
    """The current data generation and when it moved (Unix time), or None if
    the table cannot be read."""
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT value, changed_at FROM cbm_data_generation WHERE id = 1"
            )
            row = cursor.fetchone()
    except DatabaseError:
        logger.warning("data generation unreadable: API cache bypassed")
        return None
    return None if row is None else (int(row[0]), float(row[1] or 0))


def generation() -> int | None:
    """The current data generation (None if the table cannot be read)."""
    found = generation_and_time()
    return None if found is None else found[0]


def bump() -> None:
    """Move the data generation on now (every cached answer becomes stale)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cbm_data_generation SET value = value + 1, changed_at = %s"
            " WHERE id = 1",
            [time.time()],
        )


def changed() -> None:
    """Data changed: move the generation on once the transaction commits.

    Outside a transaction it moves at once. Inside one, once per transaction,
    after the commit: an answer computed before the commit is kept under the
    old generation, which the move then retires. (Moving it inside the
    transaction would hold the counter's row lock until the commit and make
    every other writer wait, for the whole of a long rematch.)
    """
    if not connection.in_atomic_block:
        bump()
        return
    if any(func is bump for _ids, func, _robust in connection.run_on_commit):
        return  # already to run after this transaction
    transaction.on_commit(bump, robust=True)


def _on_change(sender, **kwargs) -> None:
    if sender._meta.label_lower in IGNORED or sender.__name__.startswith("Historical"):
        return
    if kwargs.get("action", "post_").startswith("pre_"):
        return  # m2m_changed: the post_ signal follows
    changed()


def connect_signals() -> None:
    """Watch every model of the project's apps and the user model."""
    models = [m for app in APPS for m in apps.get_app_config(app).get_models()]
    models.append(apps.get_model(settings.AUTH_USER_MODEL))
    for model in models:
        uid = f"api_cache:{model._meta.label_lower}"
        post_save.connect(_on_change, sender=model, dispatch_uid=uid + ":save")
        if model._meta.label_lower not in BULK_DELETED:
            post_delete.connect(_on_change, sender=model, dispatch_uid=uid + ":delete")
        for field in model._meta.local_many_to_many:
            m2m_changed.connect(
                _on_change,
                sender=field.remote_field.through,
                dispatch_uid=f"{uid}:{field.name}",
            )


class DataGenerationMiddleware:
    """After any request with an unsafe method, move the generation on.

    Services and views also write with ``update()`` and bulk operations, which
    send no signal; a write comes with an unsafe method, so this catches them.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE") and seconds():
            try:
                changed()
            except DatabaseError:
                logger.exception("could not move the data generation on")
        return response


class CachedReadMixin:
    """Keep a viewset's JSON GET answers and answer conditional GETs (see the
    module docstring)."""

    _cache_key: str | None = None
    _validators: dict[str, str] | None = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # auth, permissions, throttles
        self._cache_key = None
        self._validators = None
        if request.method not in ("GET", "HEAD") or not seconds():
            return
        if getattr(request.accepted_renderer, "format", None) != "json":
            return
        found = generation_and_time()
        if found is None:
            return
        user = request.user
        who = f"u{user.pk}" if user.is_authenticated else "anon"
        signature = "\n".join(
            (
                str(found[0]),
                who,
                get_language() or "",
                request.accepted_media_type or "",
                request.build_absolute_uri(),  # the page links name the host
            )
        )
        digest = hashlib.sha256(signature.encode()).hexdigest()
        self._validators = {"ETag": f'W/"{digest[:32]}"'}
        # Whole seconds: the end of the second of the last change, and only
        # once that second is over (a later change in the same second would
        # otherwise look older than the copy made before it).
        modified = int(found[1]) + 1
        if time.time() >= modified:
            self._validators["Last-Modified"] = http_date(modified)
        if _not_modified(request, self._validators, found[1]):
            setattr(self, request.method.lower(), _unchanged(self._validators))
            return
        if request.method != "GET":
            return
        self._cache_key = "api:" + digest
        kept = cache.get(self._cache_key)
        if kept is not None:
            handler = _replay(kept)
            setattr(self, request.method.lower(), handler)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        key, self._cache_key = self._cache_key, None
        validators, self._validators = self._validators, None
        if validators is not None and response.status_code == 200:
            for name, value in validators.items():
                response[name] = value
        if (
            key is not None
            and response.status_code == 200
            and not getattr(response, "from_api_cache", False)
            and hasattr(response, "render")
        ):
            response.render()
            if len(response.content) <= MAX_BYTES:
                headers = {h: response[h] for h in KEPT_HEADERS if h in response}
                cache.set(key, (bytes(response.content), headers), seconds())
        return response


def _not_modified(request, validators: dict[str, str], changed_at: float) -> bool:
    """RFC 9110 13.2.2: If-None-Match first; If-Modified-Since only without it."""
    tags = request.headers.get("If-None-Match")
    if tags is not None:
        wanted = {tag.strip().removeprefix("W/") for tag in tags.split(",")}
        return "*" in wanted or validators["ETag"].removeprefix("W/") in wanted
    since = parse_http_date_safe(request.headers.get("If-Modified-Since") or "")
    return since is not None and int(changed_at) + 1 <= since


def _unchanged(validators: dict[str, str]):
    def handler(request, *args, **kwargs):
        response = HttpResponseNotModified()
        for name, value in validators.items():
            response[name] = value
        response.from_api_cache = True
        return response

    return handler


def _replay(kept):
    content, headers = kept

    def handler(request, *args, **kwargs):
        response = HttpResponse(content, status=200)
        for name, value in headers.items():
            response[name] = value
        response.from_api_cache = True
        return response

    return handler
