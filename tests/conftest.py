"""Shared fixtures."""

import pytest

from tests.factories import UserFactory


@pytest.fixture
def curator(db):
    """A curator of the secretariat."""
    return UserFactory(username="curator", is_curator=True, is_staff=True)
