"""Shared fixtures."""

import pytest

from tests.factories import UserFactory


@pytest.fixture
def curator(db):
    """A curator of the secretariat."""
    return UserFactory(username="curator", is_curator=True, is_staff=True)


@pytest.fixture(autouse=True)
def _no_api_cache(settings):
    """Tests run in a transaction that never commits, and the API cache's
    generation moves on commit: off by default; tests/api/test_api_cache.py
    turns it on with committing transactions."""
    settings.API_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def fresh_engine():
    """Each test starts with no cached engine index (the database is new too)."""
    from matchmaking.suggestions import reset_engine

    reset_engine()
    yield
    reset_engine()
