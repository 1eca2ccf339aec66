"""The 3-3-1 timers on hand-built case frames (no database)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.dengue import TIMER_WINDOW_DAYS, Timer, case_timers, timer_status

BANGKOK = ZoneInfo("Asia/Bangkok")
ON = date(2025, 6, 10)


def at(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BANGKOK)


def cases(*rows) -> pd.DataFrame:
    """Rows of (id, onset, report, investigated_at or None, zone_id); diagnosis DF."""
    return pd.DataFrame(
        {
            "id": [r[0] for r in rows],
            "onset_date": pd.to_datetime([r[1] for r in rows]),
            "report_date": pd.to_datetime([r[2] for r in rows]),
            "diagnosis": ["DF"] * len(rows),
            "investigated_at": pd.Series([r[3] for r in rows], dtype=object),
            "zone_id": [r[4] for r in rows],
        }
    )


@pytest.mark.parametrize(
    ("due", "done", "now", "status", "flagged"),
    [
        (date(2025, 6, 2), date(2025, 6, 1), date(2025, 6, 9), "on_time", False),
        (date(2025, 6, 2), date(2025, 6, 2), date(2025, 6, 9), "on_time", False),
        (date(2025, 6, 2), date(2025, 6, 3), date(2025, 6, 9), "late", True),
        (date(2025, 6, 2), None, date(2025, 6, 2), "pending", False),
        (date(2025, 6, 2), None, date(2025, 6, 3), "overdue", True),
    ],
)
def test_timer_status(due, done, now, status, flagged):
    timer = timer_status(due=due, done=done, now=now)
    assert timer == Timer(due, done, status)
    assert timer.flagged is flagged


@pytest.mark.parametrize(
    ("investigated", "now", "status"),
    [
        # Due at 03:00 on the day after the report date, Bangkok time.
        (at(date(2025, 6, 9), 15), at(ON, 12), "on_time"),
        (at(ON, 3), at(ON, 12), "on_time"),
        (at(ON, 3, 1), at(ON, 12), "late"),
        (None, at(ON, 2), "pending"),
        (None, at(ON, 3, 1), "overdue"),
        # Recorded after the moment the timers are read at: not done yet at that moment.
        (at(ON, 2), at(ON, 1), "pending"),
        # The same instant in UTC is compared as an instant.
        (datetime(2025, 6, 9, 20, 0, tzinfo=ZoneInfo("UTC")), at(ON, 12), "on_time"),
    ],
)
def test_investigation_is_due_three_hours_after_the_report_day_ends(investigated, now, status):
    [timers] = case_timers(
        cases((1, "2025-06-07", "2025-06-09", investigated, 0)),
        on=ON,
        now=now,
        tz=BANGKOK,
        spray_days_by_zone={},
    )
    assert timers.investigation.due == at(ON, 3)
    assert timers.investigation.status == status


@pytest.mark.parametrize(
    ("spray_days", "now", "status", "done"),
    [
        ([date(2025, 6, 9)], at(ON, 12), "on_time", date(2025, 6, 9)),
        ([date(2025, 6, 10)], at(ON, 12), "on_time", date(2025, 6, 10)),
        # The first round on or after the report date counts; earlier rounds are another case's.
        (
            [date(2025, 6, 8), date(2025, 6, 12), date(2025, 6, 11)],
            at(date(2025, 6, 12)),
            "late",
            date(2025, 6, 11),
        ),
        ([], at(ON, 23), "pending", None),
        ([], at(date(2025, 6, 11)), "overdue", None),
        # A round done after the day the timers are read at is not counted yet.
        ([date(2025, 6, 11)], at(ON, 12), "pending", None),
    ],
)
def test_spraying_is_due_the_day_after_the_report(spray_days, now, status, done):
    [timers] = case_timers(
        cases((1, "2025-06-07", "2025-06-09", None, 4)),
        on=date(2025, 6, 12),
        now=now,
        tz=BANGKOK,
        spray_days_by_zone={4: spray_days, 5: [date(2025, 6, 9)]},
    )
    assert timers.spraying == Timer(date(2025, 6, 10), done, status)


def test_timers_cover_the_window_latest_report_first():
    frame = cases(
        (1, "2025-05-01", "2025-05-13", None, 0),  # 28 days before: outside the window
        (2, "2025-05-10", "2025-05-14", None, 0),  # 27 days before: inside
        (3, "2025-06-08", "2025-06-10", None, 1),
        (4, "2025-06-09", "2025-06-10", None, 1),
        (5, "2025-06-10", "2025-06-11", None, 1),  # reported after the date
    )
    timers = case_timers(frame, on=ON, now=at(ON, 12), tz=BANGKOK, spray_days_by_zone={})
    assert [t.case_id for t in timers] == [4, 3, 2]
    assert [t.report_delay_days for t in timers] == [1, 2, 4]
    assert all(isinstance(t.case_id, int) and t.diagnosis == "DF" for t in timers)


@pytest.mark.parametrize("window_days", [1, 7, TIMER_WINDOW_DAYS])
def test_window_is_counted_in_days_back_from_the_date(window_days):
    reports = [ON - timedelta(days=n) for n in range(40)]
    frame = cases(*[(i, r, r, None, 0) for i, r in enumerate(reports)])
    timers = case_timers(
        frame, on=ON, now=at(ON, 12), tz=BANGKOK, spray_days_by_zone={}, window_days=window_days
    )
    assert len(timers) == window_days


def test_a_case_is_flagged_when_either_step_is():
    frame = cases((1, "2025-06-07", "2025-06-08", at(date(2025, 6, 8), 10), 0))
    [timers] = case_timers(frame, on=ON, now=at(ON, 12), tz=BANGKOK, spray_days_by_zone={})
    assert timers.investigation.status == "on_time"
    assert timers.spraying.status == "overdue"
    assert timers.flagged


def test_no_cases_no_timers():
    empty = cases()
    assert case_timers(empty, on=ON, now=at(ON), tz=BANGKOK, spray_days_by_zone={}) == []


def test_a_missing_column_is_named():
    frame = cases((1, "2025-06-07", "2025-06-08", None, 0)).drop(columns="zone_id")
    with pytest.raises(ValueError, match="zone_id"):
        case_timers(frame, on=ON, now=at(ON), tz=BANGKOK, spray_days_by_zone={})


@given(
    delay=st.integers(min_value=0, max_value=20),
    hours_after_report=st.integers(min_value=0, max_value=24 * 10),
    read_after_hours=st.integers(min_value=0, max_value=24 * 10),
    spray_offsets=st.lists(st.integers(min_value=-3, max_value=10), max_size=4),
)
def test_statuses_agree_with_the_deadlines(
    delay, hours_after_report, read_after_hours, spray_offsets
):
    report = date(2025, 6, 9)
    investigated = at(report) + timedelta(hours=hours_after_report)
    now = at(report) + timedelta(hours=read_after_hours)
    frame = cases((1, report - timedelta(days=delay), report, investigated, 0))
    [timers] = case_timers(
        frame,
        on=report,
        now=now,
        tz=BANGKOK,
        spray_days_by_zone={0: [report + timedelta(days=d) for d in spray_offsets]},
    )
    assert timers.report_delay_days == delay
    investigation = timers.investigation
    if investigated <= now:
        assert investigation.status == (
            "on_time" if investigated <= at(report) + timedelta(hours=27) else "late"
        )
    else:
        assert investigation.status in ("pending", "overdue")
        assert investigation.flagged == (now > investigation.due)
    spraying = timers.spraying
    if spraying.done is not None:
        assert report <= spraying.done <= now.date()
        assert spraying.status == (
            "on_time" if spraying.done <= report + timedelta(days=1) else "late"
        )
    else:
        assert spraying.status == ("overdue" if now.date() > spraying.due else "pending")
