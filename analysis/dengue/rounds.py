"""Rounds of spraying in a zone's cycle (DESIGN.md section 3).

A spray zone runs a cycle of rounds counted from its anchor, the latest report date inside it
(a new case restarts the cycle): round n is planned on anchor + the n-th of the round days,
day 0 (within 24 hours of the report) and day 7 by default, or 0/3/7. Day 7 kills the
mosquitoes hatched from eggs laid before day 0 (the extrinsic incubation of the virus in the
mosquito is 8-12 days, so a mosquito infected around day 0 cannot yet transmit on day 7).

The functions here decide, from the rounds recorded, what a plan or a work order shows on a
date. A recorded round is anything with ``round_number``, ``planned_date`` and ``done_on``
(the Django model ``SprayRound``, or `RecordedRound` in tests and the CLI); it is returned as
given, never copied.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Generic, NamedTuple, Protocol, TypeVar

__all__ = [
    "DEFAULT_ROUND_DAYS",
    "CycleRound",
    "PlanEntry",
    "RecordedRound",
    "SprayRoundLike",
    "round_cycle",
    "round_on_plan",
    "round_to_show",
]

#: DDC practice: spray on day 0 and day 7 after the report.
DEFAULT_ROUND_DAYS: tuple[int, ...] = (0, 7)


class SprayRoundLike(Protocol):
    """What the rules read of a recorded round."""

    round_number: int
    planned_date: date
    done_on: date | None


R = TypeVar("R", bound="SprayRoundLike")


@dataclass(frozen=True)
class RecordedRound:
    """A round as recorded by a spray team: number in the cycle, planned date, date done."""

    round_number: int
    planned_date: date
    done_on: date | None = None


class CycleRound(NamedTuple, Generic[R]):
    """One round of a zone's current cycle; unpacks as ``(number, planned_date, done)``."""

    number: int
    planned_date: date
    done: R | None
    """The recorded round that did it, None when not done."""


@dataclass(frozen=True)
class PlanEntry(Generic[R]):
    """The round a zone is on the plan of a date for."""

    round_number: int
    planned_date: date
    status: str
    """"due" (planned for the date), "overdue" (planned earlier, not done) or "done"."""
    done: R | None
    missed: tuple[tuple[int, date], ...] = ()
    """Earlier rounds of the cycle not done either: (round number, planned date)."""


def round_cycle(
    *, anchor: date, round_days: Sequence[int], recorded: Iterable[R]
) -> list[CycleRound[R]]:
    """The rounds of a zone's current cycle, with the recorded round that did each.

    Parameters
    ----------
    anchor : datetime.date
        Day 0 of the cycle: the latest report date inside the zone.
    round_days : sequence of int
        Days after `anchor` of rounds 1, 2, ... (ascending), e.g. ``(0, 7)`` or ``(0, 3, 7)``.
    recorded : iterable of recorded rounds
        Rounds recorded for the zone (any cycle). Round n is done by the first one with that
        number, planned on this cycle's date for it, and a date done; a round of an earlier
        cycle (another planned date) does not count.

    Returns
    -------
    list of CycleRound
        One per round day, in order.

    Examples
    --------
    >>> cycle = round_cycle(anchor=date(2025, 6, 2), round_days=(0, 7),
    ...     recorded=[RecordedRound(1, date(2025, 6, 2), date(2025, 6, 2))])
    >>> [(n, str(p), d is not None) for n, p, d in cycle]
    [(1, '2025-06-02', True), (2, '2025-06-09', False)]
    """
    recorded = list(recorded)
    out = []
    for number, offset in enumerate(round_days, start=1):
        planned = anchor + timedelta(days=int(offset))
        done = next(
            (
                r
                for r in recorded
                if r.round_number == number and r.planned_date == planned and r.done_on
            ),
            None,
        )
        out.append(CycleRound(number, planned, done))
    return out


def round_on_plan(cycle: Sequence[CycleRound[R]], *, on: date) -> PlanEntry[R] | None:
    """The round a zone is on the plan of `on` for, or None when it is not on that plan.

    A zone is on the plan when the latest round of its cycle planned on or before `on` is not
    done: "due" when planned for `on`, "overdue" when earlier (with the earlier rounds not done
    either in ``missed``). A zone whose latest started round was done stays on the plan of that
    round's planned date and of the day it was done, as "done".

    Parameters
    ----------
    cycle : sequence of CycleRound
        The zone's cycle (`round_cycle`).
    on : datetime.date
        The date of the plan.

    Returns
    -------
    PlanEntry or None

    Examples
    --------
    >>> cycle = round_cycle(anchor=date(2025, 6, 2), round_days=(0, 7), recorded=[])
    >>> entry = round_on_plan(cycle, on=date(2025, 6, 10))
    >>> entry.round_number, entry.status, entry.missed
    (2, 'overdue', ((1, datetime.date(2025, 6, 2)),))
    >>> round_on_plan(cycle, on=date(2025, 6, 1)) is None  # before day 0
    True
    """
    started = [r for r in cycle if r.planned_date <= on]
    if not started:
        return None
    number, planned, done = started[-1]
    if done is not None:
        if on in (planned, done.done_on):
            return PlanEntry(number, planned, "done", done)
        return None
    missed = tuple((n, p) for n, p, d in started[:-1] if d is None)
    return PlanEntry(number, planned, "due" if planned == on else "overdue", None, missed)


def round_to_show(cycle: Sequence[CycleRound[R]], *, on: date) -> CycleRound[R]:
    """The round a work order of `on` shows: the plan's round, or the next once that is done.

    The plan's round is the latest planned on or before `on` (the first round when none has
    started); when it is done and a later round remains, that later round.

    Parameters
    ----------
    cycle : sequence of CycleRound
        The zone's cycle (`round_cycle`), not empty.
    on : datetime.date
        The date of the work order.

    Returns
    -------
    CycleRound

    Raises
    ------
    ValueError
        When `cycle` is empty.

    Examples
    --------
    >>> cycle = round_cycle(anchor=date(2025, 6, 2), round_days=(0, 7),
    ...     recorded=[RecordedRound(1, date(2025, 6, 2), date(2025, 6, 2))])
    >>> round_to_show(cycle, on=date(2025, 6, 3)).number
    2
    """
    if not cycle:
        raise ValueError("a cycle has at least one round")
    started = [r for r in cycle if r.planned_date <= on] or list(cycle[:1])
    chosen = started[-1]
    upcoming = [r for r in cycle if r.planned_date > on]
    if chosen.done is not None and upcoming:
        return upcoming[0]
    return chosen
