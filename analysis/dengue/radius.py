"""The recommended spraying radius: excess case pairs one transmission generation apart.

DESIGN.md section 3. Take every pair of cases at most ``max_distance_m`` apart (found with a
spatial index, never all pairs). In distance rings of ``ring_m`` metres, count the pairs whose
onset gap is one generation (``min_gap_days`` to ``max_gap_days``, inclusive): the *observed*
pairs. The *expected* count, if onset dates were unrelated to place, is the ring's pairs times
the share of all pairs within ``max_distance_m`` whose gap lies in the window.

Why the share within ``max_distance_m`` rather than over all ``n (n - 1) / 2`` pairs of the
town: transmission chains make whole neighbourhoods have their outbreak in the same weeks, so
pairs a few hundred metres apart are more often one generation apart than pairs across town,
even where no case infected the other. Against the town-wide share that broad excess keeps the
running excess rising up to 1 km (in simulations with a 100 m step, a 90% radius of 150-400 m);
against the share within 1 km it cancels, and the running excess returns to exactly zero at
``max_distance_m``, so with a few hundred cases or more a random wiggle far out does not
outgrow the peak of real clustering. With few cases it can: on the demo's first 49 cases a bump
near 570 m outgrew the excess near the houses and the 90% radius came out at 400 m. The advice
a page gives is therefore the out-of-sample backtest's (`analysis.dengue.rolling`), which
judges each step out against chance; this radius is its candidate.

The envelope comes from random permutations of the onset dates among the cases (locations
fixed); each permutation gets its own expected counts by the same rule. The running
(cumulative) excess ``sum(observed - expected)`` grows while pairs one generation apart are
more common than expected and stops growing where clustering ends: its peak (the largest
value; the first ring reaching it when several tie). The recommended radii are the outer
edges of the first rings whose running excess reaches 80% and 90% of the peak, rounded up to
25 m and clamped to 50-400 m.

Evidence is "insufficient" (and both radii are the 100 m policy) when there are fewer than
``min_cases`` cases or ``min_pairs`` pairs in the window within ``max_distance_m``, when the
running excess never rises above zero, or when it stays inside the simultaneous permutation
envelope: the test statistic is the largest running excess divided by its permutation
standard deviation, taken over all rings at once (so 100 rings are not 100 chances of a false
alarm), and the evidence is sufficient when its permutation p-value is at most ``alpha``.
The pointwise 2.5%-97.5% envelope of each ring's observed count is reported for the chart.

Known bias: with strongly over-dispersed offspring (a few households causing most secondary
cases), relatives one generation apart that did not infect each other (an uncle and his
nephew) are also near in space and time, so the excess reaches beyond one transmission step
and the recommendation errs on the large side.

References: Knox (1964) and Mantel (1967) for space-time pair counts; Aldstadt et al. (2012),
Trop Med Int Health 17:1076, for dengue pairs in Thailand at a 15-17 day interval; Loader &
Baddeley / Myllymaki et al. (2017), J R Stat Soc B 79:381, for global envelope tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis.dengue._common import (
    WindowCounter,
    check_non_negative,
    check_positive,
    finite_json,
    onset_days,
    pairs_within,
    permuted_window_counts,
    point_xy,
    require_columns,
    require_metric_frame,
)
from analysis.dengue.zones import spray_zones, zone_contents

__all__ = [
    "POLICY_RADIUS_M",
    "LagBin",
    "RadiusParameters",
    "RadiusRecommendation",
    "Ring",
    "radius_costs",
    "recommended_radius",
]

#: The default policy (DESIGN.md): spray 100 m around each case house.
POLICY_RADIUS_M = 100
#: Recommendations are rounded up to this step and clamped to the range below.
ROUND_TO_M = 25
MIN_RADIUS_M = 50
MAX_RADIUS_M = 400

Evidence = Literal["sufficient", "insufficient"]


@dataclass(frozen=True)
class Ring:
    """One distance ring ``[from_m, to_m)`` of the pair analysis."""

    from_m: float
    to_m: float
    pairs: int
    """Case pairs in the ring (any onset gap)."""
    observed: int
    """Pairs in the ring whose onset gap is in the generation window."""
    expected: float
    """``pairs`` x the share of pairs within ``max_distance_m`` whose gap is in the window."""
    excess: float
    running_excess: float
    """Cumulative excess from 0 m to ``to_m``."""
    envelope_low: float
    """``expected`` + the 2.5% quantile of the permutations' excess in this ring."""
    envelope_high: float
    """``expected`` + the 97.5% quantile of the permutations' excess in this ring."""
    running_envelope_high: float
    """Simultaneous (1 - alpha) upper envelope of ``running_excess`` over all rings."""


