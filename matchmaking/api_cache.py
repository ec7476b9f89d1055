"""A read cache of API responses, invalidated per family of data.

Reads of the API repeat: portals and dashboards poll the same lists, and a
focal point reloads a need's matches. A GET answered in JSON is kept, as the
bytes sent, under a key made of

- the **data generations** the answer reads: counters in the database (table
  ``cbm_data_generation``, one row each, so every worker process sees the same
  values), one for every answer (*everything*) and one per family of data
  (``FAMILIES``: reference data, organisations and people, needs, programmes,
  matches, the roundtable);
- the user (responses follow what each user may see), the language, the
  negotiated media type and the full path with its query.

Authentication, permissions and throttling run before the cache is asked, so
a cached answer is never given to anyone the view itself would refuse; only
200 answers of at most 64 KB are kept. ``API_CACHE_SECONDS`` bounds how long
an answer lives (0 turns the cache off); the generations make a change visible
at once.

**What moves a generation.** Every statement the project sends to the
database passes ``watch_writes`` (a database execute wrapper): an INSERT,
UPDATE, DELETE, MERGE or TRUNCATE moves the generations of the families of
the tables it writes (``TABLE_FAMILIES``, from the models) after the
transaction commits, or at once outside a transaction; a write to a table of
no family, or a statement it cannot read, moves *everything*. So ORM saves,
``update()``, bulk operations and raw SQL alike are seen, whatever wrote
them. Bookkeeping no kept answer shows (token use, sign-in records, sessions,
history rows, the task queue, the outbox, notifications, webhooks) moves
nothing. What the wrapper cannot see (PostgreSQL ``COPY``) is followed by
``changed()``, which moves everything.

**What an answer reads.** A viewset names its families (``cache_families``):
reference data answers read the reference family; providers read
organisations; needs and programmes read their own family, organisations
(who may see what: memberships, roles, a provider's verification) and
reference data; matches, and the engine's results nested under a need or a
programme, read every family but the roundtable. A write to one family
therefore keeps the answers of families that do not read it (a need's edit
leaves the programme list and the reference data kept), and retires every
answer that does, for everyone, visibility included.

Bodies are kept in the ``default`` cache: per process by default
(local memory), shared between processes when ``CACHE_URL`` names Redis.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Iterable

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.db import connection
from django.db import transaction
from django.db.backends.signals import connection_created
from django.http import HttpResponse
from django.http import HttpResponseNotModified
from django.utils.http import http_date
from django.utils.http import parse_http_date_safe
from django.utils.translation import get_language

from matchmaking.reference import REFERENCE_MODELS

logger = logging.getLogger(__name__)

# The counters live in the table cbm_data_generation (migrations 0010 and
# 0030), one row each: EVERYTHING is read by every answer.
EVERYTHING = "everything"
REFERENCE = "reference"
ORGANISATIONS = "organisations"
NEEDS = "needs"
PROGRAMMES = "programmes"
MATCHES = "matches"
ROUNDTABLE = "roundtable"
ROW_IDS = {
    EVERYTHING: 1,
    REFERENCE: 2,
    ORGANISATIONS: 3,
    NEEDS: 4,
    PROGRAMMES: 5,
    MATCHES: 6,
    ROUNDTABLE: 7,
}
FAMILIES = tuple(name for name in ROW_IDS if name != EVERYTHING)
# The families of the project's models (app label, or app label and model).
# A model here writes its family; its automatic many-to-many tables write the
# family of the model declaring the field.
MODEL_FAMILIES: dict[str, tuple[str, ...]] = {
    **{
        f"matchmaking.{name}": (REFERENCE,)
        for name in (*REFERENCE_MODELS, "memberstate")
    },
    **{
        f"matchmaking.{name}": (ORGANISATIONS,)
        for name in (
            "user",
            "membership",
            "provider",
            "profile",
            "invitation",
            "joinrequest",
        )
    },
    "auth": (ORGANISATIONS,),  # groups and permissions
    "matchmaking.need": (NEEDS,),
    # Translations of needs and programmes (and of roundtable records).
    "matchmaking.contenttranslation": (NEEDS, PROGRAMMES),
    **{
        f"matchmaking.{name}": (PROGRAMMES,)
        for name in (
            "programme",
            "programmefunding",
            "budgetline",
            "participatingorganisation",
            "importedactivity",
            "exchangerate",
            # The coordination view's cells, kept with the programmes' writes.
            "coordinationshare",
            "coordinationcell",
            "coordinationyear",
            "coordinationyeartotal",
        )
    },
    **{
        f"matchmaking.{name}": (MATCHES,)
        for name in (
            "match",
            "matchevent",
            "introduction",
            "message",
            "conversationread",
            "nearmiss",
            "suggestedchange",
            "allocationslate",
        )
    },
    "roundtable": (ROUNDTABLE,),
}
# Bookkeeping no kept answer shows: a write to these moves nothing.
IGNORED = frozenset(
    {
        "matchmaking.apitoken",
        "matchmaking.signinthrottle",
        "matchmaking.outboxevent",
        "matchmaking.notification",
        "matchmaking.notificationpreference",
        "matchmaking.mailmessage",
        "matchmaking.webhookendpoint",
        "matchmaking.webhookdelivery",
        "matchmaking.savedsearch",
        "matchmaking.taskworker",  # the task workers' heartbeats
        "matchmaking.textanalysis",  # the engine's kept text analyses
        "axes",
        "sessions",
        "admin",  # the admin's log of its own actions
        "contenttypes",
        "otp_totp",
        "django_tasks_database",
    }
)
IGNORED_TABLES = frozenset(
    {"cbm_data_generation", "django_migrations", "cbm_suggestion"}
)
# Larger answers (a page of 100 records) are not kept: with the local-memory
# cache's 5,000 entries this bounds it to about 320 MB a process.
MAX_BYTES = 64 * 1024
# Headers of a kept answer that are sent again with it.
KEPT_HEADERS = ("Content-Type", "Link")


def seconds() -> int:
    return int(getattr(settings, "API_CACHE_SECONDS", 0))


# --- which families a write touches ----------------------------------------------

_TABLE_FAMILIES: dict[str, frozenset[str]] | None = None


def _families_of(label: str) -> tuple[str, ...] | None:
    """A model's families; () when it is bookkeeping; None when unknown."""
    app = label.split(".")[0]
    if label in IGNORED or app in IGNORED:
        return ()
    return MODEL_FAMILIES.get(label) or MODEL_FAMILIES.get(app)


