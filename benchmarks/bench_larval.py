"""Larval survey benchmarks (issue 18): the indices against a plain pandas groupby.

larval.indices   `larval_indices(table, by="zone")` on 100,000 generated house visits (about
                 1,000,000 container rows, text cells as a CSV gives them; 5 % of houses
                 visited twice in a round, 6 % vacant, closed or refused), against a plain
                 pandas groupby of the same rule without any checks: numbers with
                 `to_numeric`, visits summed, the latest surveyed visit of each house and
                 round kept with `sort_values` + `drop_duplicates`, then sums per zone. Both
                 answers are compared in every run. The ratio is the price of the row checks
                 (each refused row named in Thai and English) and of the repeat flags.
larval.csv       The same survey written as a CSV: `read_survey_csv` (line numbers, BOM and
                 line-break checks) plus `larval_indices`, against `pd.read_csv` plus the
                 groupby baseline.

MUEANG_BENCH_SCALE (default 1) scales the number of visits; 0.1 runs in a few seconds.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.larval import larval_indices
from analysis.larval_cli import read_survey_csv
from benchmarks.registry import Row, benchmark, elapsed_ms, sample

VISITS = 100_000
#: DDC numbers used by the generator (0-10 and 12; 11 is not on the DDC list).
TYPES = np.array([str(n) for n in (*range(11), 12)], dtype=object)
STATUS_SHARE = {"vacant": 0.02, "closed": 0.03, "refused": 0.01}
REPEAT_SHARE = 0.05
COUNTS = ("houses_surveyed", "houses_positive", "containers", "containers_positive")


def bench_scale() -> float:
    """``MUEANG_BENCH_SCALE`` (default 1): multiplies the number of visits."""
    value = float(os.environ.get("MUEANG_BENCH_SCALE", "1"))
    if not 0 < value <= 10:
        raise ValueError(f"MUEANG_BENCH_SCALE must be in (0, 10], got {value}")
    return value


def survey_table(n_visits: int, *, seed: int = 18) -> pd.DataFrame:
    """``n_visits`` house visits in 200 zones and 2 rounds, about 10 container rows each."""
    rng = np.random.default_rng(seed)
    n_repeats = int(n_visits * REPEAT_SHARE)
    n_houses = n_visits - n_repeats
    house = np.concatenate([np.arange(n_houses), rng.choice(n_houses, n_repeats, replace=False)])
    round_ = np.where(house % 2 == 0, "1", "2")
    day = np.concatenate([rng.integers(1, 10, n_houses), rng.integers(10, 20, n_repeats)])
    status = rng.choice(
        ["", *STATUS_SHARE], n_visits, p=[1 - sum(STATUS_SHARE.values()), *STATUS_SHARE.values()]
    )
    n_rows = np.where(status == "", rng.integers(5, 16, n_visits), 1)
    visit = np.repeat(np.arange(n_visits), n_rows)
    slot = np.arange(len(visit)) - np.repeat(np.cumsum(n_rows) - n_rows, n_rows)
    surveyed = status[visit] == ""
    containers = np.where(surveyed, rng.integers(0, 6, len(visit)), 0)
    positive = np.minimum(containers, rng.binomial(containers, 0.04))
    return pd.DataFrame(
        {
            "house_id": np.char.add("H", house[visit].astype(str)),
            "place_type": "community",
            "zone": np.char.add("Z", (house[visit] % 200).astype(str)),
            "round": round_[visit],
            "survey_date": np.char.add("2025-06-", np.char.zfill(day[visit].astype(str), 2)),
            "status": status[visit],
            "container_type": np.where(surveyed, TYPES[slot % len(TYPES)], ""),
            "location": np.where(surveyed, np.where(slot < len(TYPES), "indoor", "outdoor"), ""),
            "containers": np.where(surveyed, containers.astype(str), ""),
            "positive": np.where(surveyed, positive.astype(str), ""),
        }
    ).astype("str")


def groupby_baseline(table: pd.DataFrame) -> pd.DataFrame:
    """The same rule as plain pandas, no checks: sums per zone of the counted visits."""
    rows = table.assign(
        containers=pd.to_numeric(table["containers"].replace("", "0")),
        positive=pd.to_numeric(table["positive"].replace("", "0")),
    )
    keys = ["house_id", "round", "survey_date", "status", "zone"]
    visits = rows.groupby(keys, sort=False)[["containers", "positive"]].sum().reset_index()
    visits["surveyed"] = visits["status"] == ""
    counted = visits.sort_values(["surveyed", "survey_date"]).drop_duplicates(
        ["house_id", "round"], keep="last"
    )
    counted = counted[counted["surveyed"]].assign(house_positive=lambda v: v["positive"] > 0)
    return counted.groupby("zone").agg(
        houses_surveyed=("house_id", "size"),
        houses_positive=("house_positive", "sum"),
        containers=("containers", "sum"),
        containers_positive=("positive", "sum"),
    )


def _check_same(baseline: pd.DataFrame, table: pd.DataFrame) -> int:
    """Compare the groups of `larval_indices` with the baseline; return the repeat flags."""
    result = larval_indices(table, by="zone")
    ours = pd.DataFrame(
        [[getattr(g, name) for name in COUNTS] for _, g in result.groups],
        index=[value for value, _ in result.groups],
        columns=list(COUNTS),
    ).sort_index()
    theirs = baseline.sort_index()[list(COUNTS)]
    if not (ours.to_numpy() == theirs.to_numpy()).all() or list(ours.index) != list(theirs.index):
        raise AssertionError("larval_indices and the groupby baseline disagree")
    return len(result.repeat_visits)


@benchmark("larval.indices")
def indices(repeat: int) -> list[Row]:
    """`larval_indices` against a plain pandas groupby of the same rule."""
    table = survey_table(int(VISITS * bench_scale()))
    n_repeats = _check_same(groupby_baseline(table), table)

    def run() -> tuple[float, float]:
        start = time.perf_counter()
        groupby_baseline(table)
        baseline_ms = elapsed_ms(start)
        start = time.perf_counter()
        larval_indices(table, by="zone")
        return baseline_ms, elapsed_ms(start)

    baseline_ms, candidate_ms = sample(run, repeat)
    measures = (
        f"{int(VISITS * bench_scale()):,} visits, {len(table):,} rows, {n_repeats:,} repeats, "
        "by 200 zones, checked vs plain pandas groupby (same answer)"
    )
    return [Row("larval.indices", measures, baseline_ms, candidate_ms, "ms")]


@benchmark("larval.csv")
def from_csv(repeat: int) -> list[Row]:
    """Read the CSV and compute, against `pd.read_csv` and the groupby baseline."""
    table = survey_table(int(VISITS * bench_scale()))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "survey.csv"
        table.to_csv(path, index=False)
        size_mb = path.stat().st_size / 1e6

        def run() -> tuple[float, float]:
            start = time.perf_counter()
            groupby_baseline(pd.read_csv(path, dtype=str, keep_default_na=False))
            baseline_ms = elapsed_ms(start)
            start = time.perf_counter()
            larval_indices(read_survey_csv(path), by="zone")
            return baseline_ms, elapsed_ms(start)

        baseline_ms, candidate_ms = sample(run, repeat)
    measures = f"{len(table):,} rows, {size_mb:.0f} MB CSV, read + indices vs read_csv + groupby"
    return [Row("larval.csv", measures, baseline_ms, candidate_ms, "ms")]
