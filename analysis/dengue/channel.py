"""The endemic channel: what is usual for this week of the year (DESIGN.md section 3).

For each epidemiological week shown, the channel is the median and the quartiles (25th and 75th
percentiles) of the counts of the same epidemiological week in the five years before. Cases above
the upper quartile are more than three years in four had: the classic "endemic channel" of Bortman
(Rev Panam Salud Publica 1999;5:1-8), as the Thai Department of Disease Control draws it with the
median of five years.

Weeks are named by their Sunday (`epiweeks`); for the channel a week is also numbered within its
epidemiological year (CDC/MMWR rule: week 1 is the first week with at least four days in the
year, so the week's Wednesday gives its year). A week 53 is compared with week 53 where a baseline
year has one and with week 52 where it has not.

Where a municipality has no history of its own, a monthly series (OpenDengue, by province) gives
the channel: each month's count is spread evenly over its days and summed per epidemiological
week (`monthly_to_weekly`), then scaled by a population ratio (`scale_to_population`). Known bias:
spreading a month evenly flattens the within-month rise of an outbreak, so the channel from a
monthly series is smoother than one from weekly counts; scaling by population assumes the
municipality has the province's incidence (towns often have more).

Quartiles use linear interpolation between order statistics (numpy's default); with five years
they are exactly the 2nd, 3rd and 4th smallest values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from analysis.dengue.epiweeks import epi_week_start

__all__ = [
    "CHANNEL_YEARS",
    "ChannelAlert",
    "channel_alert",
    "endemic_channel",
    "epi_week_number",
    "monthly_to_weekly",
    "scale_to_population",
]

#: The channel is built from this many years before the week shown.
CHANNEL_YEARS = 5


def epi_week_number(week_start: date) -> tuple[int, int]:
    """The epidemiological year and week number of the week starting on `week_start`.

    Parameters
    ----------
    week_start : datetime.date
        Any day of the week (the week is the one `epi_week_start` gives).

    Returns
    -------
    tuple of int
        ``(year, week)``: the year holding the week's Wednesday, and the week's number in it
        (1 to 52 or 53).

    Examples
    --------
    >>> epi_week_number(date(2025, 12, 28))  # Sunday 28 Dec 2025: its Wednesday is 31 Dec
    (2025, 53)
    >>> epi_week_number(date(2026, 1, 4))
    (2026, 1)
    >>> epi_week_number(date(2026, 11, 15))
    (2026, 46)
    """
    wednesday = epi_week_start(week_start) + timedelta(days=3)
    return wednesday.year, (wednesday.timetuple().tm_yday - 1) // 7 + 1


def _weeks_in_year(year: int) -> int:
    return epi_week_number(date(year, 12, 31) - timedelta(days=3))[1]


def _by_year_and_week(history: pd.DataFrame) -> dict[tuple[int, int], float]:
    if not {"week_start", "n_cases"} <= set(history.columns):
        raise ValueError("history needs the columns week_start and n_cases")
    counts: dict[tuple[int, int], float] = {}
    for start, n in zip(history["week_start"], history["n_cases"], strict=True):
        key = epi_week_number(pd.Timestamp(start).date())
        counts[key] = counts.get(key, 0.0) + float(n)
    return counts


def endemic_channel(
    history: pd.DataFrame,
    *,
    week_starts: Sequence[date],
    years: int = CHANNEL_YEARS,
    last_year: int | None = None,
) -> pd.DataFrame:
    """Median and quartiles of the same epidemiological week in the years before, per week shown.

    Parameters
    ----------
    history : pandas.DataFrame
        Counts per week: ``week_start`` (a date in the week) and ``n_cases`` (number, may be
        fractional). A week absent from `history` is unknown, not zero: give zero weeks as rows.
    week_starts : sequence of datetime.date
        The weeks to give the channel for (e.g. the epidemic curve's weeks).
    years : int, default 5
        Number of baseline years.
    last_year : int, optional
        The last year the history covers. The baseline of a week in year ``y`` is the `years`
        years before ``y``; with `last_year` it ends at ``min(y - 1, last_year)`` (a series that
        stops earlier, like OpenDengue's, gives its latest `years` years).

    Returns
    -------
    pandas.DataFrame
        One row per week of `week_starts`, in order: ``week_start`` (the Sunday), ``year`` and
        ``week`` (epidemiological), ``q1``, ``median``, ``q3`` (float; NaN when a baseline year
        is missing from `history`), ``first_year`` and ``last_year`` of the baseline.

    Raises
    ------
    ValueError
        When `years` is not positive or `history` lacks a column.

    Examples
    --------
    >>> history = pd.DataFrame({  # week 23 of 2020 to 2024
    ...     "week_start": [date(2020, 5, 31), date(2021, 6, 6), date(2022, 6, 5),
    ...                    date(2023, 6, 4), date(2024, 6, 2)],
    ...     "n_cases": [4, 1, 9, 2, 6],
    ... })
    >>> channel = endemic_channel(history, week_starts=[date(2025, 6, 3)])
    >>> channel[["q1", "median", "q3"]].iloc[0].tolist()
    [2.0, 4.0, 6.0]
    >>> channel[["week", "first_year", "last_year"]].iloc[0].tolist()
    [23, 2020, 2024]
    """
    if years < 1:
        raise ValueError(f"years must be positive, got {years}")
    counts = _by_year_and_week(history)
    rows = []
    for start in week_starts:
        sunday = epi_week_start(start)
        year, week = epi_week_number(sunday)
        end = year - 1 if last_year is None else min(year - 1, last_year)
        baseline = range(end - years + 1, end + 1)
        keys = [(y, min(week, _weeks_in_year(y))) for y in baseline]
        if all(key in counts for key in keys):
            values = [counts[key] for key in keys]
            q1, median, q3 = (float(q) for q in np.percentile(values, [25, 50, 75]))
        else:
            q1 = median = q3 = float("nan")
        rows.append((sunday, year, week, q1, median, q3, baseline[0], baseline[-1]))
    return pd.DataFrame(
        rows,
        columns=["week_start", "year", "week", "q1", "median", "q3", "first_year", "last_year"],
    ).astype({"year": "int64", "week": "int64", "first_year": "int64", "last_year": "int64"})


def monthly_to_weekly(monthly: pd.DataFrame) -> pd.DataFrame:
    """Expected counts per epidemiological week from counts per month, spread over its days.

    Parameters
    ----------
    monthly : pandas.DataFrame
        One row per month: ``start_date``, ``end_date`` (first and last day, inclusive; dates
        or ISO strings) and ``n_cases``.

    Returns
    -------
    pandas.DataFrame
        ``week_start`` (``datetime.date``, a Sunday) and ``n_cases`` (float): the sum over the
        week's days of each day's share (the month's count divided by its days). Only weeks
        whose seven days all lie inside the series are returned; a week at either end, or
        across a missing month, would be undercounted.

    Raises
    ------
    ValueError
        When a column is missing, a month ends before it starts, or months overlap.

    Examples
    --------
    >>> monthly = pd.DataFrame({
    ...     "start_date": ["2022-01-01", "2022-02-01"],
    ...     "end_date": ["2022-01-31", "2022-02-28"],
    ...     "n_cases": [31, 56],
    ... })
    >>> weekly = monthly_to_weekly(monthly)
    >>> [(str(w), round(n, 6)) for w, n in zip(weekly["week_start"], weekly["n_cases"])][3:6]
    [('2022-01-23', 7.0), ('2022-01-30', 12.0), ('2022-02-06', 14.0)]
    """
    if not {"start_date", "end_date", "n_cases"} <= set(monthly.columns):
        raise ValueError("monthly needs the columns start_date, end_date and n_cases")
    if monthly.empty:
        return pd.DataFrame(
            {"week_start": pd.Series(dtype=object), "n_cases": pd.Series(dtype=float)}
        )
    starts = pd.to_datetime(monthly["start_date"]).dt.normalize()
    ends = pd.to_datetime(monthly["end_date"]).dt.normalize()
    days = (ends - starts).dt.days + 1
    if (days < 1).any():
        raise ValueError("a month ends before it starts")
    spans = [pd.date_range(s, e, freq="D").to_numpy() for s, e in zip(starts, ends, strict=True)]
    daily = pd.Series(
        np.repeat(monthly["n_cases"].to_numpy(dtype=float) / days.to_numpy(), days.to_numpy()),
        index=pd.DatetimeIndex(np.concatenate(spans)),
    )
    if daily.index.has_duplicates:
        raise ValueError("months overlap")
    sundays = daily.index - pd.to_timedelta((daily.index.day_of_week + 1) % 7, unit="D")
    grouped = daily.groupby(sundays)
    weekly = grouped.sum()[grouped.size() == 7]
    return pd.DataFrame(
        {
            "week_start": pd.Series([d.date() for d in weekly.index], dtype=object),
            "n_cases": pd.Series(weekly.to_numpy(), dtype=float),
        }
    )


def scale_to_population(
    weekly: pd.DataFrame, *, population: int, reference_population: int
) -> pd.DataFrame:
    """Counts of a larger area scaled to a smaller one by their populations.

    Parameters
    ----------
    weekly : pandas.DataFrame
        Any frame with an ``n_cases`` column (e.g. from `monthly_to_weekly`).
    population : int
        Population of the area the counts are scaled to (the municipality).
    reference_population : int
        Population of the area the counts come from (the province).

    Returns
    -------
    pandas.DataFrame
        A copy with ``n_cases`` multiplied by ``population / reference_population``.

    Raises
    ------
    ValueError
        When a population is not positive.

    Examples
    --------
    >>> scale_to_population(pd.DataFrame({"n_cases": [30.0, 6.0]}), population=10_000,
    ...                     reference_population=1_500_000)["n_cases"].tolist()
    [0.2, 0.04]
    """
    if population <= 0 or reference_population <= 0:
        raise ValueError("populations must be positive")
    scaled = weekly.copy()
    scaled["n_cases"] = scaled["n_cases"].astype(float) * (population / reference_population)
    return scaled


@dataclass(frozen=True)
class ChannelAlert:
    """Whether the latest weeks are above the channel's upper quartile, and for how long.

    `weeks_above` counts the weeks in a row, back from the latest week considered, whose count
    is above the upper quartile; `latest_week` is that latest week (None when no week has a
    channel).
    """

    alert: bool
    weeks_above: int
    latest_week: date | None
    latest_count: float | None
    latest_q3: float | None


def channel_alert(
    channel: pd.DataFrame, *, observed: Sequence[float], partial_last_week: bool = True
) -> ChannelAlert:
    """The alert: the latest week's cases are above the channel (above its 75th percentile).

    Parameters
    ----------
    channel : pandas.DataFrame
        From `endemic_channel`: ``week_start`` and ``q3``, oldest first.
    observed : sequence of float
        Cases of each of those weeks, same order.
    partial_last_week : bool, default True
        The last week is not over (cases are still being reported). It counts when it is
        already above the channel; otherwise the alert is read from the week before, so that a
        week just begun does not clear an alert.

    Returns
    -------
    ChannelAlert
        ``alert`` is true when the latest week considered is above ``q3`` (strictly);
        ``weeks_above`` is how many weeks in a row, up to it, were above.

    Raises
    ------
    ValueError
        When `observed` and `channel` differ in length.

    Examples
    --------
    >>> channel = pd.DataFrame({
    ...     "week_start": [date(2026, 11, 1), date(2026, 11, 8), date(2026, 11, 15)],
    ...     "q3": [2.0, 2.0, 2.0],
    ... })
    >>> a = channel_alert(channel, observed=[3, 5, 1])  # the last week has just begun
    >>> (a.alert, a.weeks_above, str(a.latest_week))
    (True, 2, '2026-11-08')
    >>> channel_alert(channel, observed=[3, 2, 1], partial_last_week=False).alert
    False
    """
    if len(observed) != len(channel):
        raise ValueError("observed and channel differ in length")
    q3 = channel["q3"].to_numpy(dtype=float)
    counts = np.asarray(observed, dtype=float)
    known = ~np.isnan(q3)
    above = known & (counts > np.where(known, q3, np.inf))
    last = len(counts) - 1
    if partial_last_week and last > 0 and not above[last]:
        last -= 1
    if last < 0 or not known[last]:
        return ChannelAlert(False, 0, None, None, None)
    run = 0
    while last - run >= 0 and above[last - run]:
        run += 1
    return ChannelAlert(
        alert=run > 0,
        weeks_above=run,
        latest_week=channel["week_start"].iloc[last],
        latest_count=float(counts[last]),
        latest_q3=float(q3[last]),
    )
