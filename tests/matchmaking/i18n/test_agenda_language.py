"""Agenda pages name pitch themes in the reader's language; exports stay English."""

from __future__ import annotations

import pytest
from django.utils import translation

from matchmaking.models import Theme
from roundtable.views.agenda import _rows

pytestmark = pytest.mark.django_db


def _agenda(theme: str) -> dict:
    slot = {
        "id": 1,
        "kind": "pitch",
        "starts_at": "2027-05-10T15:00:00-04:00",
        "ends_at": "2027-05-10T15:03:00-04:00",
        "location": "",
        "pitch": {"id": 7, "title": "CSIRT in a box", "theme": theme},
    }
    session = {
        "id": 3,
        "starts_at": "2027-05-10T15:00:00-04:00",
        "ends_at": "2027-05-10T16:00:00-04:00",
        "slots": [slot, {**slot, "id": 2, "pitch": None}],
    }
    return {"sessions": [session]}


def test_pitch_themes_follow_the_active_language():
    theme = Theme.objects.get(slug="cybercrime")
    assert theme.name_fr
    assert theme.name_fr != theme.name
    agenda = _agenda(theme.name)
    with translation.override("fr"):
        rows = _rows(agenda, {}, curator=True)  # every slot, the empty one too
    pitch_slot, empty_slot = rows[0]["slots"]
    assert pitch_slot["pitch"]["theme"] == theme.name_fr
    assert empty_slot["pitch"] is None
    # The agenda data itself (frozen versions, JSON, iCalendar) is unchanged.
    assert agenda["sessions"][0]["slots"][0]["pitch"]["theme"] == theme.name


def test_an_unknown_theme_name_is_shown_as_stored():
    with translation.override("ru"):
        rows = _rows(_agenda("Retired theme"), {}, curator=False)
    assert rows[0]["slots"][0]["pitch"]["theme"] == "Retired theme"
