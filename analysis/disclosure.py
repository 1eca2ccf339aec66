"""Weekly count releases that stay safe against an attacker holding every release ever made.

A table recomputed every day leaks: its last week is partial and its window slides, so two
copies differ by a few cases and subtraction pins cells that were suppressed. Here a figure is
published once per complete epidemiological week (a *release*, one column: a count per area and
the week's total) and never changes; a later correction of the same week is a new release, and
the pair may not reveal by subtraction what neither reveals alone.

Labels say what they mean, and the attacker is assumed to know it:

- ``SMALL`` ("<5") is a count from 1 to ``threshold - 1``;
- ``WITHHELD`` on a cell is a count of at least ``threshold`` hidden to protect a small one
  (complementary suppression); zeros are published and never withheld. Complements are taken
  smallest first, so a withheld cell is also at most the smallest published cell of at least
  ``threshold`` in its release, and the attacker uses that too;
- ``WITHHELD`` on a total is a total not published (it claims no range).

Disclosure check (`week_pins`): the attacker sees every release of a week, takes one integer
unknown per area and release, adds each release's facts (exact values, the ranges the labels
give, cells summing to a published total) and, when the releases are consistent with it, that
counts only grow from one release to the next (late reports). For each small cell it minimises
and maximises the cell, and for each pair of releases each area's (and the total's) difference,
by integer programming (`scipy.optimize.milp`). A small cell with a single feasible value, or a
difference pinned to a value from 1 to ``threshold - 1`` (a few late cases in one place), is a
*pin*. Releases of different weeks share no unknown, so weeks are checked one at a time.

Known limit: beyond the labels and the smallest-first order, the attacker does not reason
about why the algorithm stopped where it did (for example that one complement fewer would have
pinned), which could narrow a range further. A range narrower than 1 to ``threshold - 1`` is
not a pin: the rule promises that no small count is worked out exactly, not that nothing is
learnt about it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array

SMALL = "small"
WITHHELD = "withheld"
THRESHOLD = 5

Figure = int | str


class DisclosureError(ValueError):
    """No release of these counts passes the check against the earlier releases."""


@dataclass(frozen=True)
class WeekRelease:
    """One published column: a figure per area and the week's total, each an int or a label."""

    areas: tuple[str, ...]
    cells: tuple[Figure, ...]
    total: Figure

    def as_json(self) -> dict:
        """The stored form (see `from_json`)."""
        return {"areas": list(self.areas), "cells": list(self.cells), "total": self.total}

    @classmethod
    def from_json(cls, data: Mapping) -> WeekRelease:
        """Read the stored form back."""
        return cls(tuple(data["areas"]), tuple(data["cells"]), data["total"])


@dataclass(frozen=True)
class Pin:
    """A small count the attacker works out exactly.

    ``release`` indexes the releases passed in; ``earlier`` is set for a difference between two
    releases; ``area`` is None for the week's total.
    """

    release: int
    area: str | None
    value: int
    earlier: int | None = None


