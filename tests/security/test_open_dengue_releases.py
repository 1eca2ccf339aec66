"""An attacker holding every public dengue table ever published pins no count below 5.

The attacker is written here, apart from the check in `analysis.disclosure`: it models the
true counts as unknown non-negative integers (per area and day for the old daily table; per
area, week and reporting batch for the releases), turns every figure it ever saw into a
linear fact (exact value, the range its label gives, cells adding up to a total) and bounds
each small count by linear or integer programming. A count it bounds to one value is pinned.
It finds the pins of the old table, recomputed daily (`test_the_old_daily_table_...`), which
keeps it honest: it can fail.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from analysis.disclosure import SMALL, WITHHELD, WeekRelease, week_release
from analysis.privacy import SUPPRESSED, suppressed_counts
from layers.dengue.releases import (
    RELEASE_LAG_DAYS,
    dengue_release_correct,
    dengue_releases_publish,
    open_dengue_table,
    release_due_weeks,
    week_start,
)
from layers.models import DengueCase, DengueRelease, Subdistrict

THRESHOLD = 5
YEAR_DAYS = 365


@pytest.fixture(autouse=True)
def no_releases_yet(request):
    """Start from no release (a browser test's live server may have committed some)."""
    if "db" in request.fixturenames or "nst" in request.fixturenames:
        request.getfixturevalue("db")
        DengueRelease.objects.all().delete()  # undone with the test's transaction


# --- the attacker -------------------------------------------------------------------------


@dataclass
class Attacker:
    """Linear facts about unknown non-negative integer counts (`atoms`)."""

    atoms: dict = field(default_factory=dict)
    facts: list = field(default_factory=list)

    def _index(self, atom) -> int:
        return self.atoms.setdefault(atom, len(self.atoms))

    def fact(self, atoms, low: float, high: float) -> None:
        """sum(atoms) lies in [low, high]."""
        self.facts.append(([self._index(a) for a in atoms], low, high))

    def bounds(self, atoms, *, integer: bool) -> tuple[int, int] | None:
        """The smallest and largest integer sum(atoms) can be, None if unbounded above."""
        size = len(self.atoms)
        matrix = np.zeros((len(self.facts), size))
        for row, (columns, _low, _high) in enumerate(self.facts):
            matrix[row, columns] = 1
        lows = np.array([low for _, low, _ in self.facts])
        highs = np.array([high for _, _, high in self.facts])
        objective = np.zeros(size)
        objective[[self.atoms[a] for a in atoms]] = 1
        ends = []
        for sign in (1, -1):
            if integer:
                result = milp(
                    sign * objective,
                    integrality=np.ones(size),
                    bounds=Bounds(0, np.inf),
                    constraints=[LinearConstraint(matrix, lows, highs)],
                )
            else:
                finite = np.isfinite(highs)
                result = linprog(
                    sign * objective,
                    A_ub=np.vstack([matrix[finite], -matrix]),
                    b_ub=np.concatenate([highs[finite], -lows]),
                    bounds=(0, None),
                    method="highs",
                )
            if result.status != 0:  # unbounded ("unbounded or infeasible": feasible, see pins)
                return None
            ends.append(sign * result.fun)
        return int(np.ceil(ends[0] - 1e-6)), int(np.floor(ends[1] + 1e-6))

    def pins(self, protected: dict, *, integer: bool) -> dict:
        """Protected sums (name -> (atoms, true value)) the attacker works out exactly."""
        assert self.bounds([], integer=integer) == (0, 0), "the facts are true: feasible"
        pinned = {}
        for name, (atoms, truth) in protected.items():
            bounds = self.bounds(atoms, integer=integer)
            if bounds is not None and bounds[0] == bounds[1]:
                assert bounds[0] == truth, (name, bounds, truth)  # the model is sound
                pinned[name] = truth
        return pinned


def _label_range(figure) -> tuple[float, float]:
    if figure == SMALL:
        return 1, THRESHOLD - 1
    if figure == WITHHELD:
        return THRESHOLD, np.inf
    return figure, figure


def attack_releases(releases: list[tuple[date, int, WeekRelease]], truth: dict) -> tuple:
    """Pins among all releases (week, version, table); `truth[(week, version)]` = its counts.

    Atoms are (week, area, batch): the cases of an area and week first counted in release
    `batch`. Release v of a week counts batches 1..v (late reports only add cases); a withheld
    cell is at most the smallest published cell of 5 or more (complements go smallest first).
    Protected:
    every small cell, and every batch after the first, per area and per week, from 1 to 4.
    """
    attackers: dict[date, Attacker] = {}
    protected: dict[date, dict] = {}
    for week, version, table in releases:
        # No figure spans two weeks, so each week is a separate program (faster, same bounds).
        attacker = attackers.setdefault(week, Attacker())
        week_protected = protected.setdefault(week, {})
        week_atoms = []
        # The algorithm is public: complements are withheld smallest first.
        cap = min((c for c in table.cells if isinstance(c, int) and c >= THRESHOLD), default=None)
        for area, cell in zip(table.areas, table.cells, strict=True):
            atoms = [(week, area, batch) for batch in range(1, version + 1)]
            week_atoms += atoms
            low, high = _label_range(cell)
            attacker.fact(atoms, low, min(high, cap) if cell == WITHHELD and cap else high)
            if 0 < truth[(week, version)][area] < THRESHOLD:
                week_protected[("cell", week, version, area)] = (
                    atoms,
                    truth[(week, version)][area],
                )
            if version > 1:
                late = truth[(week, version)][area] - truth[(week, version - 1)].get(area, 0)
                if 0 < late < THRESHOLD:
                    week_protected[("late", week, version, area)] = ([(week, area, version)], late)
        if table.total != WITHHELD:
            attacker.fact(week_atoms, table.total, table.total)
        if version > 1:
            late = sum(truth[(week, version)].values()) - sum(truth[(week, version - 1)].values())
            if 0 < late < THRESHOLD:
                atoms = [(week, a, version) for a in table.areas]
                week_protected[("late total", week, version)] = (atoms, late)
    pinned = {}
    for week, attacker in attackers.items():
        pinned |= attacker.pins(protected[week], integer=True)
    return pinned, sum(len(p) for p in protected.values())


def attack_old_daily_tables(cases: pd.DataFrame, areas: list[str], days: list[date]) -> tuple:
    """Pins among the old page's tables, one per day in `days` (12 weeks, 7-day lag).

    Atoms are (area, day of onset). The old page labelled every hidden cell "<5", but its
    complements were larger: the attacker only takes a hidden cell as non-zero.
    """
    attacker = Attacker()
    protected = {}
    for today in days:
        until = today - timedelta(days=7)
        weeks = [week_start(until) - timedelta(weeks=n) for n in range(11, -1, -1)]
        known = cases[(cases.onset >= weeks[0]) & (cases.onset <= until)]
        table = (
            pd.crosstab(known.area, known.onset.map(week_start))
            .reindex(index=areas, columns=weeks, fill_value=0)
            .fillna(0)
            .astype(int)
        )
        published = suppressed_counts(table, threshold=THRESHOLD)

        def days_of(start, until=until):
            return [start + timedelta(days=d) for d in range(7) if start + timedelta(d) <= until]

        def fact(atoms, value):
            if value == SUPPRESSED:
                attacker.fact(atoms, 0, np.inf)
            else:
                attacker.fact(atoms, value, value)

        for area in areas:
            for week in weeks:
                atoms = [(area, d) for d in days_of(week)]
                value = published.cells.loc[area, week]
                attacker.fact(atoms, *((1, np.inf) if value == SUPPRESSED else (value, value)))
                truth = int(table.loc[area, week])
                if 0 < truth < THRESHOLD:
                    protected[(area, week, len(atoms))] = (atoms, truth)
            fact([(area, d) for w in weeks for d in days_of(w)], published.row_totals[area])
        for week in weeks:
            fact([(a, d) for a in areas for d in days_of(week)], published.column_totals[week])
    return attacker.pins(protected, integer=False), len(protected)


# --- publishing a year, day by day --------------------------------------------------------


def _counts(cases: pd.DataFrame, areas: list[str], week: date, as_of: date) -> dict[str, int]:
    known = cases[
        (cases.onset >= week) & (cases.onset < week + timedelta(days=7)) & (cases.report <= as_of)
    ]
    counts = Counter(known.area)
    return {area: counts.get(area, 0) for area in areas}


def publish_year(
    cases: pd.DataFrame,
    areas: list[str],
    first_day: date,
    *,
    correct_every: int,
    check_earlier: bool = True,
):
    """Every release of a year of daily visits, as `layers.dengue.releases` makes them.

    Every `correct_every` days, each week released in the last nine weeks is corrected
    (`check_earlier=False` checks a correction alone, as a daily recomputation would).
    Returns [(week, version, table)] and the counts behind each release.
    """
    releases: dict[date, list[WeekRelease]] = {}
    out, truth = [], {}
    for offset in range(YEAR_DAYS):
        today = first_day + timedelta(days=offset)
        for week in release_due_weeks(today=today):
            if week not in releases:
                counts = _counts(cases, areas, week, today)
                releases[week] = [week_release(counts)]
                out.append((week, 1, releases[week][0]))
                truth[(week, 1)] = counts
        if offset % correct_every == 0:
            for week in [w for w in releases if w >= today - timedelta(weeks=9)]:
                counts = _counts(cases, areas, week, today)
                candidate = week_release(counts, earlier=releases[week] if check_earlier else ())
                if candidate != releases[week][-1]:
                    releases[week].append(candidate)
                    out.append((week, len(releases[week]), candidate))
                    truth[(week, len(releases[week]))] = counts
    return out, truth


@st.composite
def cities(draw):
    """A random city: a few areas, a year of cases, some reported weeks late."""
    n_areas = draw(st.integers(1, 7))
    seed = draw(st.integers(0, 2**32 - 1))
    n_cases = draw(st.integers(0, 300))
    late_share = draw(st.sampled_from([0.0, 0.1, 0.4]))
    rng = random.Random(seed)
    areas = [f"area-{i}" for i in range(n_areas)]
    weights = [rng.random() ** 2 + 0.01 for _ in areas]
    start = date(2025, 1, 5)
    rows = []
    for _ in range(n_cases):
        onset = start + timedelta(days=int(rng.triangular(0, YEAR_DAYS, YEAR_DAYS * 0.6)))
        delay = rng.randint(15, 70) if rng.random() < late_share else rng.randint(0, 6)
        rows.append((rng.choices(areas, weights)[0], onset, onset + timedelta(days=delay)))
    return pd.DataFrame(rows, columns=["area", "onset", "report"]), areas, start


def _dense_city():
    rng = random.Random(7)
    areas = ["north", "south", "east"]
    start = date(2025, 1, 5)
    rows = []
    for _ in range(900):
        onset = start + timedelta(days=rng.randrange(YEAR_DAYS))
        delay = rng.randint(15, 50) if rng.random() < 0.3 else rng.randint(0, 6)
        rows.append((rng.choice(areas), onset, onset + timedelta(days=delay)))
    return pd.DataFrame(rows, columns=["area", "onset", "report"]), areas, start


@settings(max_examples=20, deadline=None)
@given(city=cities(), correct_every=st.sampled_from([1, 7, 30]))
def test_no_release_of_a_random_year_pins_a_small_count(city, correct_every):
    """Daily visits over a year of random data, with corrections: nothing pins."""
    cases, areas, start = city
    releases, truth = publish_year(cases, areas, start, correct_every=correct_every)

    pinned, checked = attack_releases(releases, truth)

    print(
        f"random: {len(releases)} releases, {checked} small counts attacked, {len(pinned)} pinned"
    )
    assert pinned == {}


# --- the demo, through the database -------------------------------------------------------


@pytest.fixture
def demo_cases(nst):
    """The demo's cases, a fifth of them reported five to ten weeks late (so corrections)."""
    rng = random.Random(14)
    names = dict(Subdistrict.objects.filter(municipality=nst).values_list("id", "name_th"))
    rows = []
    for case in DengueCase.objects.filter(municipality=nst, subdistrict__isnull=False):
        if rng.random() < 0.2:
            case.report_date = case.onset_date + timedelta(days=rng.randint(35, 70))
            DengueCase.objects.filter(pk=case.pk).update(report_date=case.report_date)
        rows.append((names[case.subdistrict_id], case.onset_date, case.report_date))
    return pd.DataFrame(rows, columns=["area", "onset", "report"]), sorted(set(names.values()))


def test_a_year_of_daily_demo_pages_pins_nothing(nst, demo_cases):
    """Every page a visitor could save, every day for a year: no small count is pinned."""
    cases, _areas = demo_cases
    first_day = cases.onset.min() + timedelta(days=7 + RELEASE_LAG_DAYS)
    seen: dict[tuple[date, int], tuple] = {}
    for offset in range(YEAR_DAYS + 60):
        today = first_day + timedelta(days=offset)
        dengue_releases_publish(municipality=nst, today=today)
        if offset % 14 == 0:
            for week in release_due_weeks(today=today, weeks=6):
                dengue_release_correct(municipality=nst, week=week, on=today, note="late reports")
        page = open_dengue_table(municipality=nst)
        for column, total, cells in zip(
            page.columns, page.totals, zip(*[c for _a, c in page.rows], strict=True), strict=True
        ):
            key = (column.week, column.version)
            shown = (tuple(a for a, _c in page.rows), cells, total)
            assert seen.setdefault(key, shown) == shown  # a published figure never changes
    stored = list(DengueRelease.objects.filter(municipality=nst).order_by("week", "version"))
    releases = [(r.week, r.version, WeekRelease.from_json(r.table)) for r in stored]
    truth = {(r.week, r.version): _counts(cases, _areas, r.week, r.published_on) for r in stored}
    assert {(w, v) for w, v, _t in releases} >= set(seen)
    assert any(v > 1 for _w, v, _t in releases)  # corrections were made and are attacked too

    pinned, checked = attack_releases(releases, truth)

    print(f"demo: {len(releases)} releases, {checked} small counts attacked, {len(pinned)} pinned")
    assert pinned == {}


def test_the_old_daily_table_would_have_been_pinned(nst, demo_cases):
    """The same attacker against the old page, recomputed daily: it pins (it can fail)."""
    cases, areas = demo_cases
    cases = cases.assign(report=cases.onset)  # the old page counted every case in the database
    days = [date(2026, 10, 1) + timedelta(days=n) for n in range(28)]

    pinned, checked = attack_old_daily_tables(cases, areas, days)

    print(f"old daily table, 28 days: {checked} small counts attacked, {len(pinned)} pinned")
    assert len(pinned) > 0


def test_corrections_not_checked_against_earlier_releases_would_pin():
    """Checking each correction alone (as recomputing a table does) lets late cases be pinned."""
    cases, areas, first_day = _dense_city()
    releases, truth = publish_year(cases, areas, first_day, correct_every=7, check_earlier=False)

    pinned, checked = attack_releases(releases, truth)

    print(
        f"unchecked corrections: {len(releases)} releases, {checked} attacked, {len(pinned)} pinned"
    )
    assert len(pinned) > 0


def test_a_release_with_a_small_cell_and_its_total_alone_would_pin():
    """Without complementary suppression the total gives the small cell away."""
    naive = WeekRelease(("a", "b", "c"), (SMALL, 7, 0), 9)

    pinned, _checked = attack_releases(
        [(date(2026, 1, 4), 1, naive)], {(date(2026, 1, 4), 1): {"a": 2, "b": 7, "c": 0}}
    )

    assert pinned == {("cell", date(2026, 1, 4), 1, "a"): 2}
