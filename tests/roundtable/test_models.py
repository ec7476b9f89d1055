"""Rules the database keeps, whatever the code above it does."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError
from django.db import transaction

from roundtable.enums import MeetingState
from roundtable.enums import PitchState
from roundtable.models import CallForPitches
from roundtable.models import Review
from tests.factories import AgendaVersionFactory
from tests.factories import BreakoutRegistrationFactory
from tests.factories import EventFactory
from tests.factories import MeetingFactory
from tests.factories import PitchFactory
from tests.factories import ReviewFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2027, 1, 10, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "values",
    [
        {"closes_at": NOW - dt.timedelta(days=1)},
        {"max_seconds": 181},
        {"max_slides": 4},
        {"max_slides": 0},
        {"max_bytes": 10 * 1024 * 1024 + 1},
    ],
)
def test_a_call_keeps_the_3_minutes_3_slides_10_mb_rules(values):
    fields = {"opens_at": NOW, "closes_at": NOW + dt.timedelta(days=30), **values}
    with pytest.raises(IntegrityError), transaction.atomic():
        CallForPitches.objects.create(event=EventFactory(), **fields)


def test_a_review_is_one_per_curator_with_scores_from_1_to_5():
    review = ReviewFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewFactory(pitch=review.pitch, curator=review.curator)
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.filter(pk=review.pk).update(reach=0)
    assert review.weighted_score == 3.4  # 4*.4 + 3*.2 + 4*.2 + 2*.2


def test_a_provider_has_one_active_pitch_per_event_in_the_database():
    pitch = PitchFactory(state=PitchState.SUBMITTED)
    PitchFactory(event=pitch.event, provider=pitch.provider, state=PitchState.DRAFT)
    PitchFactory(event=pitch.event, provider=pitch.provider, state=PitchState.WITHDRAWN)
    with pytest.raises(IntegrityError), transaction.atomic():
        PitchFactory(
            event=pitch.event, provider=pitch.provider, state=PitchState.ACCEPTED
        )


def test_an_accepted_meeting_has_a_slot_and_agenda_versions_are_unique():
    with pytest.raises(IntegrityError), transaction.atomic():
        MeetingFactory(state=MeetingState.ACCEPTED)
    version = AgendaVersionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        AgendaVersionFactory(event=version.event, number=version.number)


def test_a_person_registers_once_per_breakout():
    registration = BreakoutRegistrationFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        BreakoutRegistrationFactory(
            session=registration.session, user=registration.user
        )
