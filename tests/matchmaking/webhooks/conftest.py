"""The webhook tests' real HTTP receiver (tests/webhook_receiver.py)."""

import pytest

from tests.webhook_receiver import running_receiver


@pytest.fixture
def receiver():
    with running_receiver() as state:
        yield state
