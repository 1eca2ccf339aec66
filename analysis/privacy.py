"""Privacy tiers for case locations: donut masking and suppressed public counts (pure).

Three tiers (README "Privacy tiers"): exact points for health officers and administrators;
masked points for other staff (`donut_mask`); only suppressed counts for the public
(`suppressed_counts`).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analysis.masking import mask_points

SUPPRESSED = -1  # marks a suppressed cell in published tables


def _require_metric(frame: gpd.GeoSeries | gpd.GeoDataFrame, name: str) -> None:
    if frame.crs is None or not frame.crs.is_projected:
        raise ValueError(f"{name} must be in a projected (metric) CRS, got {frame.crs}")


def k_anonymous_radius_m(
    points: gpd.GeoSeries, *, households: gpd.GeoSeries, k: int = 50
) -> np.ndarray:
    """Distance from each point to its k-th nearest household.

    A masked point displaced by at least this distance could have come from any of at least
    `k` households (Hampton et al. 2010, "Mapping health data: improved privacy protection with
    donut method geomasking", Am J Epidemiol 172:1062).

    Parameters
    ----------
    points : GeoSeries
        True locations, projected CRS (metres).
    households : GeoSeries
        Household locations (points or polygons, taken at their representative point), same CRS.
    k : int
        Minimum number of candidate households.

    Returns
    -------
    numpy.ndarray
        One radius in metres per point; `inf` where fewer than `k` households exist.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> homes = gpd.GeoSeries([Point(x, 0) for x in range(1, 11)], crs=32647)
    >>> k_anonymous_radius_m(gpd.GeoSeries([Point(0, 0)], crs=32647), households=homes, k=3)
    array([3.])
    """
    _require_metric(points, "points")
    if len(points) == 0:
        return np.zeros(0)
    homes = households.to_crs(points.crs).representative_point()
    if len(homes) < k:
        return np.full(len(points), np.inf)
    home_xy = shapely.get_coordinates(homes.values)
    radii = np.empty(len(points))
    tree = shapely.STRtree(homes.values)
    for i, point in enumerate(points.values):
        # Grow a search box until it holds k households; exact distances inside it.
        reach = 50.0
        while True:
            hits = tree.query(point.buffer(reach, quad_segs=4))
            if len(hits) >= k or reach > 1e6:
                break
            reach *= 2
        d = np.hypot(home_xy[hits, 0] - point.x, home_xy[hits, 1] - point.y)
        kth = np.partition(d, k - 1)[k - 1] if len(d) >= k else np.inf
        radii[i] = kth if kth <= reach else _kth_exact(home_xy, point, k)
    return radii


def _kth_exact(home_xy: np.ndarray, point, k: int) -> float:
    d = np.hypot(home_xy[:, 0] - point.x, home_xy[:, 1] - point.y)
    return float(np.partition(d, k - 1)[k - 1])


@dataclass(frozen=True)
class MaskResult:
    """Masked locations and how far each moved."""

    points: gpd.GeoSeries
    displacement_m: np.ndarray
    min_radius_m: np.ndarray


def donut_mask(
    points: gpd.GeoSeries,
    *,
    keys: list[str],
    secret: bytes,
    households: gpd.GeoSeries,
    areas: gpd.GeoSeries,
    k: int = 50,
    spread: float = 2.0,
    max_tries: int = 400,
) -> MaskResult:
    """Move each point to a deterministic random place in a donut, inside its own area.

    The inner radius is the k-anonymous radius of the point's household (at least `k`
    households could be the source); the outer radius is `spread` times it. The angle and the
    distance (uniform in area) come from a stream keyed by HMAC(secret, key), so a case is
    always masked to the same place and repeated requests reveal nothing more. A masked point
    stays inside its area (e.g. subdistrict), and is published only where at least `k`
    households of that area, as a viewer sees them, hold it in their own donut (the check of
    `analysis.masking.mask_points`); a point no draw can hide comes back empty.

    Parameters
    ----------
    points : GeoSeries
        True locations, projected CRS.
    keys : list of str
        A stable identifier per point (e.g. the case id).
    secret : bytes
        Masking secret; without it the masked places cannot be reproduced.
    households : GeoSeries
        Household locations for the k-anonymous radius.
    areas : GeoSeries
        For each point, the polygon it must stay in (same index order as `points`).
    k : int
        Minimum households that could be the source.
    spread : float
        Outer radius / inner radius.
    max_tries : int
        Draws (over growing donuts) before the point is left unpublished (empty).

    Returns
    -------
    MaskResult
        Masked points (same CRS and index), displacement and inner radius in metres.

    Examples
    --------
    >>> from shapely.geometry import Point, box
    >>> homes = gpd.GeoSeries([Point(x, y) for x in range(0, 100, 10) for y in range(0, 100, 10)],
    ...                       crs=32647)
    >>> area = gpd.GeoSeries([box(-1, -1, 101, 101)], crs=32647)
    >>> out = donut_mask(gpd.GeoSeries([Point(50, 50)], crs=32647), keys=["c1"], secret=b"s",
    ...                  households=homes, areas=area, k=5)
    >>> bool(out.displacement_m[0] >= out.min_radius_m[0])
    True
    """
    _require_metric(points, "points")
    out = mask_points(
        points, keys=keys, secret=secret, households=households, areas=areas, k=k,
        spread=spread, max_tries=max_tries,
    )  # fmt: skip
    return MaskResult(out.points, out.displacement_m, out.min_radius_m)


@dataclass(frozen=True)
class PublishedTable:
    """A count table safe to publish: suppressed cells and totals hold `SUPPRESSED`."""

    cells: pd.DataFrame
    row_totals: pd.Series
    column_totals: pd.Series


def suppressed_counts(table: pd.DataFrame, *, threshold: int = 5) -> PublishedTable:
    """Suppress small cells of a count table and protect them from subtraction.

    Cells with 0 < count < threshold are suppressed. Row and column totals are published, so a
    line (row or column) with exactly one suppressed cell would give it away: the smallest
    other non-zero cell of that line is suppressed too, repeated until no line has exactly
    one. Zeros are never used as complements (a zero total would reveal them); a line with no
    non-zero cell left to hide has its total suppressed instead. Totals under the threshold
    are suppressed, and if exactly one row (or column) total is suppressed, the smallest other
    one is too, because the totals of the other direction add up to the same grand total.

    Parameters
    ----------
    table : DataFrame
        Non-negative integer counts (e.g. subdistricts x epidemiological weeks).
    threshold : int
        Smallest count that may be published.

    Returns
    -------
    PublishedTable
        Cells, row totals and column totals; suppressed values are `SUPPRESSED` (-1).

    Examples
    --------
    >>> t = pd.DataFrame({"w1": [3, 10], "w2": [8, 12]}, index=["a", "b"])
    >>> suppressed_counts(t).cells.to_dict()
    {'w1': {'a': -1, 'b': -1}, 'w2': {'a': -1, 'b': -1}}
    """
    values = table.to_numpy(dtype=np.int64, copy=True)
    if (values < 0).any():
        raise ValueError("counts must be non-negative")
    hidden = (values > 0) & (values < threshold)
    hidden_total = [np.zeros(values.shape[1], bool), np.zeros(values.shape[0], bool)]
    changed = True
    while changed:
        changed = False
        for axis in (0, 1):
            # Lines along `axis`: columns for 0, rows for 1 (views, so writes reach `hidden`).
            lines = hidden.T if axis == 0 else hidden
            counts = values.T if axis == 0 else values
            totals = hidden_total[axis]
            for i in np.flatnonzero((lines.sum(axis=1) == 1) & ~totals):
                pool = np.flatnonzero(~lines[i] & (counts[i] > 0))
                if len(pool):
                    lines[i, pool[np.argmin(counts[i][pool])]] = True
                else:
                    totals[i] = True
                changed = True
    column_totals = _protected_totals(values.sum(axis=0), hidden_total[0], threshold)
    row_totals = _protected_totals(values.sum(axis=1), hidden_total[1], threshold)
    return PublishedTable(
        cells=pd.DataFrame(
            np.where(hidden, SUPPRESSED, values), index=table.index, columns=table.columns
        ),
        row_totals=pd.Series(row_totals, index=table.index),
        column_totals=pd.Series(column_totals, index=table.columns),
    )


def _protected_totals(totals: np.ndarray, forced: np.ndarray, threshold: int) -> np.ndarray:
    hide = forced | ((totals > 0) & (totals < threshold))
    if hide.sum() == 1 and len(totals) > 1:
        candidates = np.flatnonzero(~hide)
        hide[candidates[np.argmin(totals[candidates])]] = True
    return np.where(hide, SUPPRESSED, totals)