@dataclass(frozen=True)
class LagBin:
    """Pairs within ``lag_distance_m`` by onset gap: where in time the excess lies."""

    gap_days: int
    """Gaps in ``[gap_days, gap_days + 1)`` days."""
    observed: int
    expected: float
    excess: float


@dataclass(frozen=True)
class RadiusParameters:
    """The settings a recommendation was computed with."""

    min_gap_days: float
    max_gap_days: float
    ring_m: float
    max_distance_m: float
    permutations: int
    seed: int | None
    alpha: float
    min_cases: int
    min_pairs: int


@dataclass(frozen=True)
class RadiusRecommendation:
    """The answer of `recommended_radius`; ``to_dict()`` is the JSON of the CLI."""

    radius_m_80: int
    radius_m_90: int
    clustering_end_m: float | None
    """Outer edge of the ring where the running excess peaks (None without pairs)."""
    evidence: Evidence
    reason: str
    """Why the evidence is insufficient ("" when sufficient)."""
    n_cases: int
    n_pairs: int
    """Case pairs at most ``max_distance_m`` apart."""
    n_window_pairs: int
    """Of those, pairs whose onset gap is in the generation window."""
    share_in_window: float
    """``n_window_pairs / n_pairs``: the share behind the expected counts."""
    peak_excess: float
    p_value: float | None
    """Permutation p-value of the largest standardised running excess."""
    lag_distance_m: float
    rings: tuple[Ring, ...]
    lag_profile: tuple[LagBin, ...]
    parameters: RadiusParameters

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict: the output of ``python -m analysis dengue-radius --json``."""
        out = asdict(self)
        out["rings"] = [asdict(ring) for ring in self.rings]
        out["lag_profile"] = [asdict(lag) for lag in self.lag_profile]
        return finite_json(out)


def recommended_radius(
    cases: gpd.GeoDataFrame,
    *,
    time_col: str = "onset_date",
    min_gap_days: float = 8,
    max_gap_days: float = 22,
    ring_m: float = 10,
    max_distance_m: float = 1000,
    permutations: int = 999,
    seed: int | None = None,
    min_cases: int = 30,
    min_pairs: int = 20,
    alpha: float = 0.05,
    lag_max_days: int = 60,
    progress: Callable[[int], None] | None = None,
) -> RadiusRecommendation:
    """Recommend a spraying radius from the case history (the excess-pairs method).

    See the module docstring for the method and its references.

    Parameters
    ----------
    cases : geopandas.GeoDataFrame
        Case houses as Points in a projected CRS in metres.
    time_col : str, default "onset_date"
        Onset column: dates, ISO date strings or numbers of days.
    min_gap_days, max_gap_days : float, default 8 and 22
        The generation window (inclusive): onset gaps of one transmission generation.
    ring_m : float, default 10
        Width of the distance rings in metres.
    max_distance_m : float, default 1000
        Pairs farther apart are not considered.
    permutations : int, default 999
        Random permutations of onset dates among the cases for the envelope and the test;
        at least ``1 / alpha - 1``.
    seed : int, optional
        Seed of the permutations; the same data and seed give the same answer.
    min_cases : int, default 30
        Fewer cases than this give "insufficient evidence".
    min_pairs : int, default 20
        Fewer pairs in the window within ``max_distance_m`` give "insufficient evidence".
    alpha : float, default 0.05
        Level of the permutation test.
    lag_max_days : int, default 60
        Longest onset gap shown in the lag profile.
    progress : callable, optional
        Called with the number of permutations just finished (for a progress bar; may be
        called from several threads, one call at a time).

    Returns
    -------
    RadiusRecommendation
        Radii (``radius_m_80``, ``radius_m_90``), ``clustering_end_m``, ``evidence`` and
        its ``reason``, counts, the ``rings`` and the ``lag_profile`` (pairs within
        ``lag_distance_m`` = ``radius_m_90`` by onset gap).

    Raises
    ------
    TypeError
        If ``cases`` is not a GeoDataFrame.
    ValueError
        If the CRS is not metric, ``time_col`` is missing or unparseable, a geometry is not a
        Point, or a parameter is out of range.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from fixtures.dengue_sim import TransmissionParams, simulate_dengue_cases
    >>> cases = simulate_dengue_cases(
    ...     area=box(0, 0, 3_000, 3_000), crs="EPSG:32647", start_date="2025-01-01",
    ...     days=90, params=TransmissionParams(background_cases_per_week=1.0), seed=1,
    ... )
    >>> answer = recommended_radius(cases, permutations=99, seed=1)
    >>> answer.evidence, answer.radius_m_90
    ('insufficient', 100)
    """
    require_metric_frame(cases, name="cases")
    require_columns(cases, [time_col], name="cases")
    check_non_negative(min_gap_days=min_gap_days)
    check_positive(ring_m=ring_m, max_distance_m=max_distance_m)
    if not min_gap_days <= max_gap_days:
        raise ValueError(f"min_gap_days ({min_gap_days}) must not exceed max_gap_days")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    for name, value in (
        ("permutations", permutations),
        ("min_cases", min_cases),
        ("min_pairs", min_pairs),
        ("lag_max_days", lag_max_days),
    ):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise ValueError(f"{name} must be an int >= 0, got {value!r}")
    if (permutations + 1) * alpha < 1:
        raise ValueError(
            f"permutations={permutations} cannot reach a p-value of {alpha}: "
            f"use at least {math.ceil(1 / alpha) - 1}"
        )
    parameters = RadiusParameters(
        min_gap_days=min_gap_days,
        max_gap_days=max_gap_days,
        ring_m=ring_m,
        max_distance_m=max_distance_m,
        permutations=int(permutations),
        seed=seed,
        alpha=alpha,
        min_cases=int(min_cases),
        min_pairs=int(min_pairs),
    )
    xy = point_xy(cases, name="cases")
    days = onset_days(cases[time_col], column=time_col).days
    n_cases = len(days)

    edges = np.minimum(np.arange(_ring_count(ring_m, max_distance_m) + 1) * ring_m, max_distance_m)
    i, j, distance = pairs_within(xy, distance_m=max_distance_m)
    ring = np.minimum((distance // ring_m).astype(np.int64), len(edges) - 2)
    by_ring = np.argsort(ring, kind="stable")
    i, j, ring, distance = i[by_ring], j[by_ring], ring[by_ring], distance[by_ring]
    ring_pairs = np.bincount(ring, minlength=len(edges) - 1)

    counter = WindowCounter(days, i, j, ring_pairs, min_gap_days, max_gap_days)
    observed = counter.counts(days[None, :])[0]
    simulated = permuted_window_counts(
        counter, days, permutations=permutations, seed=seed, progress=progress
    )
    # Expected: ring pairs x the share of the pairs within max_distance_m whose gap is in the
    # window, computed afresh for every permutation (each then ends at zero excess too).
    n_pairs = max(len(i), 1)
    share = float(observed.sum()) / n_pairs
    expected = ring_pairs * share
    expected_sim = ring_pairs[None, :] * (simulated.sum(axis=1, keepdims=True) / n_pairs)

    running = np.cumsum(observed - expected)
    running_sim = np.cumsum(simulated - expected_sim, axis=1)
    p_value, simultaneous_high = _global_test(running, running_sim, alpha=alpha)
    low, high = _pointwise_envelope(expected, simulated - expected_sim)

    peak_ring = int(np.argmax(running)) if len(running) else 0
    peak = float(running[peak_ring]) if len(running) else 0.0
    reason = _insufficiency(
        n_cases=n_cases,
        n_window_pairs=int(observed.sum()),
        peak=peak,
        p_value=p_value,
        parameters=parameters,
    )
    if reason:
        radius_80 = radius_90 = POLICY_RADIUS_M
    else:
        radius_80 = _covering_radius(running, edges, peak_ring, fraction=0.8)
        radius_90 = _covering_radius(running, edges, peak_ring, fraction=0.9)

    rings = tuple(
        Ring(
            from_m=float(edges[k]),
            to_m=float(edges[k + 1]),
            pairs=int(ring_pairs[k]),
            observed=int(observed[k]),
            expected=float(expected[k]),
            excess=float(observed[k] - expected[k]),
            running_excess=float(running[k]),
            envelope_low=float(low[k]),
            envelope_high=float(high[k]),
            running_envelope_high=float(simultaneous_high[k]),
        )
        for k in range(len(edges) - 1)
    )
    return RadiusRecommendation(
        radius_m_80=radius_80,
        radius_m_90=radius_90,
        clustering_end_m=float(edges[peak_ring + 1]) if len(i) else None,
        evidence="insufficient" if reason else "sufficient",
        reason=reason,
        n_cases=n_cases,
        n_pairs=len(i),
        n_window_pairs=int(observed.sum()),
        share_in_window=share,
        peak_excess=peak,
        p_value=p_value,
        lag_distance_m=float(radius_90),
        rings=rings,
        lag_profile=_lag_profile(days, i, j, distance, radius_90, lag_max_days),
        parameters=parameters,
    )


def _ring_count(ring_m: float, max_distance_m: float) -> int:
    # A hair of tolerance so that 1000 / 10 is 100 rings, not 101.
    return max(1, math.ceil(max_distance_m / ring_m - 1e-9))


def _global_test(
    running: np.ndarray, running_sim: np.ndarray, *, alpha: float
) -> tuple[float | None, np.ndarray]:
    """Permutation p-value of the largest standardised running excess, and its envelope."""
    if len(running_sim) == 0 or len(running) == 0:
        return None, np.full(len(running), np.nan)
    sd = running_sim.std(axis=0)
    usable = sd > 0
    if not usable.any():
        return 1.0, np.zeros(len(running))
    observed = float(np.max(running[usable] / sd[usable]))
    simulated = np.max(running_sim[:, usable] / sd[usable], axis=1)
    p_value = (1 + int(np.sum(simulated >= observed - 1e-12))) / (len(simulated) + 1)
    threshold = float(np.quantile(simulated, 1 - alpha))
    return p_value, threshold * sd


def _pointwise_envelope(
    expected: np.ndarray, simulated_excess: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per ring, expected + the 2.5% and 97.5% quantiles of the permutations' excess."""
    if len(simulated_excess) == 0:
        nan = np.full(len(expected), np.nan)
        return nan, nan.copy()
    low, high = np.quantile(simulated_excess, [0.025, 0.975], axis=0)
    return expected + low, expected + high


