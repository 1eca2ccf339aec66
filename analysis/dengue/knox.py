"""The Knox test for space-time interaction (Knox 1964), a supporting analysis."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import geopandas as gpd
import numpy as np

from analysis.dengue._common import (
    WindowCounter,
    check_non_negative,
    onset_days,
    pairs_within,
    permuted_window_counts,
    point_xy,
    require_columns,
    require_metric_frame,
)

__all__ = ["KnoxResult", "knox_test"]


@dataclass(frozen=True)
class KnoxResult:
    """Knox statistic with its expectation and permutation p-value."""

    statistic: int
    """Pairs close in space (``<= distance_m``) and in time (``<= window_days``)."""
    expected: float
    """``n_space_pairs * n_time_pairs / n_pairs``: the count if time and place were unrelated."""
    n_space_pairs: int
    n_time_pairs: int
    n_pairs: int
    """All unordered pairs, ``n (n - 1) / 2``."""
    p_value: float | None
    """``(1 + #{permuted >= statistic}) / (permutations + 1)``; None without permutations."""
    distance_m: float
    window_days: float
    permutations: int
    seed: int | None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return asdict(self)


def knox_test(
    cases: gpd.GeoDataFrame,
    *,
    distance_m: float,
    window_days: float,
    permutations: int = 999,
    seed: int | None = None,
    time_col: str = "onset_date",
) -> KnoxResult:
    """Knox test: are cases close in space more often close in time than by chance.

    Counts the pairs at most ``distance_m`` apart whose onsets are at most ``window_days``
    apart (both inclusive, as in pysal's ``pointpats.Knox``), and compares the count with
    random permutations of the onsets among the cases.

    Parameters
    ----------
    cases : geopandas.GeoDataFrame
        Case houses as Points in a projected CRS in metres.
    distance_m : float
        Spatial closeness in metres.
    window_days : float
        Temporal closeness in days.
    permutations : int, default 999
        Random permutations for the p-value (0 for none).
    seed : int, optional
        Seed of the permutations.
    time_col : str, default "onset_date"
        Onset column: dates, ISO date strings or numbers of days.

    Returns
    -------
    KnoxResult
        The statistic, its expectation, the pair counts and the p-value.

    Raises
    ------
    TypeError
        If ``cases`` is not a GeoDataFrame.
    ValueError
        If the CRS is not metric, ``time_col`` is missing or unparseable, or a parameter is
        out of range.

    Examples
    --------
    >>> import pandas as pd
    >>> from shapely.geometry import Point
    >>> cases = gpd.GeoDataFrame(
    ...     {"day": [0, 3, 40, 41]},
    ...     geometry=[Point(0, 0), Point(50, 0), Point(5000, 0), Point(9000, 0)],
    ...     crs="EPSG:32647",
    ... )
    >>> knox_test(cases, distance_m=100, window_days=7, permutations=0, time_col="day").statistic
    1
    """
    require_metric_frame(cases, name="cases")
    require_columns(cases, [time_col], name="cases")
    check_non_negative(distance_m=distance_m, window_days=window_days)
    if isinstance(permutations, bool) or not isinstance(permutations, int) or permutations < 0:
        raise ValueError(f"permutations must be an int >= 0, got {permutations!r}")
    xy = point_xy(cases, name="cases")
    days = onset_days(cases[time_col], column=time_col).days
    n = len(days)
    n_pairs = n * (n - 1) // 2
    i, j, _ = pairs_within(xy, distance_m=distance_m)
    counter = WindowCounter(days, i, j, np.array([len(i)]), 0.0, window_days)
    statistic = int(counter.counts(days[None, :])[0, 0])
    n_time = _pairs_within_days(days, window_days)
    p_value = None
    if permutations:
        simulated = permuted_window_counts(counter, days, permutations=permutations, seed=seed)
        p_value = (1 + int(np.sum(simulated[:, 0] >= statistic))) / (permutations + 1)
    return KnoxResult(
        statistic=statistic,
        expected=len(i) * n_time / n_pairs if n_pairs else 0.0,
        n_space_pairs=len(i),
        n_time_pairs=n_time,
        n_pairs=n_pairs,
        p_value=p_value,
        distance_m=float(distance_m),
        window_days=float(window_days),
        permutations=permutations,
        seed=seed,
    )


def _pairs_within_days(days: np.ndarray, window_days: float) -> int:
    """Unordered pairs whose onsets are at most ``window_days`` apart (sorted sweep)."""
    t = np.sort(days)
    reach = np.searchsorted(t, t + window_days, side="right")
    return int((reach - np.arange(1, len(t) + 1)).sum())
