"""Rounds of a spray zone's cycle: what the plan and the work order show on a date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.dengue import (
    DEFAULT_ROUND_DAYS,
    RecordedRound,
    round_cycle,
    round_on_plan,
    round_to_show,
)

ANCHOR = date(2025, 6, 2)


def day(n: int) -> date:
    """Day `n` of the cycle anchored on ANCHOR."""
    return ANCHOR + timedelta(days=n)


def test_default_rounds_are_day_0_and_day_7():
    assert DEFAULT_ROUND_DAYS == (0, 7)


@pytest.mark.parametrize(
    ("round_days", "planned"),
    [((0, 7), [0, 7]), ((0, 3, 7), [0, 3, 7]), ((0,), [0])],
)
def test_cycle_plans_each_round_on_its_day_after_the_anchor(round_days, planned):
    cycle = round_cycle(anchor=ANCHOR, round_days=round_days, recorded=[])
    assert [r.number for r in cycle] == list(range(1, len(planned) + 1))
    assert [r.planned_date for r in cycle] == [day(n) for n in planned]
    assert all(r.done is None for r in cycle)


def test_cycle_rounds_unpack_as_number_planned_done():
    done = RecordedRound(1, day(0), day(0))
    [(number, planned, recorded), _second] = round_cycle(
        anchor=ANCHOR, round_days=(0, 7), recorded=[done]
    )
    assert (number, planned, recorded) == (1, day(0), done)
    assert recorded is done


@pytest.mark.parametrize(
    ("recorded", "done_numbers"),
    [
        ([RecordedRound(1, day(0), day(1))], [1]),
        ([RecordedRound(2, day(7), day(7))], [2]),
        # Planned but not done yet.
        ([RecordedRound(1, day(0), None)], []),
        # A round of an earlier cycle (another planned date) does not count in this one.
        ([RecordedRound(1, day(-10), day(-10))], []),
        # The number must match: round 2's date recorded as round 1 is not round 2.
        ([RecordedRound(1, day(7), day(7))], []),
        ([RecordedRound(1, day(0), day(0)), RecordedRound(2, day(7), day(8))], [1, 2]),
    ],
)
def test_a_round_is_done_by_a_record_of_its_number_planned_date_and_a_date_done(
    recorded, done_numbers
):
    cycle = round_cycle(anchor=ANCHOR, round_days=(0, 7), recorded=recorded)
    assert [r.number for r in cycle if r.done is not None] == done_numbers


def test_the_first_matching_record_does_the_round():
    first = RecordedRound(1, day(0), day(0))
    second = RecordedRound(1, day(0), day(1))
    [round_one, _] = round_cycle(anchor=ANCHOR, round_days=(0, 7), recorded=[first, second])
    assert round_one.done is first


def test_cycle_reads_any_object_with_the_three_attributes():
    class Row:
        round_number = 1
        planned_date = ANCHOR
        done_on = ANCHOR

    row = Row()
    cycle = round_cycle(anchor=ANCHOR, round_days=(0, 7), recorded=iter([row]))
    assert cycle[0].done is row


@pytest.mark.parametrize(
    ("recorded", "on", "expected"),
    [
        # Before day 0: not on the plan.
        ([], -1, None),
        ([], 0, (1, 0, "due", False, ())),
        ([], 3, (1, 0, "overdue", False, ())),
        # Round 2 due, round 1 never done: missed.
        ([], 7, (2, 7, "due", False, ((1, day(0)),))),
        ([], 9, (2, 7, "overdue", False, ((1, day(0)),))),
        # Round 1 done on its day: on that day's plan as done, off the plan until round 2.
        ([RecordedRound(1, day(0), day(0))], 0, (1, 0, "done", True, ())),
        ([RecordedRound(1, day(0), day(0))], 4, None),
        ([RecordedRound(1, day(0), day(0))], 7, (2, 7, "due", False, ())),
        # Done late: on the plan of its planned day and of the day it was done.
        ([RecordedRound(1, day(0), day(2))], 2, (1, 0, "done", True, ())),
        ([RecordedRound(1, day(0), day(2))], 1, None),
        # All rounds done: off the plan after the last one's days.
        ([RecordedRound(1, day(0), day(0)), RecordedRound(2, day(7), day(7))], 20, None),
    ],
)
def test_plan_shows_the_latest_started_round_unless_done(recorded, on, expected):
    cycle = round_cycle(anchor=ANCHOR, round_days=(0, 7), recorded=recorded)
    entry = round_on_plan(cycle, on=day(on))
    if expected is None:
        assert entry is None
        return
    number, planned, status, has_done, missed = expected
    assert (entry.round_number, entry.planned_date, entry.status) == (number, day(planned), status)
    assert (entry.done is not None) == has_done
    assert entry.missed == missed


@pytest.mark.parametrize(
    ("recorded", "on", "shown"),
    [
        ([], -3, 1),  # nothing started yet: the first round
        ([], 0, 1),
        ([], 8, 2),
        ([RecordedRound(1, day(0), day(0))], 1, 2),  # round 1 done: the next one
        ([RecordedRound(2, day(7), day(7))], 8, 2),  # the last round done: still the last
    ],
)
def test_work_order_shows_the_plans_round_or_the_next_once_done(recorded, on, shown):
    cycle = round_cycle(anchor=ANCHOR, round_days=(0, 7), recorded=recorded)
    assert round_to_show(cycle, on=day(on)).number == shown


def test_work_order_needs_a_round():
    with pytest.raises(ValueError, match="at least one round"):
        round_to_show([], on=ANCHOR)


round_days_strategy = st.lists(
    st.integers(min_value=0, max_value=21), min_size=1, max_size=4, unique=True
).map(sorted)


@given(
    round_days=round_days_strategy,
    done=st.sets(st.integers(min_value=1, max_value=4)),
    on=st.integers(min_value=-5, max_value=30),
)
def test_plan_entry_is_a_started_round_and_missed_rounds_are_earlier_and_undone(
    round_days, done, on
):
    recorded = [RecordedRound(n, day(d), day(d)) for n, d in enumerate(round_days, 1) if n in done]
    cycle = round_cycle(anchor=ANCHOR, round_days=round_days, recorded=recorded)
    entry = round_on_plan(cycle, on=day(on))
    started = [r for r in cycle if r.planned_date <= day(on)]
    if entry is None:
        assert not started or started[-1].done is not None
        return
    assert entry.planned_date <= day(on)
    assert entry.round_number == started[-1].number
    assert (entry.status == "done") == (entry.done is not None)
    for number, planned in entry.missed:
        assert number < entry.round_number
        assert number not in done
        assert planned < entry.planned_date
    shown = round_to_show(cycle, on=day(on))
    assert shown.number >= entry.round_number
