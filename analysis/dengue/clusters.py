"""Space-time clusters of dengue cases (DESIGN.md section 3: 150 m and 14 days, chained)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from analysis.dengue._common import (
    check_non_negative,
    connected_components,
    number_clusters,
    onset_days,
    pairs_within,
    point_xy,
    require_columns,
    require_metric_frame,
)

__all__ = ["cluster_edges", "space_time_clusters"]


def space_time_clusters(
    cases: gpd.GeoDataFrame,
    *,
    time_col: str = "onset_date",
    distance_m: float = 150.0,
    window_days: float = 14,
    min_cases: int = 2,
) -> gpd.GeoDataFrame:
    """Label chained space-time clusters of cases.

    Two cases are linked when they lie at most ``distance_m`` apart AND their onsets are at
    most ``window_days`` apart (both limits inclusive). Clusters are the connected groups of
    linked cases (single linkage, "chained"); groups of fewer than ``min_cases`` cases are
    noise. With ``min_cases=2`` this is space-time DBSCAN with ``minPts = 2``; larger
    ``min_cases`` drop small groups rather than using DBSCAN's core/border rule, so the
    answer never depends on row order.

    Parameters
    ----------
    cases : geopandas.GeoDataFrame
        Case houses as Points in a projected CRS in metres.
    time_col : str, default "onset_date"
        Onset column: dates, ISO date strings or numbers of days.
    distance_m : float, default 150
        Link distance in metres.
    window_days : float, default 14
        Link window in days.
    min_cases : int, default 2
        Smallest group that counts as a cluster.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``cases`` (same index, order and CRS) with an ``int64`` column
        ``cluster_id``: ``0, 1, ...`` numbered by the cluster's first onset, ``-1`` for noise.

    Raises
    ------
    TypeError
        If ``cases`` is not a GeoDataFrame.
    ValueError
        If the CRS is not metric, ``time_col`` is missing or unparseable, a geometry is not a
        Point, or a parameter is out of range.

    Examples
    --------
    >>> import pandas as pd
    >>> from shapely.geometry import Point
    >>> cases = gpd.GeoDataFrame(
    ...     {"onset_date": pd.to_datetime(["2025-01-01", "2025-01-10", "2025-03-01"])},
    ...     geometry=[Point(0, 0), Point(120, 0), Point(60, 0)],
    ...     crs="EPSG:32647",
    ... )
    >>> space_time_clusters(cases)["cluster_id"].tolist()
    [0, 0, -1]
    """
    require_metric_frame(cases, name="cases")
    if isinstance(min_cases, bool) or not isinstance(min_cases, int | np.integer) or min_cases < 1:
        raise ValueError(f"min_cases must be an int >= 1, got {min_cases!r}")
    source, target, onsets = cluster_edges(
        cases, time_col=time_col, distance_m=distance_m, window_days=window_days
    )
    out = cases.copy()
    if out.empty:
        out["cluster_id"] = np.empty(0, dtype=np.int64)
        return out
    labels = connected_components(len(cases), source, target)
    out["cluster_id"] = number_clusters(labels, onsets, min_size=int(min_cases))
    return out


def cluster_edges(
    cases: gpd.GeoDataFrame, *, time_col: str, distance_m: float, window_days: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Links of the space-time cluster rule as an edge list (row positions ``i < j``).

    Parameters
    ----------
    cases : geopandas.GeoDataFrame
        Case Points in a metric CRS.
    time_col : str
        Onset column (dates or days).
    distance_m : float
        Link distance in metres (inclusive).
    window_days : float
        Link window in days (inclusive).

    Returns
    -------
    (source, target, onset_days) : tuple of numpy arrays
        Edge endpoints and every case's onset as a day number.
    """
    require_metric_frame(cases, name="cases")
    require_columns(cases, [time_col], name="cases")
    check_non_negative(distance_m=distance_m, window_days=window_days)
    xy = point_xy(cases, name="cases")
    onsets = onset_days(cases[time_col], column=time_col)
    i, j, _ = pairs_within(xy, distance_m=distance_m)
    close_in_time = np.abs(onsets.days[i] - onsets.days[j]) <= window_days
    return i[close_in_time], j[close_in_time], onsets.days
