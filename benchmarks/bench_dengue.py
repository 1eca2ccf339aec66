"""Dengue benchmarks: the spray plan at national scale and the recommended radius.

dengue.spray_plan   Spray zones (100 m circles merged per connected group) and the households
                    within 100 m of a case house of each zone (`spray_zones(...,
                    households=...)`), for 100,000 generated cases and 2,000,000 generated
                    household points, against the raw geopandas way on the same frames:
                    `sjoin(households, cases, predicate="dwithin", distance=100)` plus
                    `cases.buffer(100).union_all()`. Both give the same sprayed area and the
                    same households (checked in every run).
                    Row dengue.spray_plan_28d: the same plan with the default 28-day merge
                    window (zones that closed do not merge with later ones), same baseline.
dengue.radius       `recommended_radius` on 10,000 simulated cases with 999 permutations
                    against the naive way: re-enumerate the pairs for every permutation with
                    `sjoin(cases, cases, predicate="dwithin", distance=1000)` and count them;
                    timed over a few permutations and scaled to 1 + 999 passes.

MUEANG_BENCH_SCALE (default 1) scales the data: 0.1 gives 10,000 cases and 200,000 households
(and 1,000 cases for the radius) for a quick run.
"""

from __future__ import annotations

import math
import os
import time
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from analysis.dengue import recommended_radius, spray_zones
from benchmarks.registry import Row, benchmark, elapsed_ms, sample
from fixtures.dengue_sim import TransmissionParams, simulate_dengue_cases

UTM47 = "EPSG:32647"
RADIUS_M = 100
ORIGIN = (600_000.0, 900_000.0)
NAIVE_PERMUTATIONS = 3


def bench_scale() -> float:
    """The data size factor from MUEANG_BENCH_SCALE (default 1)."""
    scale = float(os.environ.get("MUEANG_BENCH_SCALE", "1"))
    if not 0 < scale <= 10:
        raise ValueError(f"MUEANG_BENCH_SCALE must be in (0, 10], got {scale}")
    return scale