def _insufficiency(
    *,
    n_cases: int,
    n_window_pairs: int,
    peak: float,
    p_value: float | None,
    parameters: RadiusParameters,
) -> str:
    """Why the evidence is insufficient, or "" when it suffices."""
    keep = f"; keep {POLICY_RADIUS_M} m"
    if n_cases < parameters.min_cases:
        return f"too few cases ({n_cases} < {parameters.min_cases}){keep}"
    if n_window_pairs < parameters.min_pairs:
        return (
            f"too few case pairs one generation apart within {parameters.max_distance_m:g} m "
            f"({n_window_pairs} < {parameters.min_pairs}){keep}"
        )
    if peak <= 0:
        return f"no excess of case pairs one generation apart at any distance{keep}"
    if p_value is None or p_value > parameters.alpha:
        shown = "no permutations" if p_value is None else f"p = {p_value:.3f}"
        return (
            f"the excess stays inside the permutation envelope ({shown}, "
            f"alpha = {parameters.alpha:g}){keep}"
        )
    return ""


def _covering_radius(
    running: np.ndarray, edges: np.ndarray, peak_ring: int, *, fraction: float
) -> int:
    """Smallest ring edge covering ``fraction`` of the peak, rounded up to 25 m and clamped."""
    peak = running[peak_ring]
    reached = np.flatnonzero(running[: peak_ring + 1] >= fraction * peak)
    raw = float(edges[reached[0] + 1])
    rounded = math.ceil(raw / ROUND_TO_M - 1e-9) * ROUND_TO_M
    return int(min(max(rounded, MIN_RADIUS_M), MAX_RADIUS_M))


