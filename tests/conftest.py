"""Shared fixtures."""

import os

import pytest
from django.apps import apps
from django.core.cache import cache
from django.test import Client
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from matchmaking.accounts.policy import confirmed_device
from matchmaking.accounts.policy import requires_two_factor
from matchmaking.models import Country
from matchmaking.reference import sync_reference_data
from matchmaking.suggestions import reset_engine
from tests import testdb
from tests.factories import UserFactory

# What gives a test the database (pytest-django): its marker or one of these.
_DATABASE_FIXTURES = frozenset(
    {
        "db",
        "transactional_db",
        "live_server",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
    }
)


def uses_database(item) -> bool:
    """Whether the test may touch the database (pytest-django blocks the others)."""
    return item.get_closest_marker("django_db") is not None or not (
        _DATABASE_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))
    )


def pytest_configure(config):
    """The xdist controller gives its workers a template key of their own
    (tests/testdb.py) unless one is set (.ci/run sets one for all its runs):
    one worker migrates, the others copy its database. On PostgreSQL a
    transactional test's flush deletes rows instead of truncating tables
    (testdb.flush_by_delete)."""
    testdb.flush_by_delete()
    if hasattr(config, "workerinput") or testdb.current_key() is not None:
        return
    if config.getoption("numprocesses", None) and not config.getoption("reuse_db"):
        key = testdb.new_key()
        os.environ[testdb.ENV] = key
        config.stash[_own_template_key] = key


def pytest_unconfigure(config):
    key = config.stash.get(_own_template_key, None)
    if key is None:
        return
    from django.db import connections
    from pytest_django.plugin import blocking_manager_key

    with config.stash[blocking_manager_key].unblock():
        testdb.drop(key, connections)


