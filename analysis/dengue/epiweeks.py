"""Epidemiological weeks and the epidemic curve (DESIGN.md section 3).

Thailand's Department of Disease Control counts dengue by epidemiological week, Sunday to
Saturday (the CDC/MMWR convention). A week is named here by the date of its Sunday, so weeks
compare and sort as dates and need no year-boundary rule (week 1 of which year): callers that
print "week 23" derive it from the Sunday.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

import pandas as pd

__all__ = ["epi_curve", "epi_week_start", "epi_week_starts"]


def epi_week_start(day: date) -> date:
    """The Sunday that starts the epidemiological week of `day`.

    Parameters
    ----------
    day : datetime.date
        Any date (a ``datetime`` counts by its date).

    Returns
    -------
    datetime.date
        The Sunday on or before `day`.

    Examples
    --------
    >>> epi_week_start(date(2025, 6, 4))  # a Wednesday
    datetime.date(2025, 6, 1)
    >>> epi_week_start(date(2025, 6, 1))  # a Sunday starts its own week
    datetime.date(2025, 6, 1)
    """
    if isinstance(day, datetime):
        day = day.date()
    return day - timedelta(days=(day.weekday() + 1) % 7)


def epi_week_starts(dates: pd.Series) -> pd.Series:
    """The Sunday that starts the epidemiological week of each date, as ``datetime.date``.

    Parameters
    ----------
    dates : pandas.Series
        Dates, timestamps or ISO date strings (anything ``pandas.to_datetime`` reads).

    Returns
    -------
    pandas.Series
        Objects of ``datetime.date``, same index as `dates`.

    Examples
    --------
    >>> epi_week_starts(pd.Series(["2025-06-04", "2025-06-07"])).tolist()
    [datetime.date(2025, 6, 1), datetime.date(2025, 6, 1)]
    """
    stamps = pd.to_datetime(dates)
    return (stamps - pd.to_timedelta((stamps.dt.day_of_week + 1) % 7, unit="D")).dt.date


def epi_curve(onsets: Iterable[date], *, last_day: date, weeks: int = 52) -> pd.DataFrame:
    """Cases per epidemiological week of onset, for the `weeks` weeks up to `last_day`.

    Parameters
    ----------
    onsets : iterable of datetime.date
        Dates of onset, one per case (``datetime`` and ``pandas.Timestamp`` count by date).
    last_day : datetime.date
        A day of the last week shown (the situation's date); onsets after its week and before
        the first week shown are not counted.
    weeks : int, default 52
        Number of weeks shown, the last one holding `last_day`.

    Returns
    -------
    pandas.DataFrame
        One row per week, oldest first: ``week_start`` (``datetime.date``, a Sunday) and
        ``n_cases`` (int64, zero for a week without cases).

    Raises
    ------
    ValueError
        When `weeks` is not positive.

    Examples
    --------
    >>> curve = epi_curve([date(2025, 6, 4), date(2025, 6, 7), date(2025, 5, 30)],
    ...                   last_day=date(2025, 6, 10), weeks=3)
    >>> [(str(w), n) for w, n in zip(curve["week_start"], curve["n_cases"])]
    [('2025-05-25', 1), ('2025-06-01', 2), ('2025-06-08', 0)]
    """
    if weeks < 1:
        raise ValueError(f"weeks must be positive, got {weeks}")
    last = epi_week_start(last_day)
    starts = [last - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    counts = pd.Series([epi_week_start(d) for d in onsets], dtype=object).value_counts()
    return pd.DataFrame(
        {
            "week_start": pd.Series(starts, dtype=object),
            "n_cases": pd.Series([int(counts.get(s, 0)) for s in starts], dtype="int64"),
        }
    )