def week_release(
    counts: Mapping[str, int],
    *,
    earlier: Sequence[WeekRelease] = (),
    threshold: int = THRESHOLD,
) -> WeekRelease:
    """Suppress one week's counts so that, with the earlier releases of the week, nothing pins.

    Parameters
    ----------
    counts : Mapping[str, int]
        Non-negative count per area (every area, zeros included), in display order.
    earlier : Sequence[WeekRelease]
        Releases of the same week already published, oldest first (empty for a first release).
    threshold : int
        Smallest count that may be published; 1 to ``threshold - 1`` are ``SMALL``.

    Returns
    -------
    WeekRelease
        The last earlier release if each of its figures is still true. Otherwise cells from 1
        to ``threshold - 1`` are ``SMALL``. The total is withheld when it is
        small. While `week_pins` finds a pin, the release hides more: the total if its change
        since an earlier release is pinned, else the smallest published cell of at least
        ``threshold`` while the total is published, else the total, else the smallest
        remaining cell (cells are always withheld smallest first).

    Raises
    ------
    DisclosureError
        If even a release with every non-zero cell and the total hidden still pins (only
        possible when the earlier releases already pin).

    Examples
    --------
    >>> week_release({"a": 2, "b": 7, "c": 9, "d": 0})
    WeekRelease(areas=('a', 'b', 'c', 'd'), cells=('small', 'withheld', 9, 0), total=18)
    """
    values = {area: int(n) for area, n in counts.items()}
    if any(n < 0 for n in values.values()):
        raise ValueError("counts must be non-negative")
    areas = tuple(values)
    if earlier and _still_true(earlier[-1], values, threshold):
        return earlier[-1]  # nothing published became false: no correction to make
    hidden = {a for a in areas if 0 < values[a] < threshold}
    total = sum(values.values())
    total_hidden = 0 < total < threshold

    def build() -> WeekRelease:
        cells = tuple(
            (SMALL if values[a] < threshold else WITHHELD) if a in hidden else values[a]
            for a in areas
        )
        return WeekRelease(areas, cells, WITHHELD if total_hidden else total)

    while True:
        candidate = build()
        if earlier and candidate == earlier[-1]:
            return candidate  # the same figures again add no fact
        pins = week_pins([*earlier, candidate], threshold=threshold)
        if not pins:
            return candidate
        new = len(earlier)
        changed = [p.area for p in pins if p.release == new and p.earlier is not None]
        if None in changed and not total_hidden:
            total_hidden = True
            continue
        publishable = sorted(
            (values[a], a) for a in areas if a not in hidden and values[a] >= threshold
        )
        if publishable and not total_hidden:
            hidden.add(publishable[0][1])
        elif not total_hidden:
            total_hidden = True
        elif publishable:
            hidden.add(publishable[0][1])
        else:
            raise DisclosureError(f"earlier releases already pin: {pins}")


def _still_true(release: WeekRelease, values: Mapping[str, int], threshold: int) -> bool:
    if release.areas != tuple(values):
        return False
    for cell, value in zip(release.cells, values.values(), strict=True):
        if cell == SMALL and not 0 < value < threshold:
            return False
        if cell == WITHHELD and value < threshold:
            return False
        if cell not in (SMALL, WITHHELD) and cell != value:
            return False
    return release.total in (WITHHELD, sum(values.values()))


def week_pins(releases: Sequence[WeekRelease], *, threshold: int = THRESHOLD) -> list[Pin]:
    """Every small count an attacker holding these releases of one week works out exactly.

    Parameters
    ----------
    releases : Sequence[WeekRelease]
        Every release of one week, oldest first.
    threshold : int
        The threshold the releases were made with.

    Returns
    -------
    list[Pin]
        Empty when nothing pins.

    Examples
    --------
    >>> week_pins([WeekRelease(("a", "b"), (SMALL, 7), 9)])
    [Pin(release=0, area='a', value=2, earlier=None)]
    >>> week_pins([WeekRelease(("a", "b"), (SMALL, WITHHELD), 9)])
    []
    """
    model = _WeekModel(releases, threshold)
    if model.size == 0:
        return []
    if len(releases) > 1 and not model.feasible(monotone=True):
        if not model.feasible(monotone=False):
            raise DisclosureError("the releases contradict each other")
        model.monotone = False
    pins = []
    for r, release in enumerate(releases):
        if len(releases) == 1 and release.total == WITHHELD:
            break  # nothing ties the cells together: each keeps its whole range
        for area, cell in zip(release.areas, release.cells, strict=True):
            if cell == SMALL:
                value = model.pinned({(r, area): 1})
                if value is not None:
                    pins.append(Pin(r, area, value))
    for first, second in combinations(range(len(releases)), 2):
        shared = set(releases[first].areas) & set(releases[second].areas)
        cells = [
            dict(zip(releases[i].areas, releases[i].cells, strict=True)) for i in (first, second)
        ]
        for area in sorted(shared):
            before, after = cells[0][area], cells[1][area]
            if isinstance(before, int) and isinstance(after, int):
                value = after - before
            else:
                value = model.pinned({(second, area): 1, (first, area): -1})
            if value is not None and 0 < abs(value) < threshold:
                pins.append(Pin(second, area, value, earlier=first))
        difference = {(second, a): 1 for a in releases[second].areas}
        for a in releases[first].areas:
            difference[(first, a)] = difference.get((first, a), 0) - 1
        value = model.pinned(difference)
        if value is not None and 0 < abs(value) < threshold:
            pins.append(Pin(second, None, value, earlier=first))
    return pins