def _lag_profile(
    days: np.ndarray,
    i: np.ndarray,
    j: np.ndarray,
    distance: np.ndarray,
    lag_distance_m: float,
    lag_max_days: int,
) -> tuple[LagBin, ...]:
    """Pairs within ``lag_distance_m`` per whole day of onset gap, observed and expected.

    Expected: the pairs within ``lag_distance_m`` times the share of all pairs within
    ``max_distance_m`` with that gap (the same rule as the rings).
    """
    gaps = np.floor(np.abs(days[i] - days[j])).astype(np.int64)
    shown = gaps <= lag_max_days
    near = distance <= lag_distance_m
    observed = np.bincount(gaps[near & shown], minlength=lag_max_days + 1)
    all_pairs = np.bincount(gaps[shown], minlength=lag_max_days + 1)
    expected = int(near.sum()) * all_pairs / max(len(gaps), 1)
    return tuple(
        LagBin(
            gap_days=g,
            observed=int(observed[g]),
            expected=float(expected[g]),
            excess=float(observed[g] - expected[g]),
        )
        for g in range(lag_max_days + 1)
    )


def radius_costs(
    cases: gpd.GeoDataFrame,
    households: gpd.GeoDataFrame | None = None,
    *,
    radii_m: tuple[float, ...] = (50, 100, 150, 200),
    recommendation: RadiusRecommendation | None = None,
    time_col: str = "onset_date",
    active_days: float = 28,
) -> pd.DataFrame:
    """The cost of each radius option: area sprayed and households inside.

    Zones are those of `spray_zones` (circles merged per connected group, a zone closing
    ``active_days`` after its last onset). Area and households are summed over zones, so a
    place sprayed in two separate outbreaks counts twice, as it costs twice.

    Parameters
    ----------
    cases : geopandas.GeoDataFrame
        Case houses as Points in a projected CRS in metres.
    households : geopandas.GeoDataFrame, optional
        Household points (counted within the radius of a case house) or building footprints
        (counted when they touch a zone) in the same CRS; without them only the area.
    radii_m : tuple of float, default (50, 100, 150, 200)
        Options to cost.
    recommendation : RadiusRecommendation, optional
        Adds its 80% and 90% radii (if not already listed) as options.
    time_col : str, default "onset_date"
        Onset column.
    active_days : float, default 28
        Days a zone stays open after its last onset.

    Returns
    -------
    pandas.DataFrame
        One row per radius (ascending) with ``radius_m``, ``option`` ("policy",
        "recommended 80%", "recommended 90%" or ""), ``n_zones``, ``area_m2``,
        ``area_ratio_to_policy`` and ``n_households`` (when households are given).

    Raises
    ------
    TypeError
        If an input is not a GeoDataFrame.
    ValueError
        If a CRS is not metric or they differ, or a radius is not positive.
    """
    require_metric_frame(cases, name="cases")
    for radius in radii_m:
        check_positive(radius_m=radius)
    labels: dict[float, list[str]] = {float(r): [] for r in radii_m}
    labels.setdefault(float(POLICY_RADIUS_M), []).append("policy")
    if recommendation is not None:
        labels.setdefault(float(recommendation.radius_m_80), []).append("recommended 80%")
        labels.setdefault(float(recommendation.radius_m_90), []).append("recommended 90%")
    # Household points count by the rule (within the radius of a case house); footprints by
    # intersecting the zone polygons.
    as_points = households is not None and bool((households.geometry.geom_type == "Point").all())
    rows = []
    for radius in sorted(labels):
        zones = spray_zones(
            cases,
            radius_m=radius,
            active_days=active_days,
            time_col=time_col,
            households=households if as_points else None,
        )
        row: dict[str, object] = {
            "radius_m": radius,
            "option": ", ".join(labels[radius]),
            "n_zones": len(zones),
            "area_m2": float(zones["area_m2"].sum()),
        }
        if households is not None:
            inside = zones if as_points else zone_contents(zones, households=households)
            row["n_households"] = int(inside["n_households"].sum())
        rows.append(row)
    table = pd.DataFrame(rows)
    policy_area = table.loc[table["radius_m"] == POLICY_RADIUS_M, "area_m2"].iloc[0]
    table.insert(
        4, "area_ratio_to_policy", table["area_m2"] / policy_area if policy_area else np.nan
    )
    return table
