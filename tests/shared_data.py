"""Data the tests of one module share, made once for the module.

As Django's ``TestCase.setUpTestData``: the data is written inside a
transaction opened for the module and rolled back when its last test has run;
each test runs in a savepoint of it (pytest-django's ``db``), so what a test
changes is undone before the next one. For a module whose tests all read the
same costly set-up (the demo, a catalogue of random programmes) instead of
writing it again for every test. Not for transactional tests: their flush
would empty the module's data (and cannot run inside a transaction).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.test.utils import override_settings

# As tests/conftest.py's fast_password_hashing, for users made here.
_FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@contextmanager
def made_once_for_the_module(django_db_blocker) -> Iterator[None]:
    """Use in a module-scoped fixture (which also asks for ``django_db_setup``)
    around the writes of the shared data."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=_FAST_HASHERS),
        transaction.atomic(),
    ):
        yield
        transaction.set_rollback(True)
