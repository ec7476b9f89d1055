"""Races on PostgreSQL: 20 simultaneous bookings of one table book exactly one,
and 20 simultaneous registrations for 5 breakout seats take exactly 5.

Each race runs 20 threads behind a barrier, 10 times. SQLite serialises
writers anyway, so the conftest hook skips these there.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from roundtable import services
from roundtable.enums import MeetingState
from roundtable.enums import PitchState
from roundtable.models import BreakoutRegistration
from roundtable.models import Meeting
from roundtable.models import Pitch
from roundtable.models import Session
from tests.factories import MembershipFactory
from tests.factories import ProviderFactory
from tests.factories import UserFactory
from tests.roundtable.conftest import close_call

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

THREADS = 20
RUNS = 10


def race(work: Callable[[int], object]) -> Counter[str]:
    """Run work(0..19) at once; count "ok", "refused" and anything unexpected."""
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = [""] * THREADS

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(i)
            outcomes[i] = "ok"
        except ValidationError:
            outcomes[i] = "refused"
        except Exception as error:
            outcomes[i] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return Counter(outcomes)


def test_twenty_presenters_accepting_into_one_slot_book_exactly_one(cast):
    close_call(cast, release=True)
    slot = cast.meeting_slots[0]
    meetings = []
    for i in range(THREADS):
        provider = ProviderFactory(ref=f"race-{i}")
        presenter = UserFactory(username=f"presenter-{i}")
        delegate = UserFactory(username=f"delegate-{i}")
        MembershipFactory(user=presenter, member_state=None, provider=provider)
        MembershipFactory(user=delegate, member_state=cast.state)
        pitch = Pitch.objects.create(
            event=cast.event,
            provider=provider,
            presenter=presenter,
            presenter_name=f"Presenter {i}",
            title=f"Pitch {i}",
            abstract="x",
            state=PitchState.SCHEDULED,
        )
        meetings.append(
            services.request_meeting(
                user=delegate, pitch=pitch, member_state=cast.state
            )
        )
    for _run in range(RUNS):
        Meeting.objects.update(
            state=MeetingState.REQUESTED,
            slot=None,
            presenter=None,
            starts_at=None,
            ends_at=None,
        )
        outcomes = race(
            lambda i: services.accept_meeting(
                user=meetings[i].pitch.presenter, meeting=meetings[i], slot=slot
            )
        )
        assert outcomes == Counter({"ok": 1, "refused": THREADS - 1})
        booked = Meeting.objects.filter(state=MeetingState.ACCEPTED)
        assert list(booked.values_list("slot_id", flat=True)) == [slot.pk]


def test_twenty_registrations_for_five_seats_take_exactly_five(cast):
    Session.objects.filter(pk=cast.breakout.pk).update(capacity=5)
    users = [UserFactory(username=f"participant-{i}") for i in range(THREADS)]
    for _run in range(RUNS):
        BreakoutRegistration.objects.all().delete()
        outcomes = race(
            lambda i: services.register_for_breakout(
                user=users[i], session=cast.breakout
            )
        )
        assert outcomes == Counter({"ok": 5, "refused": THREADS - 5})
        assert BreakoutRegistration.objects.filter(session=cast.breakout).count() == 5
