"""A roundtable event for the browser tests, on top of the web pages' ``world``."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from roundtable.models import CallForPitches
from roundtable.models import Event
from roundtable.models import Session
from tests.roundtable.events import meeting_slot
from tests.roundtable.events import open_event


@dataclass
class Roundtable:
    event: Event
    call: CallForPitches
    matchmaking: Session
    bilateral: Session
    breakout: Session


@pytest.fixture
def roundtable(world, media_root) -> Roundtable:
    """An event with an open call, pitch, bilateral and breakout sessions."""
    setup = open_event(breakout_capacity=10)
    for minute in (0, 30):
        meeting_slot(setup, minute, table=minute // 30 + 1)
    return Roundtable(
        event=setup.event,
        call=setup.call,
        matchmaking=setup.matchmaking,
        bilateral=setup.bilateral,
        breakout=setup.breakout,
    )


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded decks go to a fresh folder per test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