def spray_plan_data(scale: float, *, seed: int = 2568) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Generated households and cases over a 100 x 100 km region (times sqrt(scale)).

    Households: 85% in 150 towns (Gaussian blobs, sd 0.6-3 km, log-normal sizes), 15% rural
    and uniform. Cases: 40% index cases at random households with onsets over a year, 60%
    follow an index case within 150 m, a generation (about 15 days) later: dense, overlapping
    zones in towns and small ones in the country, as in a bad epidemic year.
    """
    rng = np.random.default_rng(seed)
    n_households, n_cases = int(2_000_000 * scale), int(100_000 * scale)
    side = 100_000.0 * math.sqrt(scale)
    x0, y0 = ORIGIN
    n_towns = max(3, int(150 * scale))
    town_x, town_y = x0 + rng.uniform(0, side, n_towns), y0 + rng.uniform(0, side, n_towns)
    weight = rng.lognormal(0, 1, n_towns)
    weight /= weight.sum()
    spread = 600 + 2400 * np.sqrt(weight / weight.max())
    n_town = int(n_households * 0.85)
    town = rng.choice(n_towns, n_town, p=weight)
    hx = np.concatenate(
        [
            town_x[town] + rng.normal(0, 1, n_town) * spread[town],
            x0 + rng.uniform(0, side, n_households - n_town),
        ]
    )
    hy = np.concatenate(
        [
            town_y[town] + rng.normal(0, 1, n_town) * spread[town],
            y0 + rng.uniform(0, side, n_households - n_town),
        ]
    )
    n_index = int(n_cases * 0.4)
    index_house = rng.integers(0, n_households, n_index)
    index_day = rng.integers(0, 365, n_index)
    n_follow = n_cases - n_index
    source = rng.integers(0, n_index, n_follow)
    step, angle = rng.uniform(0, 150, n_follow), rng.uniform(0, 2 * np.pi, n_follow)
    cx = np.concatenate([hx[index_house], hx[index_house][source] + step * np.cos(angle)])
    cy = np.concatenate([hy[index_house], hy[index_house][source] + step * np.sin(angle)])
    day = np.concatenate(
        [index_day, index_day[source] + np.rint(rng.gamma(25, 0.6, n_follow)).astype(int)]
    )
    cases = gpd.GeoDataFrame(
        {
            "case_id": np.arange(n_cases),
            "onset_date": pd.Timestamp("2025-01-01") + pd.to_timedelta(day, unit="D"),
        },
        geometry=gpd.points_from_xy(cx, cy),
        crs=UTM47,
    )
    households = gpd.GeoDataFrame(
        {"household_id": np.arange(n_households)}, geometry=gpd.points_from_xy(hx, hy), crs=UTM47
    )
    return cases, households


def _spray_plan_rows(repeat: int) -> list[Row]:
    scale = bench_scale()
    cases, households = spray_plan_data(scale)
    checked: dict[str, float] = {}

    def run() -> tuple[float, float, float]:
        start = time.perf_counter()
        joined = gpd.sjoin(households, cases, predicate="dwithin", distance=RADIUS_M)
        union = cases.buffer(RADIUS_M).union_all()
        baseline_ms = elapsed_ms(start)

        start = time.perf_counter()
        zones = spray_zones(
            cases, radius_m=RADIUS_M, merge_window_days=math.inf, households=households
        )
        candidate_ms = elapsed_ms(start)

        start = time.perf_counter()
        zones_28d = spray_zones(cases, radius_m=RADIUS_M, households=households)
        default_ms = elapsed_ms(start)

        # Same answer: the same sprayed area and the same households within 100 m of a case.
        if not math.isclose(zones["area_m2"].sum(), union.area, rel_tol=1e-9):
            raise RuntimeError(f"zone area {zones['area_m2'].sum()} != union area {union.area}")
        households_in = joined.index.nunique()
        if zones["n_households"].sum() != households_in:
            raise RuntimeError(f"{zones['n_households'].sum()} households vs {households_in}")
        checked.update(zones=len(zones), zones_28d=len(zones_28d))
        return baseline_ms, candidate_ms, default_ms

    baseline_ms, candidate_ms, default_ms = sample(run, repeat)
    size = f"{len(cases):,} cases, {len(households):,} households"
    return [
        Row(
            "dengue.spray_plan",
            f"{size}: zones merged per group + households ({checked['zones']:,} zones) "
            "vs sjoin(dwithin) + union_all",
            baseline_ms,
            candidate_ms,
            "ms",
        ),
        Row(
            "dengue.spray_plan_28d",
            f"{size}: the same, default 28-day merge window "
            f"({checked['zones_28d']:,} zones) vs the same",
            baseline_ms,
            default_ms,
            "ms",
        ),
    ]


@benchmark("dengue.spray_plan")
def spray_plan(repeat: int) -> list[Row]:
    """Spray zones and households inside, against sjoin + union_all on the same data."""
    return _spray_plan_rows(repeat)


def radius_cases(scale: float, *, seed: int = 7) -> gpd.GeoDataFrame:
    """10,000 simulated cases (times scale) over three years in a 20 x 20 km town."""
    n_cases = int(10_000 * scale)
    side = 20_000.0 * math.sqrt(scale)
    params = TransmissionParams(
        step_max_m=100,
        offspring_mean=0.5,
        offspring_dispersion=100,
        background_cases_per_week=36.0 * scale,
        max_cases=n_cases,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # max_cases stops the run on purpose
        return simulate_dengue_cases(
            area=box(*ORIGIN, ORIGIN[0] + side, ORIGIN[1] + side),
            crs=UTM47,
            start_date="2023-01-01",
            days=3 * 365,
            params=params,
            seed=seed,
        )


def naive_permutation_ms(cases: gpd.GeoDataFrame, *, permutations: int) -> float:
    """Milliseconds for `permutations` passes that re-enumerate the pairs every time."""
    days = ((cases["onset_date"] - cases["onset_date"].min()).dt.days).to_numpy()
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for _ in range(permutations):
        shuffled = rng.permutation(days)
        pairs = gpd.sjoin(cases, cases, predicate="dwithin", distance=1000)
        left, right = pairs.index.to_numpy(), pairs["index_right"].to_numpy()
        keep = left < right
        left, right = left[keep], right[keep]
        distance = cases.geometry.values[left].distance(cases.geometry.values[right])
        gap = np.abs(shuffled[left] - shuffled[right])
        in_window = (gap >= 8) & (gap <= 22)
        np.bincount(np.minimum(distance[in_window] // 10, 99).astype(int), minlength=100)
    return elapsed_ms(start)


@benchmark("dengue.radius")
def radius(repeat: int) -> list[Row]:
    """The recommended radius with 999 permutations against re-enumerating pairs each time."""
    cases = radius_cases(bench_scale()).reset_index(drop=True)
    n_pairs: list[int] = []

    def run() -> tuple[float, float]:
        per_pass = naive_permutation_ms(cases, permutations=NAIVE_PERMUTATIONS) / NAIVE_PERMUTATIONS
        start = time.perf_counter()
        answer = recommended_radius(cases, permutations=999, seed=1)
        candidate_ms = elapsed_ms(start)
        n_pairs[:] = [answer.n_pairs]
        return per_pass * 1000, candidate_ms

    baseline_ms, candidate_ms = sample(run, repeat)
    return [
        Row(
            "dengue.radius",
            f"{len(cases):,} cases, {n_pairs[0]:,} pairs <= 1 km, 999 permutations (goal < 10 s) "
            f"vs sjoin pairs per permutation ({NAIVE_PERMUTATIONS} timed, x1000)",
            baseline_ms,
            candidate_ms,
            "ms",
        )
    ]
