"""Test databases migrated once per run and copied for each process.

Migrating from scratch costs about 20 CPU seconds (Django renders the model
state of some 90 migrations), and every pytest-xdist worker used to pay it
for its own test database. With a template key (``CBM_TEST_DB_TEMPLATE``, set
by the xdist controller for its workers or by .ci/run for all its test runs),
the first process to set up a database migrates it as before and then saves
it as the run's template (PostgreSQL: a database ``cbm_tpl_<key>``; SQLite: a
file in the temporary directory); the others create theirs as a copy of it
(``CREATE DATABASE ... TEMPLATE``; SQLite's backup API into the in-memory
database) and still run ``migrate``, which then finds nothing to apply. A
file lock keeps the processes from racing. Every run migrates afresh (the key
is new each run), so a broken migration still fails the run.
"""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ENV = "CBM_TEST_DB_TEMPLATE"

# In-memory SQLite databases live as long as a connection to them is open:
# the copy's first connection is kept until the process ends.
_keep_open: list[sqlite3.Connection] = []


def new_key() -> str:
    return "r" + uuid.uuid4().hex[:16]


def current_key() -> str | None:
    key = os.environ.get(ENV, "")
    if not key:
        return None
    if not re.fullmatch(r"[a-z0-9_]{1,40}", key):
        raise ValueError(f"{ENV} must be 1-40 characters of a-z, 0-9 and _: {key!r}")
    return key


def postgres_name(key: str) -> str:
    return f"cbm_tpl_{key}"


def sqlite_path(key: str, alias: str) -> Path:
    return Path(tempfile.gettempdir()) / f"cbm-test-db-{key}-{alias}.sqlite3"


@contextmanager
def _lock(key: str, vendors: str) -> Iterator[None]:
    # One lock per database kind: a SQLite run migrating its template does
    # not hold up a PostgreSQL run beside it.
    path = Path(tempfile.gettempdir()) / f"cbm-test-db-{key}-{vendors}.lock"
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _postgres_exists(connection, name: str) -> bool:
    with connection.creation._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


@contextmanager
def from_template(connections, aliases) -> Iterator[None]:
    """Around Django's ``setup_databases``: copy each alias's test database
    from the run's template when there is one, and save the template when
    there is not yet."""
    key = current_key()
    vendors = {"postgresql", "sqlite"}
    chosen = [connections[alias] for alias in sorted(aliases)]
    if key is None or not chosen or any(c.vendor not in vendors for c in chosen):
        yield
        return
    with _lock(key, "-".join(sorted({c.vendor for c in chosen}))):
        to_save = []
        restore = []
        for connection in chosen:
            if connection.vendor == "postgresql":
                name = postgres_name(key)
                if _postgres_exists(connection, name):
                    test = connection.settings_dict["TEST"]
                    restore.append((test, test.get("TEMPLATE")))
                    test["TEMPLATE"] = name
                else:
                    to_save.append(connection)
            else:
                path = sqlite_path(key, connection.alias)
                if path.exists():
                    _copy_sqlite_on_create(connection, path)
                else:
                    to_save.append(connection)
        try:
            yield
        finally:
            for test, template in restore:
                if template is None:
                    test.pop("TEMPLATE", None)
                else:
                    test["TEMPLATE"] = template
        for connection in to_save:
            _save(connection, key)


def _copy_sqlite_on_create(connection, path: Path) -> None:
    creation = connection.creation
    create = creation._create_test_db

    def create_from_template(verbosity, autoclobber, keepdb=False):
        name = create(verbosity, autoclobber, keepdb)
        target = sqlite3.connect(name, uri=creation.is_in_memory_db(name))
        source = sqlite3.connect(path)
        try:
            source.backup(target)
        finally:
            source.close()
        if creation.is_in_memory_db(name):
            _keep_open.append(target)
        else:
            target.close()
        return name

    creation._create_test_db = create_from_template


def _save(connection, key: str) -> None:
    if connection.vendor == "postgresql":
        test_name = connection.settings_dict["NAME"]
        connection.close()
        quote = connection.ops.quote_name
        template = quote(postgres_name(key))
        with connection.creation._nodb_cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {template} TEMPLATE {quote(test_name)}")
        return
    path = sqlite_path(key, connection.alias)
    partial = path.with_suffix(".partial")
    connection.ensure_connection()
    target = sqlite3.connect(partial)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    partial.replace(path)


def drop(key: str, connections) -> None:
    """Remove a run's templates (the xdist controller's own key)."""
    for path in Path(tempfile.gettempdir()).glob(f"cbm-test-db-{key}*"):
        path.unlink(missing_ok=True)
    for connection in connections.all(initialized_only=False):
        if connection.vendor != "postgresql":
            continue
        quote = connection.ops.quote_name
        with connection.creation._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quote(postgres_name(key))}")


def flush_by_delete() -> None:
    """Transactional tests end with Django's flush of every table; on
    PostgreSQL that is one ``TRUNCATE`` of some 100 tables, which makes new
    files for each table and index: 0.65-0.86 s in psql, 3-4 s through the
    flush at CI's load, against about 50 ms for a ``DELETE`` of each table
    (they hold a test's few rows). Django's foreign keys are deferrable, so
    the deletes go in any order inside the flush's transaction. A flush that
    resets sequences (``reset_sequences``) still truncates."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or not tables:
            return truncate(
                self,
                style,
                tables,
                reset_sequences=reset_sequences,
                allow_cascade=allow_cascade,
            )
        return [
            "SET CONSTRAINTS ALL DEFERRED",
            # Table names from the models, quoted.
            *(f"DELETE FROM {self.quote_name(table)}" for table in tables),  # noqa: S608
        ]

    DatabaseOperations.sql_flush = sql_flush
