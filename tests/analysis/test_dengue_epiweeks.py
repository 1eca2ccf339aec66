"""Epidemiological weeks (Sunday to Saturday) and the epidemic curve."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.dengue import epi_curve, epi_week_start, epi_week_starts

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@pytest.mark.parametrize(
    ("day", "sunday"),
    [
        (date(2025, 6, 1), date(2025, 6, 1)),  # Sunday: its own week
        (date(2025, 6, 2), date(2025, 6, 1)),  # Monday
        (date(2025, 6, 7), date(2025, 6, 1)),  # Saturday ends the week
        (date(2025, 6, 8), date(2025, 6, 8)),  # next Sunday
        (date(2026, 1, 1), date(2025, 12, 28)),  # a week across the new year
        (date(2024, 3, 1), date(2024, 2, 25)),  # across a leap day
    ],
)
def test_week_starts_on_the_sunday_on_or_before_the_day(day, sunday):
    assert epi_week_start(day) == sunday


def test_a_datetime_counts_by_its_date():
    assert epi_week_start(datetime(2025, 6, 4, 23, 59)) == date(2025, 6, 1)
    assert epi_week_start(pd.Timestamp("2025-06-04")) == date(2025, 6, 1)


@given(day=days)
def test_week_start_is_a_sunday_within_six_days_before(day):
    start = epi_week_start(day)
    assert start.weekday() == 6
    assert 0 <= (day - start).days <= 6


@given(values=st.lists(days, max_size=30))
def test_vectorised_week_starts_agree_with_the_scalar_rule(values):
    series = pd.Series(pd.to_datetime(values), index=range(10, 10 + len(values)), dtype="M8[ns]")
    starts = epi_week_starts(series)
    assert list(starts.index) == list(series.index)
    assert starts.tolist() == [epi_week_start(d) for d in values]


def test_curve_counts_cases_per_week_oldest_first_with_empty_weeks():
    onsets = [date(2025, 6, 4), date(2025, 6, 7), date(2025, 5, 30), date(2025, 6, 8)]
    curve = epi_curve(onsets, last_day=date(2025, 6, 10), weeks=4)
    assert list(curve.columns) == ["week_start", "n_cases"]
    assert curve["week_start"].tolist() == [
        date(2025, 5, 18),
        date(2025, 5, 25),
        date(2025, 6, 1),
        date(2025, 6, 8),
    ]
    assert curve["n_cases"].tolist() == [0, 1, 2, 1]
    assert curve["n_cases"].dtype == "int64"


@pytest.mark.parametrize(
    "onsets",
    [
        pd.Series(pd.to_datetime(["2025-06-04", "2025-06-05"])),  # a frame's datetime64 column
        [datetime(2025, 6, 4, 8), datetime(2025, 6, 5, 20)],
        (date(2025, 6, 4), date(2025, 6, 5)),
    ],
)
def test_curve_reads_dates_timestamps_and_datetimes(onsets):
    curve = epi_curve(onsets, last_day=date(2025, 6, 6), weeks=1)
    assert curve["n_cases"].tolist() == [2]


def test_curve_without_cases_has_every_week_at_zero():
    curve = epi_curve([], last_day=date(2025, 6, 6), weeks=52)
    assert len(curve) == 52
    assert curve["n_cases"].sum() == 0
    assert curve["week_start"].iloc[-1] == date(2025, 6, 1)


@pytest.mark.parametrize("weeks", [0, -3])
def test_curve_refuses_no_weeks(weeks):
    with pytest.raises(ValueError, match="weeks"):
        epi_curve([], last_day=date(2025, 6, 6), weeks=weeks)


@given(
    onsets=st.lists(days, max_size=60),
    last_day=days,
    weeks=st.integers(min_value=1, max_value=60),
)
def test_curve_counts_exactly_the_onsets_inside_its_weeks(onsets, last_day, weeks):
    curve = epi_curve(onsets, last_day=last_day, weeks=weeks)
    first = epi_week_start(last_day) - timedelta(weeks=weeks - 1)
    end = epi_week_start(last_day) + timedelta(days=7)
    assert len(curve) == weeks
    assert all(s.weekday() == 6 for s in curve["week_start"])
    assert all(
        (b - a).days == 7
        for a, b in zip(curve["week_start"], curve["week_start"][1:], strict=False)
    )
    assert (curve["n_cases"] >= 0).all()
    assert curve["n_cases"].sum() == sum(first <= d < end for d in onsets)
