"""The 3-3-1 timers of dengue control (DESIGN.md section 3).

Thailand's 3-3-1 rule: a case is reported within 3 hours of diagnosis, investigated within 3
hours of the report, and its surroundings sprayed within 1 day of the report. The records
hold dates of onset and report (no time of report, no time of diagnosis), the moment of
investigation and the days rounds were sprayed, so the timers here are the rule as far as
that data can tell it:

- the report step is not timed (no time of diagnosis); the days from onset to report are given;
- investigation is due at 03:00 local time on the day after the report date, 3 hours after
  the latest possible time of report;
- spraying is due by the day after the report date, and counts the first round done in the
  case's zone on or after the report date.

Known bias: a report made in the morning gets almost a day more for investigation than the
rule gives, so "on time" is an upper bound of compliance; "late" is always late.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

import pandas as pd

from analysis.dengue._common import require_columns

__all__ = [
    "INVESTIGATION_HOURS",
    "SPRAY_WITHIN_DAYS",
    "TIMER_WINDOW_DAYS",
    "CaseTimers",
    "Timer",
    "case_timers",
    "timer_status",
]

#: Investigation within 3 hours of the report.
INVESTIGATION_HOURS = 3
#: Spraying within 1 day of the report.
SPRAY_WITHIN_DAYS = 1
#: Cases reported in the last 28 days get timers.
TIMER_WINDOW_DAYS = 28

TIMER_CASE_COLUMNS = ("id", "onset_date", "report_date", "diagnosis", "investigated_at", "zone_id")


@dataclass(frozen=True)
class Timer:
    """One step of 3-3-1: when it was due, when it was done, and how that compares."""

    due: datetime | date
    done: datetime | date | None
    status: str
    """"on_time", "late" (done after the deadline), "overdue" (not done, deadline passed) or
    "pending" (not done, deadline still ahead)."""

    @property
    def flagged(self) -> bool:
        """Late or overdue: the step needs someone's attention."""
        return self.status in ("late", "overdue")


@dataclass(frozen=True)
class CaseTimers:
    """The 3-3-1 timers of one case."""

    case_id: int
    onset_date: date
    report_date: date
    diagnosis: str
    report_delay_days: int
    investigation: Timer
    spraying: Timer

    @property
    def flagged(self) -> bool:
        """Either step late or overdue."""
        return self.investigation.flagged or self.spraying.flagged


def timer_status(
    *, due: datetime | date, done: datetime | date | None, now: datetime | date
) -> Timer:
    """One step's timer: on time or late when done, else overdue or pending at `now`.

    Parameters
    ----------
    due : datetime or date
        The deadline; done at the deadline is on time.
    done : datetime, date or None
        When the step was done, None when it was not (yet).
    now : datetime or date
        The moment the timer is read at, of the same kind as `due`.

    Returns
    -------
    Timer

    Examples
    --------
    >>> timer_status(due=date(2025, 6, 2), done=None, now=date(2025, 6, 3)).status
    'overdue'
    >>> timer_status(due=date(2025, 6, 2), done=date(2025, 6, 2), now=date(2025, 6, 9)).status
    'on_time'
    """
    if done is not None:
        return Timer(due, done, "on_time" if done <= due else "late")
    return Timer(due, None, "overdue" if now > due else "pending")


def case_timers(
    cases: pd.DataFrame,
    *,
    on: date,
    now: datetime,
    tz: tzinfo,
    spray_days_by_zone: Mapping[int, Collection[date]],
    window_days: int = TIMER_WINDOW_DAYS,
    investigation_hours: int = INVESTIGATION_HOURS,
    spray_within_days: int = SPRAY_WITHIN_DAYS,
) -> list[CaseTimers]:
    """3-3-1 timers of the cases reported in the `window_days` days up to `on`, read at `now`.

    Parameters
    ----------
    cases : pandas.DataFrame
        One row per case with ``id``, ``onset_date`` and ``report_date`` (datetime64),
        ``diagnosis``, ``investigated_at`` (aware timestamps, None or NaT) and ``zone_id``
        (the spray zone holding the case). Geometry is not needed.
    on : datetime.date
        The date of the situation: cases reported after it are not timed.
    now : datetime.datetime
        The aware moment the timers are read at. An investigation recorded after `now` does
        not count yet, nor does a round done after `now`'s date in `tz`.
    tz : datetime.tzinfo
        The local time zone of the deadlines (Asia/Bangkok for Thai municipalities).
    spray_days_by_zone : mapping of int to collection of datetime.date
        Days on which a round was done, per zone id; a zone without rounds may be absent.
    window_days : int, default 28
        Cases reported more than this many days before `on` get no timers.
    investigation_hours : int, default 3
        Investigation deadline, in hours after midnight ending the report date.
    spray_within_days : int, default 1
        Spraying deadline, in days after the report date.

    Returns
    -------
    list of CaseTimers
        Latest report first (ties: highest case id first).

    Raises
    ------
    ValueError
        When a column is missing.

    Examples
    --------
    >>> from zoneinfo import ZoneInfo
    >>> bangkok = ZoneInfo("Asia/Bangkok")
    >>> cases = pd.DataFrame({"id": [1], "onset_date": pd.to_datetime(["2025-06-01"]),
    ...     "report_date": pd.to_datetime(["2025-06-03"]), "diagnosis": ["DF"],
    ...     "investigated_at": [None], "zone_id": [0]})
    >>> [timers] = case_timers(cases, on=date(2025, 6, 3), tz=bangkok,
    ...     now=datetime(2025, 6, 3, 12, tzinfo=bangkok),
    ...     spray_days_by_zone={0: [date(2025, 6, 3)]})
    >>> timers.report_delay_days, timers.investigation.status, timers.spraying.status
    (2, 'pending', 'on_time')
    """
    require_columns(cases, list(TIMER_CASE_COLUMNS), name="cases")
    today = now.astimezone(tz).date()
    since = on - timedelta(days=window_days)
    if cases.empty:
        return []
    reported = cases["report_date"].dt.date
    recent = cases[(reported > since) & (reported <= on)].sort_values(
        ["report_date", "id"], ascending=[False, False]
    )
    out = []
    for case in recent.itertuples():
        report = case.report_date.date()
        deadline = datetime.combine(
            report + timedelta(days=1), time(investigation_hours, 0), tzinfo=tz
        )
        investigated = case.investigated_at
        if investigated is None or pd.isna(investigated) or investigated > now:
            investigated = None
        done_days = [
            d for d in spray_days_by_zone.get(int(case.zone_id), ()) if report <= d <= today
        ]
        out.append(
            CaseTimers(
                case_id=int(case.id),
                onset_date=case.onset_date.date(),
                report_date=report,
                diagnosis=case.diagnosis,
                report_delay_days=(report - case.onset_date.date()).days,
                investigation=timer_status(due=deadline, done=investigated, now=now),
                spraying=timer_status(
                    due=report + timedelta(days=spray_within_days),
                    done=min(done_days, default=None),
                    now=today,
                ),
            )
        )
    return out