_own_template_key = pytest.StashKey[str]()


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_use_migrations,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """pytest-django's, with the test databases copied from the run's
    migrated template when there is one (tests/testdb.py)."""
    from django.db import connections
    from django.test.utils import setup_databases
    from django.test.utils import teardown_databases
    from pytest_django.fixtures import _disable_migrations
    from pytest_django.fixtures import _get_databases_for_setup

    keepdb = django_db_keepdb and not django_db_createdb
    if not django_db_use_migrations:
        _disable_migrations()
    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    verbosity = request.config.option.verbose
    with django_db_blocker.unblock():
        if keepdb or not django_db_use_migrations:
            db_cfg = setup_databases(
                verbosity=verbosity,
                interactive=False,
                aliases=aliases,
                serialized_aliases=serialized_aliases,
                keepdb=keepdb,
            )
        else:
            with testdb.from_template(connections, aliases):
                db_cfg = setup_databases(
                    verbosity=verbosity,
                    interactive=False,
                    aliases=aliases,
                    serialized_aliases=serialized_aliases,
                )
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            try:
                teardown_databases(db_cfg, verbosity=verbosity)
            except Exception as exc:
                request.node.warn(
                    pytest.PytestWarning(
                        f"Error when trying to teardown test databases: {exc!r}"
                    )
                )


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (`make test` runs `--dist loadgroup`), keep together
    what shares something beyond a worker's own database: every browser test
    on one worker (one Chromium and one live server instead of one per worker;
    their timeouts stay meaningful), and the PostgreSQL races on one worker
    (their 20 threads then race each other, not the rest of the suite's
    threads for the same cores).

    ``CBM_DATABASE_TESTS_ONLY=1`` (.ci/run's second run, on PostgreSQL) leaves
    out the tests that cannot touch the database: they ran on SQLite already
    and cannot answer differently on another database. The reverse holds for
    the browser journeys and the tests marked ``one_database_pass``: they go
    through the database but check the stack around it, so .ci/run's first
    run (SQLite) leaves them to the PostgreSQL run (``TEST_MARKERS``).
    """
    if os.environ.get("CBM_DATABASE_TESTS_ONLY") == "1":
        without = [item for item in items if not uses_database(item)]
        if without:
            config.hook.pytest_deselected(items=without)
            items[:] = [item for item in items if uses_database(item)]
    for item in items:
        if item.get_closest_marker("one_database_pass") and not uses_database(item):
            raise pytest.UsageError(
                f"{item.nodeid} is marked one_database_pass but never touches the "
                "database: CI's PostgreSQL run, the one it is kept for, leaves it out"
            )
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))
        elif item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.xdist_group("postgres-races"))
    _longest_first(items)


def _database_kind(item) -> int:
    """pytest-django's order: database tests, transactional ones, the rest."""
    marker = item.get_closest_marker("django_db")
    fixtures = set(getattr(item, "fixturenames", ()))
    transactional = bool(fixtures & {"transactional_db", "live_server"}) or bool(
        marker and (marker.kwargs.get("transaction") or marker.args[:1] == (True,))
    )
    return 1 if transactional else 0 if uses_database(item) else 2


def _longest_first(items) -> None:
    """The tests marked ``slow(seconds)`` first, longest first, within each run
    of one kind (pytest-django's order is kept). pytest-xdist hands each
    worker the next test as it frees up: a long test taken near the end keeps
    one worker busy while the other has nothing left (the visibility property
    test with 200 worlds runs about 200 s in CI's PostgreSQL run)."""

    def seconds(item) -> float:
        marker = item.get_closest_marker("slow")
        return -float(marker.args[0]) if marker else 0.0

    start = 0
    while start < len(items):
        kind = _database_kind(items[start])
        end = start
        while end < len(items) and _database_kind(items[end]) == kind:
            end += 1
        items[start:end] = sorted(items[start:end], key=seconds)
        start = end


@pytest.fixture
def curator(db):
    """A curator of the secretariat."""
    return UserFactory(username="curator", is_curator=True, is_staff=True)


@pytest.fixture(autouse=True)
def _no_api_cache(settings):
    """Tests run in a transaction that never commits, and the API cache's
    generation moves on commit: off by default; tests/matchmaking/api/test_api_cache.py
    turns it on with committing transactions. The same for the reference data
    kept per generation (matchmaking/reference_cache.py)."""
    settings.API_CACHE_SECONDS = 0
    settings.REFERENCE_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language. A request's middleware or
    token authentication activates its language in the thread and nothing
    turns it back, so a test that resolves or reverses a URL after another
    test's French request would get the French prefix (seen: test_csrf's
    ``resolve("/")`` failing with only ``fr/`` tried)."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def fresh_engine():
    """Each test starts with no cached engine index (the database is new too)."""
    reset_engine()
    yield
    reset_engine()


def verify_two_factor(client: Client, user) -> TOTPDevice:
    """Mark the client's session as past the code step, as a real sign-in of a
    curator, staff member or superuser is (creating their device if needed)."""
    device = confirmed_device(user) or TOTPDevice.objects.create(
        user=user, name="test authenticator", confirmed=True
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


@pytest.fixture(autouse=True)
def _force_login_passes_two_factor(request, monkeypatch):
    """``client.force_login`` of a role that must use two-factor gives a session
    that passed it, as the real sign-in does; tests about the requirement
    itself mark themselves ``password_only_sessions``."""
    if request.node.get_closest_marker("password_only_sessions"):
        return
    force_login = Client.force_login

    def force_login_with_two_factor(self, user, backend=None):
        force_login(self, user, backend)
        if requires_two_factor(user):
            verify_two_factor(self, user)

    monkeypatch.setattr(Client, "force_login", force_login_with_two_factor)


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request):
    """Transactional tests: reload the migrations' reference data if a flush
    emptied it.

    Each transactional test ends with a flush of every table, and the
    serialized rollback that should put the reference data back does not
    always run before the test's fixtures: seen for every transactional test
    that follows the browser tests in the same process. In one process those
    come last; under pytest-xdist any test may follow them on their worker.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or bool(
        marker and marker.kwargs.get("transaction")
    )
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    if not Country.objects.exists():
        sync_reference_data(apps)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """PBKDF2 at full strength costs about a second per test user here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters and cached answers live in the cache: every test
    starts with an empty one (and a full throttle budget)."""
    cache.clear()
    yield
    cache.clear()