def table_families() -> dict[str, frozenset[str]]:
    """Every known table's families (an empty set: bookkeeping)."""
    global _TABLE_FAMILIES
    if _TABLE_FAMILIES is None:
        found: dict[str, frozenset[str]] = {t: frozenset() for t in IGNORED_TABLES}
        for model in apps.get_models(include_auto_created=True):
            meta = model._meta
            label = meta.label_lower
            if meta.auto_created:  # a many-to-many table: its declaring model's
                label = meta.auto_created._meta.label_lower
            if label.split(".")[1].startswith("historical"):
                families: tuple[str, ...] | None = ()  # the audit trail
            else:
                families = _families_of(label)
            if families is not None:
                found[meta.db_table.lower()] = frozenset(families)
        _TABLE_FAMILIES = found
    return _TABLE_FAMILIES


# Statements that write no table's rows (reads, transaction control, schema).
_NOT_WRITES = frozenset(
    {
        "SELECT",
        "VALUES",
        "SAVEPOINT",
        "RELEASE",
        "ROLLBACK",
        "BEGIN",
        "COMMIT",
        "SET",
        "SHOW",
        "PRAGMA",
        "EXPLAIN",
        "CREATE",
        "ALTER",
        "DROP",
        "ANALYZE",
        "VACUUM",
        "LOCK",
        "RESET",
        "DECLARE",
        "FETCH",
        "CLOSE",
        "DEALLOCATE",
    }
)
_WRITES = frozenset({"WITH", "INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE"})
_FIRST_WORD = re.compile(r"\s*\(*\s*([A-Za-z]+)")
# The table each write names (``DO UPDATE`` and ``FOR UPDATE`` name none).
_WRITTEN = re.compile(
    r"(?:\bINSERT\s+(?:OR\s+\w+\s+)?INTO|(?<!DO )(?<!FOR )\bUPDATE"
    r"|\bDELETE\s+FROM|\bMERGE\s+INTO|\bTRUNCATE(?:\s+TABLE)?)"
    r"\s+(?:ONLY\s+)?((?:\"[^\"]+\"|\w+)(?:\.(?:\"[^\"]+\"|\w+))?)",
    re.IGNORECASE,
)


def written_families(sql: str) -> frozenset[str]:
    """The families a statement writes: none for a read; EVERYTHING when it
    writes a table of no family or cannot be read."""
    found = _FIRST_WORD.match(sql)
    verb = found.group(1).upper() if found else ""
    if verb in _NOT_WRITES:
        return frozenset()
    if verb not in _WRITES:
        return frozenset({EVERYTHING})
    known = table_families()
    families: set[str] = set()
    tables = _WRITTEN.findall(sql)
    if verb != "WITH" and not tables:
        return frozenset({EVERYTHING})
    for table in tables:
        name = table.rsplit(".", 1)[-1].strip('"').lower()
        table_found = known.get(name)
        if table_found is None:
            return frozenset({EVERYTHING})
        families |= table_found
    return frozenset(families)


def watch_writes(execute, sql, params, many, context):
    """Database execute wrapper: after a write, move its families' generations."""
    result = execute(sql, params, many, context)
    families = written_families(sql) if isinstance(sql, str) else {EVERYTHING}
    if families:
        changed(*families, using=context["connection"])
    return result


def _install(sender, connection, **kwargs) -> None:
    if watch_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(watch_writes)


def watch_connections() -> None:
    """Install ``watch_writes`` on every database connection (and the open one)."""
    connection_created.connect(_install, dispatch_uid="api_cache:watch_writes")
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        _install(None, conn)


# --- the generations -------------------------------------------------------------


