"""One summary per space-time cluster: size, dates, when it closes, landmarks near it.

The clusters are those of `space_time_clusters` (DESIGN.md section 3: cases within 150 m and
14 days of each other, chained); a cluster closes, as a spray zone does, `active_days` (28)
after its last onset. The summary names the landmarks (temples, schools, markets...) within
the link distance of one of its cases: the places where a health officer would hold a
community clean-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import geopandas as gpd
import numpy as np
import shapely

from analysis.dengue._common import require_columns, require_metric_frame
from analysis.dengue.zones import zone_features

__all__ = ["ClusterSummary", "cluster_summaries"]

#: Segments per quarter circle of the buffers: geopandas' default, which the summaries had.
QUAD_SEGMENTS = 16


@dataclass(frozen=True)
class ClusterSummary:
    """A cluster's size, first and last onset, closing day and nearby landmarks."""

    cluster_id: int
    n_cases: int
    first_onset: date
    last_onset: date
    closes_on: date
    active: bool
    landmarks: list[tuple[str, str]]
    """(name, category) of landmarks within the cluster distance of one of its cases."""
    area: object
    """Union of circles of half the link distance around its cases (metric CRS)."""


def cluster_summaries(
    cases: gpd.GeoDataFrame,
    *,
    landmarks: gpd.GeoDataFrame,
    as_of: date,
    distance_m: float = 150.0,
    active_days: int = 28,
    time_col: str = "onset_date",
    cluster_col: str = "cluster_id",
) -> list[ClusterSummary]:
    """Summaries of the clusters of `cases`, newest first.

    Parameters
    ----------
    cases : geopandas.GeoDataFrame
        Case points in a projected CRS in metres, with ``onset_date`` (datetime64) and
        ``cluster_id`` (from `space_time_clusters`; negative for cases in no cluster).
    landmarks : geopandas.GeoDataFrame
        Landmarks in the same CRS with ``name_th``, ``name_en`` and ``category``; may be empty.
    as_of : datetime.date
        The date of the situation: a cluster is active while `as_of` is before ``closes_on``.
    distance_m : float, default 150
        The link distance of the clusters: landmarks within it of a case are listed, and the
        ``area`` is the union of circles of half of it around the cases.
    active_days : int, default 28
        A cluster closes this many days after its last onset.
    time_col, cluster_col : str
        Names of the onset and cluster columns.

    Returns
    -------
    list of ClusterSummary
        Ordered by last onset, then cluster id, both descending. Empty without clusters.

    Raises
    ------
    TypeError
        If `cases` is not a GeoDataFrame.
    ValueError
        If its CRS is not metric or a column is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> from shapely.geometry import Point
    >>> cases = gpd.GeoDataFrame(
    ...     {"onset_date": pd.to_datetime(["2025-06-01", "2025-06-05", "2025-06-20"]),
    ...      "cluster_id": [0, 0, -1]},
    ...     geometry=[Point(0, 0), Point(100, 0), Point(5000, 0)], crs="EPSG:32647")
    >>> none = gpd.GeoDataFrame({"name_th": [], "name_en": [], "category": []},
    ...     geometry=[], crs="EPSG:32647")
    >>> [summary] = cluster_summaries(cases, landmarks=none, as_of=date(2025, 6, 10))
    >>> summary.n_cases, str(summary.closes_on), summary.active
    (2, '2025-07-03', True)
    """
    require_metric_frame(cases, name="cases")
    require_columns(cases, [time_col, cluster_col], name="cases")
    members_of = cases[cases[cluster_col] >= 0]
    if members_of.empty:
        return []
    # Positions of each cluster's cases, found in one pass: selecting a frame per cluster with a
    # boolean mask cost about 1 ms each, twice per cluster (the dashboard's slowest step).
    positions = members_of.groupby(cluster_col, sort=True).indices
    points = np.asarray(members_of.geometry.values)
    onsets = members_of[time_col]
    nearby = _landmarks_near(
        points, positions, landmarks, distance_m=distance_m, crs=members_of.crs
    )
    halves = shapely.buffer(points, distance_m / 2, quad_segs=QUAD_SEGMENTS)
    out = []
    for cluster_id, where in positions.items():
        times = onsets.iloc[where]
        last = times.max().date()
        closes = last + timedelta(days=active_days)
        out.append(
            ClusterSummary(
                cluster_id=int(cluster_id),
                n_cases=len(where),
                first_onset=times.min().date(),
                last_onset=last,
                closes_on=closes,
                active=as_of < closes,
                landmarks=nearby.get(cluster_id, []),
                area=shapely.union_all(halves[where]),
            )
        )
    return sorted(out, key=lambda c: (c.last_onset, c.cluster_id), reverse=True)


def _landmarks_near(
    points: np.ndarray,
    positions: dict,
    landmarks: gpd.GeoDataFrame,
    *,
    distance_m: float,
    crs,
) -> dict[object, list[tuple[str, str]]]:
    """(name, category) of the landmarks within `distance_m` of a case, per cluster id."""
    if not len(landmarks):
        return {}
    circles = shapely.buffer(points, distance_m, quad_segs=QUAD_SEGMENTS)
    near = gpd.GeoDataFrame(
        {"zone_id": list(positions)},
        geometry=[shapely.union_all(circles[where]) for where in positions.values()],
        crs=crs,
    )
    out: dict[object, list[tuple[str, str]]] = {}
    for row in zone_features(near, landmarks).itertuples():
        out.setdefault(row.zone_id, []).append((row.name_th or row.name_en or "", row.category))
    return out
