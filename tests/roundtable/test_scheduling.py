"""The pure scheduler: no overlap, no overrun, each pitch once or in overflow."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from roundtable.scheduling import PitchItem
from roundtable.scheduling import dominant_theme
from roundtable.scheduling import move
from roundtable.scheduling import plan_schedule
from roundtable.scheduling import slot_times

START = dt.datetime(2027, 5, 10, 14, 45, tzinfo=dt.UTC)
THEMES = ("policy", "incidents", "cybercrime")


def hm(moment: dt.datetime) -> str:
    return moment.strftime("%H:%M")


def test_slots_are_3_minutes_with_a_changeover_and_never_overrun():
    times = slot_times(
        starts_at=START, ends_at=START + dt.timedelta(minutes=15), changeover_seconds=60
    )
    assert [(hm(a), hm(b)) for a, b in times] == [
        ("14:45", "14:48"),
        ("14:49", "14:52"),
        ("14:53", "14:56"),
        ("14:57", "15:00"),
    ]


def test_pitches_are_grouped_by_theme_in_the_taxonomy_order_best_first():
    items = [
        PitchItem(1, "cybercrime", 3.0),
        PitchItem(2, "policy", 2.0),
        PitchItem(3, "incidents", 4.0),
        PitchItem(4, "policy", 4.5),
        PitchItem(5, "", 5.0),
        PitchItem(6, "incidents", 1.0),
    ]
    plan = plan_schedule(
        items,
        starts_at=START,
        ends_at=START + dt.timedelta(hours=1),
        theme_order=THEMES,
    )
    assert [(p.pitch_id, p.theme, hm(p.starts_at)) for p in plan.placements] == [
        (4, "policy", "14:45"),
        (2, "policy", "14:49"),
        (3, "incidents", "14:53"),
        (6, "incidents", "14:57"),
        (1, "cybercrime", "15:01"),
        (5, "", "15:05"),
    ]
    assert plan.overflow == ()


def test_when_pitches_do_not_fit_themes_take_turns_and_the_rest_overflows():
    items = [PitchItem(i, "policy", 5.0 - i / 10) for i in range(1, 6)] + [
        PitchItem(10, "cybercrime", 1.0)
    ]
    plan = plan_schedule(
        items,
        starts_at=START,
        ends_at=START + dt.timedelta(minutes=11),  # room for 3 pitches
        theme_order=THEMES,
    )
    assert plan.placed_ids == (1, 2, 10)
    assert plan.overflow == (3, 4, 5)


def test_a_repeated_pitch_is_placed_once():
    plan = plan_schedule(
        [PitchItem(7, "policy"), PitchItem(7, "policy"), PitchItem(8)],
        starts_at=START,
        ends_at=START + dt.timedelta(hours=1),
    )
    assert plan.placed_ids == (7, 8)


def test_a_session_shorter_than_a_pitch_places_nothing():
    plan = plan_schedule(
        [PitchItem(1)], starts_at=START, ends_at=START + dt.timedelta(minutes=2)
    )
    assert (plan.placements, plan.overflow) == ((), (1,))


def test_slot_length_must_be_positive():
    with pytest.raises(ValueError, match="slot length"):
        slot_times(starts_at=START, ends_at=START, slot_seconds=0)


def test_dominant_theme_counts_topics_and_breaks_ties_by_order():
    assert dominant_theme(["cybercrime", "policy", "cybercrime"], THEMES) == (
        "cybercrime"
    )
    assert dominant_theme(["cybercrime", "policy"], THEMES) == "policy"
    assert dominant_theme([], THEMES) == ""


def test_move_reorders_a_running_order():
    assert move([1, 2, 3, 4], pitch_id=4, position=0) == [4, 1, 2, 3]
    assert move([1, 2, 3, 4], pitch_id=1, position=99) == [2, 3, 4, 1]
    with pytest.raises(ValueError, match="not in the running order"):
        move([1, 2], pitch_id=5, position=0)


items_strategy = st.lists(
    st.builds(
        PitchItem,
        pitch_id=st.integers(min_value=1, max_value=60),
        theme=st.sampled_from(("", *THEMES, "unknown-theme")),
        score=st.floats(min_value=0, max_value=5, allow_nan=False),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(
    items=items_strategy,
    minutes=st.integers(min_value=0, max_value=180),
    slot=st.integers(min_value=30, max_value=300),
    changeover=st.integers(min_value=0, max_value=120),
)
def test_schedule_invariants_hold_for_any_input(items, minutes, slot, changeover):
    ends_at = START + dt.timedelta(minutes=minutes)
    plan = plan_schedule(
        items,
        starts_at=START,
        ends_at=ends_at,
        slot_seconds=slot,
        changeover_seconds=changeover,
        theme_order=THEMES,
    )
    placed = [p.pitch_id for p in plan.placements]
    wanted = {i.pitch_id for i in items}
    # Every pitch exactly once: placed or overflow, never both, never invented.
    assert len(placed) == len(set(placed))
    assert set(placed).isdisjoint(plan.overflow)
    assert set(placed) | set(plan.overflow) == wanted
    # No overrun, no overlap, changeover respected, exact slot length.
    for p in plan.placements:
        assert p.starts_at >= START
        assert p.ends_at <= ends_at
        assert p.ends_at - p.starts_at == dt.timedelta(seconds=slot)
    for a, b in zip(plan.placements, plan.placements[1:], strict=False):
        assert b.starts_at - a.ends_at >= dt.timedelta(seconds=changeover)
    # Overflow only when the session is full.
    capacity = len(
        slot_times(
            starts_at=START,
            ends_at=ends_at,
            slot_seconds=slot,
            changeover_seconds=changeover,
        )
    )
    assert len(placed) == min(capacity, len(wanted))
    # Grouped by theme: each theme forms one contiguous block.
    themes = [p.theme for p in plan.placements]
    blocks = [t for i, t in enumerate(themes) if i == 0 or themes[i - 1] != t]
    assert len(blocks) == len(set(blocks))