def _published(figure: Figure) -> bool:
    return figure not in (SMALL, WITHHELD)


class _WeekModel:
    """The attacker's integer program over one week's releases."""

    def __init__(self, releases: Sequence[WeekRelease], threshold: int) -> None:
        self.index = {
            (r, area): None for r, release in enumerate(releases) for area in release.areas
        }
        self.index = {key: i for i, key in enumerate(self.index)}
        self.size = len(self.index)
        self.monotone = True
        low = np.zeros(self.size)
        high = np.full(self.size, np.inf)
        rows, lows, highs = [], [], []
        for r, release in enumerate(releases):
            # Complements are withheld smallest first: none exceeds a published cell >= threshold.
            cap = min(
                (c for c in release.cells if _published(c) and c >= threshold), default=np.inf
            )
            for area, cell in zip(release.areas, release.cells, strict=True):
                i = self.index[(r, area)]
                if cell == SMALL:
                    low[i], high[i] = 1, threshold - 1
                elif cell == WITHHELD:
                    low[i], high[i] = threshold, cap
                else:
                    low[i] = high[i] = int(cell)
            if release.total != WITHHELD:
                row = np.zeros(self.size)
                row[[self.index[(r, a)] for a in release.areas]] = 1
                rows.append(row)
                lows.append(int(release.total))
                highs.append(int(release.total))
        self.bounds = Bounds(low, high)
        growth = []
        for r in range(1, len(releases)):
            for area in releases[r].areas:
                if (r - 1, area) in self.index:
                    row = np.zeros(self.size)
                    row[self.index[(r, area)]] = 1
                    row[self.index[(r - 1, area)]] = -1
                    growth.append(row)
        # Built once per mode: milp spends as long converting constraints as solving.
        self.constraints = {}
        for monotone in (False, True):
            extra = growth if monotone else []  # counts only grow: each new release >= the last
            matrix = np.array(rows + extra).reshape(-1, self.size)
            bounds = (lows + [0] * len(extra), highs + [np.inf] * len(extra))
            self.constraints[monotone] = (
                [LinearConstraint(csr_array(matrix), *bounds)] if len(matrix) else []
            )

    def _solve(self, objective: np.ndarray, *, monotone: bool):
        return milp(
            objective,
            integrality=np.ones(self.size),
            bounds=self.bounds,
            constraints=self.constraints[monotone],
        )

    def feasible(self, *, monotone: bool) -> bool:
        return self._solve(np.zeros(self.size), monotone=monotone).status == 0

    def pinned(self, expression: Mapping[tuple[int, str], int]) -> int | None:
        """The single value the expression can take, or None if it can take several."""
        objective = np.zeros(self.size)
        for key, coefficient in expression.items():
            objective[self.index[key]] += coefficient
        low = self._solve(objective, monotone=self.monotone)
        high = self._solve(-objective, monotone=self.monotone)
        if low.status != 0 or high.status != 0:  # unbounded: never pinned
            return None
        smallest, largest = math.ceil(low.fun - 1e-6), math.floor(-high.fun + 1e-6)
        return smallest if smallest == largest else None
