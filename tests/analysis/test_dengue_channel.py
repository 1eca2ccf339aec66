"""The endemic channel: quartiles of the same epi week in five years, monthly series, the alert."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.dengue import (
    channel_alert,
    endemic_channel,
    epi_week_number,
    epi_week_start,
    monthly_to_weekly,
    scale_to_population,
)


def week_of(year: int, week: int) -> date:
    """The Sunday of epidemiological week `week` of `year` (week 1 holds 4 January)."""
    return epi_week_start(date(year, 1, 4)) + timedelta(weeks=week - 1)


def history(counts: dict[tuple[int, int], float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "week_start": [week_of(y, w) for y, w in counts],
            "n_cases": list(counts.values()),
        }
    )


@pytest.mark.parametrize(
    ("sunday", "year_week"),
    [
        (date(2026, 1, 4), (2026, 1)),  # 4 January is a Sunday: week 1 starts on it
        (date(2025, 12, 28), (2025, 53)),  # 2025 has 53 weeks (its Wednesday is 31 Dec)
        (date(2021, 1, 3), (2021, 1)),
        (date(2020, 12, 27), (2020, 53)),
        (date(2022, 1, 2), (2022, 1)),
        (date(2022, 12, 25), (2022, 52)),  # Wednesday 28 Dec: 2022 has 52 weeks
        (date(2023, 1, 1), (2023, 1)),
        (date(2019, 12, 29), (2020, 1)),  # Wednesday 1 Jan 2020: week 1 of 2020
    ],
)
def test_weeks_are_numbered_by_the_year_of_their_wednesday(sunday, year_week):
    assert epi_week_number(sunday) == year_week
    assert epi_week_number(sunday + timedelta(days=6)) == year_week


@given(day=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_consecutive_weeks_count_up_by_one_or_restart_at_one(day):
    year, week = epi_week_number(day)
    next_year, next_week = epi_week_number(day + timedelta(days=7))
    assert (next_year, next_week) in {(year, week + 1), (year + 1, 1)}
    assert 1 <= week <= 53


def test_channel_is_the_quartiles_of_the_same_week_in_the_five_years_before():
    # Week 10 of 2021-2025: 7, 1, 4, 10, 2 -> sorted 1, 2, 4, 7, 10.
    # Week 11 of 2021-2025: 0, 0, 3, 0, 5 -> sorted 0, 0, 0, 3, 5. Week 10 of 2020 is ignored.
    past = history(
        {(2020, 10): 100}
        | dict(zip([(y, 10) for y in range(2021, 2026)], [7, 1, 4, 10, 2], strict=True))
        | dict(zip([(y, 11) for y in range(2021, 2026)], [0, 0, 3, 0, 5], strict=True))
    )

    channel = endemic_channel(past, week_starts=[week_of(2026, 10), week_of(2026, 11)])

    assert channel["week"].tolist() == [10, 11]
    assert channel["q1"].tolist() == [2.0, 0.0]
    assert channel["median"].tolist() == [4.0, 0.0]
    assert channel["q3"].tolist() == [7.0, 3.0]
    assert channel["first_year"].tolist() == [2021, 2021]
    assert channel["last_year"].tolist() == [2025, 2025]


def test_quartiles_interpolate_between_years_when_fewer_years_are_asked():
    # Four years 2, 4, 6, 8: numpy's linear rule gives 3.5, 5, 6.5.
    past = history(dict(zip([(y, 30) for y in range(2022, 2026)], [8, 2, 6, 4], strict=True)))

    channel = endemic_channel(past, week_starts=[week_of(2026, 30)], years=4)

    assert channel[["q1", "median", "q3"]].iloc[0].tolist() == [3.5, 5.0, 6.5]


def test_a_missing_baseline_year_leaves_the_week_without_a_channel():
    """A week absent from the history is unknown, not zero: no channel rather than a low one."""
    past = history({(y, 20): 3 for y in (2021, 2022, 2024, 2025)})

    channel = endemic_channel(past, week_starts=[week_of(2026, 20)])

    assert math.isnan(channel["median"].iloc[0])


def test_a_series_that_stops_early_gives_its_last_five_years_to_every_week():
    past = history(dict(zip([(y, 40) for y in range(2018, 2023)], [5, 3, 1, 9, 7], strict=True)))

    channel = endemic_channel(past, week_starts=[week_of(2026, 40)], last_year=2022)

    assert channel[["q1", "median", "q3"]].iloc[0].tolist() == [3.0, 5.0, 7.0]
    assert (channel["first_year"].iloc[0], channel["last_year"].iloc[0]) == (2018, 2022)


def test_week_53_is_compared_with_week_52_in_years_without_one():
    # 2020 has a week 53 (counted 50); 2021-2024 have 52 weeks and lend their week 52.
    past = history({(2020, 53): 50, (2021, 52): 1, (2022, 52): 2, (2023, 52): 3, (2024, 52): 4})

    channel = endemic_channel(past, week_starts=[week_of(2025, 53)])

    assert channel["week"].iloc[0] == 53
    assert channel[["q1", "median", "q3"]].iloc[0].tolist() == [2.0, 3.0, 4.0]


def test_weeks_of_a_curve_across_new_year_take_their_own_five_years():
    past = history({(y, w): y - 2000 for y in range(2019, 2026) for w in (52, 1)})

    channel = endemic_channel(past, week_starts=[week_of(2025, 52), week_of(2026, 1)])

    assert channel["median"].tolist() == [22.0, 23.0]  # 2020-2024, then 2021-2025


def test_channel_rejects_a_history_without_counts():
    with pytest.raises(ValueError, match="n_cases"):
        endemic_channel(pd.DataFrame({"week_start": []}), week_starts=[date(2026, 1, 4)])


def test_a_month_is_spread_evenly_over_its_days_then_summed_per_week():
    # January 2022: 31 cases, 1 a day; February: 56 cases, 2 a day. 1 Jan 2022 is a Saturday.
    monthly = pd.DataFrame(
        {
            "start_date": [date(2022, 1, 1), date(2022, 2, 1)],
            "end_date": [date(2022, 1, 31), date(2022, 2, 28)],
            "n_cases": [31, 56],
        }
    )

    weekly = monthly_to_weekly(monthly)

    assert weekly["week_start"].tolist() == [
        date(2022, 1, 2) + timedelta(weeks=k) for k in range(8)
    ]
    # 30 and 31 Jan at 1 a day, 1-5 Feb at 2 a day: 12.
    assert weekly["n_cases"].round(9).tolist() == [7, 7, 7, 7, 12, 14, 14, 14]
    # The partial weeks at either end (from 26 Dec, from 27 Feb) are left out.
    assert weekly["n_cases"].sum() == pytest.approx(31 - 1 + 56 - 4)


def test_monthly_series_with_a_gap_leaves_out_the_weeks_across_it():
    monthly = pd.DataFrame(
        {
            "start_date": ["2022-01-01", "2022-03-01"],
            "end_date": ["2022-01-31", "2022-03-31"],
            "n_cases": [31, 31],
        }
    )

    weekly = monthly_to_weekly(monthly)

    assert date(2022, 1, 30) not in weekly["week_start"].tolist()  # 30 Jan - 5 Feb: no February
    assert set(weekly["n_cases"].round(9)) == {7.0}


def test_overlapping_months_are_refused():
    monthly = pd.DataFrame(
        {"start_date": ["2022-01-01", "2022-01-15"], "end_date": ["2022-01-31", "2022-02-14"],
         "n_cases": [1, 1]}
    )  # fmt: skip
    with pytest.raises(ValueError, match="overlap"):
        monthly_to_weekly(monthly)


def test_an_empty_monthly_series_gives_no_weeks():
    empty = pd.DataFrame({"start_date": [], "end_date": [], "n_cases": []})
    assert monthly_to_weekly(empty).empty


def test_scaling_multiplies_by_the_population_share():
    weekly = pd.DataFrame({"week_start": [date(2022, 1, 2)], "n_cases": [150.0]})

    scaled = scale_to_population(weekly, population=100_000, reference_population=1_500_000)

    assert scaled["n_cases"].tolist() == [10.0]
    assert weekly["n_cases"].tolist() == [150.0]  # the input is not changed


@pytest.mark.parametrize(("population", "reference"), [(0, 1_000), (1_000, 0), (-5, 1_000)])
def test_scaling_refuses_populations_that_are_not_positive(population, reference):
    with pytest.raises(ValueError, match="positive"):
        scale_to_population(pd.DataFrame({"n_cases": [1.0]}), population=population,
                            reference_population=reference)  # fmt: skip


# --- The alert ---------------------------------------------------------------------------------

WEEKS = [date(2026, 10, 18) + timedelta(weeks=k) for k in range(5)]


def channel_of(q3: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"week_start": WEEKS[: len(q3)], "q3": q3})


def test_alert_counts_the_weeks_in_a_row_above_the_upper_quartile():
    alert = channel_alert(channel_of([2, 2, 2, 2, 2]), observed=[3, 1, 3, 4, 5])

    assert alert.alert
    assert alert.weeks_above == 3
    assert alert.latest_week == WEEKS[4]
    assert (alert.latest_count, alert.latest_q3) == (5.0, 2.0)


def test_a_count_equal_to_the_upper_quartile_is_inside_the_channel():
    alert = channel_alert(channel_of([2, 2, 2]), observed=[5, 5, 2], partial_last_week=False)

    assert not alert.alert
    assert alert.weeks_above == 0


def test_a_week_just_begun_below_the_channel_does_not_clear_the_alert():
    alert = channel_alert(channel_of([2, 2, 2, 2]), observed=[1, 3, 4, 0])

    assert alert.alert
    assert alert.weeks_above == 2
    assert alert.latest_week == WEEKS[2]


def test_a_week_just_begun_already_above_the_channel_counts():
    alert = channel_alert(channel_of([2, 2, 2, 2]), observed=[1, 1, 1, 6])

    assert alert.alert
    assert alert.weeks_above == 1
    assert alert.latest_week == WEEKS[3]


def test_no_alert_where_the_latest_week_has_no_channel():
    alert = channel_alert(
        channel_of([2, 2, float("nan")]), observed=[5, 5, 5], partial_last_week=False
    )

    assert not alert.alert
    assert alert.latest_week is None


def test_alert_needs_one_count_per_channel_week():
    with pytest.raises(ValueError, match="length"):
        channel_alert(channel_of([2, 2]), observed=[1])


def test_quartiles_of_a_scaled_monthly_series_end_to_end():
    """Five Julys of a province, 31 cases a day x k, scaled to 1 % of its people."""
    monthly = pd.DataFrame(
        {
            "start_date": [date(y, 7, 1) for y in range(2018, 2023)],
            "end_date": [date(y, 7, 31) for y in range(2018, 2023)],
            "n_cases": [31 * 100 * k for k in (1, 2, 3, 4, 5)],
        }
    )
    weekly = scale_to_population(
        monthly_to_weekly(monthly), population=10_000, reference_population=1_000_000
    )

    channel = endemic_channel(weekly, week_starts=[date(2026, 7, 12)], last_year=2022)

    # Week 28; each July day is 100 k cases, scaled 1 k a day, 7 k a week: 7, 14, 21, 28, 35.
    assert epi_week_number(date(2026, 7, 12)) == (2026, 28)
    assert channel[["q1", "median", "q3"]].iloc[0].round(9).tolist() == [14.0, 21.0, 28.0]
