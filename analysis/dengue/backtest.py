"""In-sample backtest of one spraying radius on the case history (DESIGN.md section 3).

The page and the command line use `analysis.dengue.rolling.rolling_backtest`, which scores
out of sample and can say no; this one scores a radius on all cases at once. Its secondary
rule follows DESIGN.md (8-35 days, 1 km, never the radius tested): with the old default of
100 m any radius of 100 m or more covered every secondary case by construction.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import geopandas as gpd
import numpy as np

from analysis.dengue._common import (
    check_non_negative,
    check_positive,
    onset_days,
    pairs_within,
    point_xy,
    require_columns,
    require_metric_frame,
)
from analysis.dengue.zones import spray_zones

__all__ = ["BacktestComparison", "BacktestResult", "backtest", "backtest_against_policy"]


@dataclass(frozen=True)
class BacktestResult:
    """How many secondary cases a radius and schedule would have had inside a sprayed zone."""

    radius_m: float
    round_days: tuple[float, ...]
    n_cases: int
    n_secondary: int
    """Cases with an earlier case within ``secondary_distance_m`` and 8-35 days before."""
    n_covered: int
    """Secondary cases inside an earlier case's zone sprayed before their onset."""
    share_covered: float | None
    """``n_covered / n_secondary`` (None without secondary cases)."""
    sprayed_area_km2: float
    """Total area of the spray zones of all cases (each zone counted once, not per round)."""
    share_per_km2: float | None
    """``share_covered / sprayed_area_km2``: coverage bought per km2 sprayed."""

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class BacktestComparison:
    """A radius against the policy radius on the same cases and schedule."""

    candidate: BacktestResult
    policy: BacktestResult
    share_ratio: float | None
    """``candidate.share_covered / policy.share_covered``."""
    share_per_km2_ratio: float | None
    """``candidate.share_per_km2 / policy.share_per_km2``."""

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return asdict(self)