def generations(
    families: Iterable[str] = (),
) -> tuple[tuple[int, ...], float] | None:
    """The generations of EVERYTHING and of ``families``, in that order, and when
    the latest of them moved (Unix time); None if they cannot be read."""
    names = (EVERYTHING, *families)
    ids = [ROW_IDS[name] for name in names]
    try:
        with connection.cursor() as cursor:
            # All of them (a few rows): one statement whatever the families.
            cursor.execute("SELECT id, value, changed_at FROM cbm_data_generation")
            rows = {row[0]: row for row in cursor.fetchall()}
    except DatabaseError:
        logger.warning("data generation unreadable: API cache bypassed")
        return None
    if any(i not in rows for i in ids):
        return None
    return (
        tuple(int(rows[i][1]) for i in ids),
        max(float(rows[i][2] or 0) for i in ids),
    )


def generation_and_time() -> tuple[int, float] | None:
    """The generation every answer reads and when it moved (Unix time)."""
    found = generations()
    return None if found is None else (found[0][0], found[1])


def generation(family: str = EVERYTHING) -> int | None:
    """A family's generation (default: the one every answer reads); None if
    the table cannot be read."""
    found = generations(() if family == EVERYTHING else (family,))
    return None if found is None else found[0][-1]


class _Bump:
    """The on-commit move of the families written in one transaction."""

    def __init__(self, using) -> None:
        self.families: set[str] = set()
        self.using = using

    def __call__(self) -> None:
        if self.families:  # none left when moved before the commit
            bump(*self.families, using=self.using)


# One placeholder per row of ROW_IDS.
_BUMP = (
    "UPDATE cbm_data_generation SET value = value + 1, changed_at = %s"
    " WHERE id IN (%s, %s, %s, %s, %s, %s, %s)"
)


def bump(*families: str, using=None) -> None:
    """Move the generations on now (no family: every kept answer is stale)."""
    names = set(families) or {EVERYTHING}
    ids = sorted(ROW_IDS[name] for name in names)
    # One statement of fixed text: the list padded with its last id.
    ids += ids[-1:] * (len(ROW_IDS) - len(ids))
    try:
        with (using or connection).cursor() as cursor:
            cursor.execute(_BUMP, [time.time(), *ids])
    except DatabaseError:
        # No counters (a database migrated before 0010): no answer is kept
        # either, since generations() cannot read them.
        logger.warning("data generation not moved: API cache bypassed")


def changed(*families: str, using=None) -> None:
    """Data of ``families`` changed (none named: any data): move their
    generations on once the transaction commits.

    Outside a transaction they move at once. Inside one, once per transaction,
    after the commit: an answer computed before the commit is kept under the
    old generations, which the move then retires. (Moving them inside the
    transaction would hold the counters' row locks until the commit and make
    every other writer wait, for the whole of a long rematch.)
    """
    conn = using or connection
    names = set(families) or {EVERYTHING}
    if not conn.in_atomic_block:
        bump(*names, using=conn)
        return
    for _ids, func, _robust in reversed(conn.run_on_commit):
        if isinstance(func, _Bump):
            func.families |= names  # already to run after this transaction
            return
    pending = _Bump(conn)
    pending.families |= names
    transaction.on_commit(pending, using=conn.alias, robust=True)


def bump_before_commit(*, using=None) -> None:
    """Move now the generations the transaction's writes so far would move
    after it commits, and not again then.

    For the last statement of a short outermost transaction (the engine's
    store): the move commits with the data, so no answer can pair the new
    generations with the old data, and the counters' rows are held only for
    the commit; it saves a statement of its own and its commit after the
    transaction (3-4 ms of a need's refresh, most of it the commit's flush).
    Writes after it move theirs after the commit, as usual.
    """
    conn = using or connection
    if not conn.in_atomic_block:
        return
    for _ids, func, _robust in reversed(conn.run_on_commit):
        if isinstance(func, _Bump):
            if func.families:
                bump(*func.families, using=conn)
                func.families.clear()
            return


# What the engine's results and matches read: every family but the roundtable.
ALL_BUT_ROUNDTABLE = (REFERENCE, ORGANISATIONS, NEEDS, PROGRAMMES, MATCHES)


class CachedReadMixin:
    """Keep a viewset's JSON GET answers and answer conditional GETs (see the
    module docstring). ``cache_families``: the families its answers read (every
    family but the roundtable unless a viewset says less)."""

    cache_families: tuple[str, ...] = ALL_BUT_ROUNDTABLE
    _cache_key: str | None = None
    _validators: dict[str, str] | None = None

    def families_read(self) -> tuple[str, ...]:
        """The families this request's answer reads (see ``cache_families``)."""
        return self.cache_families

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # auth, permissions, throttles
        self._cache_key = None
        self._validators = None
        if request.method not in ("GET", "HEAD") or not seconds():
            return
        if getattr(request.accepted_renderer, "format", None) != "json":
            return
        families = self.families_read()
        found = generations(families)
        if found is None:
            return
        user = request.user
        who = f"u{user.pk}" if user.is_authenticated else "anon"
        signature = "\n".join(
            (
                " ".join(
                    f"{n}={v}"
                    for n, v in zip((EVERYTHING, *families), found[0], strict=True)
                ),
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