def backtest(
    cases: gpd.GeoDataFrame,
    *,
    radius_m: float,
    round_days: tuple[float, ...] = (0, 7),
    secondary_min_days: float = 8,
    secondary_max_days: float = 35,
    secondary_distance_m: float = 1000,
    report_col: str | None = None,
    time_col: str = "onset_date",
    active_days: float = 28,
) -> BacktestResult:
    """Share of secondary cases that fell inside an earlier, already sprayed zone.

    A *secondary* case has an earlier case at most ``secondary_distance_m`` away with an
    onset ``secondary_min_days`` to ``secondary_max_days`` days before its own (DESIGN.md).
    It is *covered* when it lies within ``radius_m`` of an earlier case (onset at most
    ``secondary_max_days`` before its own) whose first spraying round,
    ``report + min(round_days)`` (or ``onset + ...`` without ``report_col``), came before
    its onset. Later rounds repeat the spraying of the same zone and do not change coverage
    here; they matter for the work, not for who was inside.

    Parameters
    ----------
    cases : geopandas.GeoDataFrame
        Case houses as Points in a projected CRS in metres.
    radius_m : float
        Spray radius to test.
    round_days : tuple of float, default (0, 7)
        Days after the report of each spraying round.
    secondary_min_days, secondary_max_days : float, default 8 and 35
        Onset gap (inclusive) that makes a later case near an earlier one "secondary".
    secondary_distance_m : float, default 1000
        Distance (inclusive) that makes a later case "secondary"; never the radius tested.
    report_col : str, optional
        Report date column (same kind as the onsets); spraying is counted from the onset
        when omitted, which is optimistic.
    time_col : str, default "onset_date"
        Onset column.
    active_days : float, default 28
        Passed to `spray_zones` for the sprayed area.

    Returns
    -------
    BacktestResult
        Counts, the covered share and that share per km2 of sprayed zones.

    Raises
    ------
    TypeError
        If ``cases`` is not a GeoDataFrame.
    ValueError
        If the CRS is not metric, a column is missing or unparseable, or a parameter is out
        of range.

    Examples
    --------
    >>> import pandas as pd
    >>> from shapely.geometry import Point
    >>> cases = gpd.GeoDataFrame(
    ...     {"onset_date": pd.to_datetime(["2025-01-01", "2025-01-20", "2025-01-25"])},
    ...     geometry=[Point(0, 0), Point(80, 0), Point(-140, 0)],
    ...     crs="EPSG:32647",
    ... )
    >>> result = backtest(cases, radius_m=100, secondary_distance_m=150)
    >>> result.n_secondary, result.n_covered
    (2, 1)
    """
    require_metric_frame(cases, name="cases")
    require_columns(cases, [time_col, report_col], name="cases")
    check_positive(radius_m=radius_m)
    check_non_negative(
        secondary_min_days=secondary_min_days,
        secondary_max_days=secondary_max_days,
        secondary_distance_m=secondary_distance_m,
    )
    rounds = tuple(round_days)
    if not rounds or any(not math.isfinite(r) or r < 0 for r in rounds):
        raise ValueError(f"round_days must be one or more days >= 0, got {round_days!r}")
    if secondary_min_days > secondary_max_days:
        raise ValueError("secondary_min_days must not exceed secondary_max_days")
    xy = point_xy(cases, name="cases")
    onsets = onset_days(cases[time_col], column=time_col)
    onset = onsets.days
    if report_col is None:
        base = onset
    else:
        reports = onset_days(cases[report_col], column=report_col)
        if reports.is_date != onsets.is_date:
            raise ValueError(f"{report_col!r} and {time_col!r} must both be dates or both days")
        base = reports.days
    first_spray = base + min(rounds)

    i, j, distance = pairs_within(xy, distance_m=max(radius_m, secondary_distance_m))
    # Orient every pair from the earlier to the later onset; same-day pairs link neither way.
    earlier = np.where(onset[i] <= onset[j], i, j)
    later = np.where(onset[i] <= onset[j], j, i)
    gap = onset[later] - onset[earlier]
    secondary_link = (
        (distance <= secondary_distance_m)
        & (gap >= secondary_min_days)
        & (gap <= secondary_max_days)
    )
    cover_link = (
        (distance <= radius_m)
        & (gap > 0)
        & (gap <= secondary_max_days)
        & (first_spray[earlier] < onset[later])
    )
    is_secondary = np.zeros(len(onset), dtype=bool)
    is_secondary[later[secondary_link]] = True
    is_covered = np.zeros(len(onset), dtype=bool)
    is_covered[later[cover_link]] = True
    n_secondary = int(is_secondary.sum())
    n_covered = int((is_secondary & is_covered).sum())

    area_km2 = 0.0
    if len(cases):
        zones = spray_zones(cases, radius_m=radius_m, active_days=active_days, time_col=time_col)
        area_km2 = float(zones["area_m2"].sum()) / 1e6
    share = n_covered / n_secondary if n_secondary else None
    return BacktestResult(
        radius_m=float(radius_m),
        round_days=rounds,
        n_cases=len(onset),
        n_secondary=n_secondary,
        n_covered=n_covered,
        share_covered=share,
        sprayed_area_km2=area_km2,
        share_per_km2=share / area_km2 if share is not None and area_km2 > 0 else None,
    )


def backtest_against_policy(
    cases: gpd.GeoDataFrame, *, radius_m: float, policy_radius_m: float = 100, **options: object
) -> BacktestComparison:
    """`backtest` a radius and the policy radius on the same cases, with their ratios.

    Parameters
    ----------
    cases : geopandas.GeoDataFrame
        Case houses as Points in a projected CRS in metres.
    radius_m : float
        Candidate radius (e.g. ``recommended_radius(...).radius_m_90``).
    policy_radius_m : float, default 100
        The policy it is compared with.
    **options
        Other keyword arguments of `backtest` (schedule, secondary rule, columns).

    Returns
    -------
    BacktestComparison
        Both results and the candidate/policy ratios of the covered share and of the share
        per km2 (None where the policy's value is zero or undefined).
    """
    candidate = backtest(cases, radius_m=radius_m, **options)
    policy = backtest(cases, radius_m=policy_radius_m, **options)
    return BacktestComparison(
        candidate=candidate,
        policy=policy,
        share_ratio=_ratio(candidate.share_covered, policy.share_covered),
        share_per_km2_ratio=_ratio(candidate.share_per_km2, policy.share_per_km2),
    )


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator
