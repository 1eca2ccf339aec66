"""Shared helpers of the dengue analyses: input checks, onset days, pairs and components.

Private to `analysis.dengue`; `layers.dengue.sql` reuses `connected_components` and
`number_clusters` so that the PostGIS path numbers its clusters exactly like the geopandas path.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

T = TypeVar("T")

#: Epoch of the day numbers used internally for dates.
_EPOCH = pd.Timestamp("1970-01-01")
#: Thai records sometimes carry Buddhist-era years (2568 BE = 2025 CE); later years are refused.
_BUDDHIST_ERA_OFFSET_YEARS = 543
_LATEST_GREGORIAN_YEAR = 2400


def require_metric_frame(frame: object, *, name: str) -> gpd.GeoDataFrame:
    """Return ``frame`` if it is a GeoDataFrame in a projected CRS with metre units.

    Raises
    ------
    TypeError
        If ``frame`` is not a GeoDataFrame.
    ValueError
        If the CRS is missing, geographic or not in metres.
    """
    if not isinstance(frame, gpd.GeoDataFrame):
        raise TypeError(f"{name} must be a GeoDataFrame, got {type(frame).__name__}")
    require_metric_crs(frame.crs, name=name)
    return frame


def require_metric_crs(crs: object, *, name: str) -> CRS:
    """Return ``crs`` as a pyproj CRS after checking it is projected with metre axes."""
    if crs is None:
        raise ValueError(
            f"{name} has no CRS; set a projected CRS in metres (e.g. EPSG:32647, UTM 47N)"
        )
    crs = CRS.from_user_input(crs)
    if crs.is_geographic:
        raise ValueError(
            f"{name} is in {crs.to_string()}, a geographic CRS (degrees); distances are metres: "
            "reproject first, e.g. to EPSG:32647 (UTM 47N) or EPSG:32648 (UTM 48N)"
        )
    units = {axis.unit_name.lower() for axis in crs.axis_info}
    if not crs.is_projected or not units <= {"metre", "meter"}:
        raise ValueError(f"{name} CRS {crs.to_string()} must be projected in metres, got {units}")
    return crs


def require_columns(frame: pd.DataFrame, columns: list[str | None], *, name: str) -> None:
    """Raise ValueError naming every column of ``columns`` (None skipped) missing in ``frame``."""
    missing = [c for c in columns if c is not None and c not in frame.columns]
    if missing:
        raise ValueError(
            f"{name} has no column(s) {', '.join(map(repr, missing))}; "
            f"columns are {', '.join(map(str, frame.columns))}"
        )


def point_xy(frame: gpd.GeoDataFrame, *, name: str) -> np.ndarray:
    """Return the ``(n, 2)`` coordinates of a frame of non-empty Points."""
    geoms = np.asarray(frame.geometry.values, dtype=object)
    if len(geoms) == 0:
        return np.empty((0, 2))
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        row = frame.index[int(np.flatnonzero(missing)[0])]
        raise ValueError(f"{name} has {int(missing.sum())} row(s) without geometry (first: {row})")
    if (shapely.get_type_id(geoms) != shapely.GeometryType.POINT).any():
        raise ValueError(
            f"{name} must hold Points (case houses); use .centroid or "
            ".representative_point() for building footprints"
        )
    return shapely.get_coordinates(geoms)


@dataclass(frozen=True)
class Onsets:
    """Onsets as float day numbers, remembering whether they came as dates.

    Dates become whole days since 1970-01-01 (time of day dropped); plain numbers are days
    as given.
    """

    days: np.ndarray
    is_date: bool

    def to_output(self, days: np.ndarray | float) -> object:
        """Day numbers back in the input's kind: Timestamps for dates, numbers otherwise."""
        if not self.is_date:
            return days
        if np.ndim(days) == 0:
            return _EPOCH + pd.Timedelta(days=float(days))
        return pd.to_datetime(np.asarray(days, dtype="int64"), unit="D")


def onset_days(values: pd.Series, *, column: str) -> Onsets:
    """Parse an onset column (dates, date strings or numbers of days) into day numbers.

    Raises
    ------
    ValueError
        Naming the column, the first bad row and its value, if a value is missing or not a
        date/number.
    """
    if pd.api.types.is_bool_dtype(values):
        raise ValueError(f"column {column!r} holds booleans, not dates or days")
    if pd.api.types.is_numeric_dtype(values):
        days = values.to_numpy(dtype="float64", na_value=np.nan)
        _reject_missing(values, ~np.isfinite(days), column=column)
        return Onsets(days=days, is_date=False)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(values):
        stamps = pd.Series(values)
    else:
        stamps = _parse_dates(values, column=column)
    _reject_missing(values, stamps.isna().to_numpy(), column=column)
    buddhist = (stamps.dt.year > _LATEST_GREGORIAN_YEAR).to_numpy()
    if buddhist.any():
        position = int(np.flatnonzero(buddhist)[0])
        raise ValueError(
            f"column {column!r}: year {stamps.iloc[position].year} at row "
            f"{values.index[position]!r} looks like a Buddhist-era year; subtract "
            f"{_BUDDHIST_ERA_OFFSET_YEARS} (2568 BE = 2025 CE)"
        )
    days = (stamps.dt.floor("D") - _EPOCH) / pd.Timedelta(days=1)
    return Onsets(days=days.to_numpy(dtype="float64"), is_date=True)


def _parse_dates(values: pd.Series, *, column: str) -> pd.Series:
    """Parse date objects or ISO-like strings; raise on the first value that is not a date."""
    objects = values.astype(object)
    if all(isinstance(v, dt.date) or v is None or v is pd.NaT for v in objects):
        return pd.to_datetime(objects, errors="coerce")
    parsed = pd.to_datetime(objects, errors="coerce", format="mixed", dayfirst=False)
    bad = parsed.isna().to_numpy() & objects.notna().to_numpy()
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        value = objects.iloc[position]
        raise ValueError(
            f"column {column!r}: {int(bad.sum())} value(s) are not dates or numbers of days; "
            f"first at row {values.index[position]!r}: {value!r}"
        )
    return parsed


def _reject_missing(values: pd.Series, missing: np.ndarray, *, column: str) -> None:
    if missing.any():
        position = int(np.flatnonzero(missing)[0])
        raise ValueError(
            f"column {column!r} has {int(missing.sum())} missing onset(s); "
            f"first at row {values.index[position]!r}"
        )


def pairs_within(xy: np.ndarray, *, distance_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unordered pairs ``i < j`` of points at most ``distance_m`` apart, with their distances.

    A shapely STRtree ``dwithin`` query finds the candidates (never all pairs); the final
    test is ``hypot(dx, dy) <= distance_m`` in numpy so every caller draws the same line.

    Returns
    -------
    (i, j, distance_m) : tuple of numpy arrays
        ``int64`` indices with ``i < j`` sorted by ``i`` then ``j``, and ``float64`` distances.
    """
    n = len(xy)
    if n < 2:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty.copy(), np.empty(0)
    points = shapely.points(xy)
    tree = shapely.STRtree(points)
    # A hair of slack so that GEOS and numpy rounding never disagree at the limit.
    slack = 1e-9 * max(1.0, float(distance_m))

    def query(positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        left, right = tree.query(
            points[positions], predicate="dwithin", distance=distance_m + slack
        )
        left = positions[left]
        keep = left < right
        return left[keep].astype(np.int64), right[keep].astype(np.int64)

    parts = map_chunks(query, np.arange(n), workers=worker_count(n))
    i = np.concatenate([part[0] for part in parts])
    j = np.concatenate([part[1] for part in parts])
    distance = np.hypot(xy[i, 0] - xy[j, 0], xy[i, 1] - xy[j, 1])
    inside = distance <= distance_m
    i, j, distance = i[inside], j[inside], distance[inside]
    order = np.lexsort((j, i))
    return i[order], j[order], distance[order]


def points_near(
    points_xy: np.ndarray, centres_xy: np.ndarray, *, distance_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Every (point, centre) pair at most ``distance_m`` apart, found with a uniform grid.

    Built for many points (households) and fewer centres (case houses): the points are
    sorted once by grid cell (cells of ``distance_m``), then each centre reads the points of
    its 3 x 3 block of cells (contiguous runs of the sorted points) and ``hypot <=
    distance_m`` decides. Work grows with the points plus the candidate pairs, never with
    points x centres.

    Returns
    -------
    (point_index, centre_index) : tuple of numpy arrays of int64
        Unordered.
    """
    empty = np.empty(0, dtype=np.int64)
    if len(points_xy) == 0 or len(centres_xy) == 0:
        return empty, empty.copy()
    cell = max(float(distance_m), 1e-6)
    low = centres_xy.min(axis=0) - cell
    high = centres_xy.max(axis=0) + cell
    near = np.flatnonzero(
        (points_xy[:, 0] >= low[0])
        & (points_xy[:, 0] <= high[0])
        & (points_xy[:, 1] >= low[1])
        & (points_xy[:, 1] <= high[1])
    )
    n_cols = int((high[0] - low[0]) // cell) + 3
    n_rows = int((high[1] - low[1]) // cell) + 3
    point_cells = np.floor((points_xy[near] - low) / cell).astype(np.int64) + 1
    point_keys = point_cells[:, 0] * n_rows + point_cells[:, 1]
    order = np.argsort(point_keys, kind="stable")
    sorted_points = near[order]
    sorted_xy = points_xy[sorted_points]
    # Where each cell's run of sorted points starts: a dense table when the grid is small,
    # else a binary search among the occupied cells.
    dense = n_cols * n_rows <= 4 * len(sorted_points) + 1_000_000
    if dense:
        starts = np.zeros(n_cols * n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(point_keys, minlength=n_cols * n_rows), out=starts[1:])
    else:
        sorted_keys = point_keys[order]
    centre_cells = np.floor((centres_xy - low) / cell).astype(np.int64) + 1
    found_points, found_centres = [], []
    for d_col in (-1, 0, 1):
        for d_row in (-1, 0, 1):
            keys = (centre_cells[:, 0] + d_col) * n_rows + centre_cells[:, 1] + d_row
            if dense:
                first = starts[keys]
                count = starts[keys + 1] - first
            else:
                first = np.searchsorted(sorted_keys, keys, side="left")
                count = np.searchsorted(sorted_keys, keys, side="right") - first
            centre = np.repeat(np.arange(len(centres_xy)), count)
            run = np.arange(len(centre)) - np.repeat(np.cumsum(count) - count, count)
            candidate = np.repeat(first, count) + run
            gap = sorted_xy[candidate] - centres_xy[centre]
            inside = np.hypot(gap[:, 0], gap[:, 1]) <= distance_m
            found_points.append(sorted_points[candidate[inside]])
            found_centres.append(centre[inside])
    return np.concatenate(found_points), np.concatenate(found_centres)


def connected_components(n_nodes: int, source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Label the connected components of an undirected graph given as an edge list.

    Vectorised hooking and pointer jumping (Shiloach-Vishkin style): each round hooks every
    component root to the smallest root it touches, then compresses paths, so the number of
    components touching an edge at least halves per round.

    Parameters
    ----------
    n_nodes : int
        Nodes are ``0 .. n_nodes - 1``.
    source, target : numpy arrays of int
        Edge endpoints.

    Returns
    -------
    numpy.ndarray
        ``int64`` label per node: the smallest node index of its component.

    Examples
    --------
    >>> connected_components(5, np.array([0, 3]), np.array([2, 4])).tolist()
    [0, 1, 0, 3, 3]
    """
    parent = np.arange(n_nodes, dtype=np.int64)
    src = np.asarray(source, dtype=np.int64)
    dst = np.asarray(target, dtype=np.int64)
    while len(src):
        root_src, root_dst = parent[src], parent[dst]
        open_edges = root_src != root_dst
        if not open_edges.any():
            break
        src, dst = src[open_edges], dst[open_edges]
        root_src, root_dst = root_src[open_edges], root_dst[open_edges]
        np.minimum.at(parent, np.maximum(root_src, root_dst), np.minimum(root_src, root_dst))
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
    return parent


def number_clusters(labels: np.ndarray, days: np.ndarray, *, min_size: int) -> np.ndarray:
    """Turn component labels into cluster ids ``0, 1, ...``, with -1 for small components.

    ``labels`` are those of `connected_components` (each the smallest node of its component,
    so in ``0 .. n - 1``). Clusters are numbered by their first onset, ties broken by their
    first row, so the numbering depends only on the data and its row order.
    """
    n = len(labels)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    # Counting, not np.unique: labels are row numbers, and np.unique is slow on millions.
    sizes_by_label = np.bincount(labels, minlength=n)
    roots = np.flatnonzero(sizes_by_label)
    position = np.full(n, -1, dtype=np.int64)
    position[roots] = np.arange(len(roots))
    inverse = position[labels]
    sizes = sizes_by_label[roots]
    first_day = np.full(len(roots), np.inf)
    np.minimum.at(first_day, inverse, days)
    kept = sizes >= min_size
    order = np.lexsort((roots, first_day))
    order = order[kept[order]]
    cluster_of_root = np.full(len(roots), -1, dtype=np.int64)
    cluster_of_root[order] = np.arange(len(order))
    return cluster_of_root[inverse]


def check_positive(**values: float) -> None:
    """Raise ValueError for any value that is not a finite number > 0."""
    for name, value in values.items():
        if not np.isfinite(value) or value <= 0:
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


def check_non_negative(**values: float) -> None:
    """Raise ValueError for any value that is not a finite number >= 0."""
    for name, value in values.items():
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")


def as_of_days(as_of: object, onsets: Onsets) -> float:
    """Convert an ``as_of`` date (or day number) to the onsets' day numbers."""
    if onsets.is_date:
        if isinstance(as_of, int | float | np.number) and not isinstance(as_of, bool):
            raise ValueError("as_of must be a date when the onsets are dates")
        try:
            stamp = pd.Timestamp(as_of)
        except (ValueError, TypeError) as error:
            raise ValueError(f"as_of is not a date: {as_of!r}") from error
        if stamp is pd.NaT:
            raise ValueError(f"as_of is not a date: {as_of!r}")
        if stamp.tz is not None:
            stamp = stamp.tz_localize(None)
        return float((stamp.floor("D") - _EPOCH) / pd.Timedelta(days=1))
    if isinstance(as_of, bool) or not isinstance(as_of, int | float | np.number):
        raise ValueError("as_of must be a number of days when the onsets are numbers")
    return float(as_of)


#: Permutations per random stream; also bounds memory (rows x pairs per block).
_PERMUTATION_BLOCK = 16
#: Below this many items a thread pool costs more than it saves.
_PARALLEL_MIN_ITEMS = 20_000


def worker_count(n_items: int) -> int:
    """Threads to use for ``n_items`` of GEOS or numpy work (they release the GIL)."""
    if n_items < _PARALLEL_MIN_ITEMS:
        return 1
    return max(1, min(os.cpu_count() or 1, 4))


def map_chunks(function: Callable[[np.ndarray], T], items: np.ndarray, *, workers: int) -> list[T]:
    """Apply ``function`` to ``workers`` contiguous chunks of ``items``, in order."""
    if workers <= 1 or len(items) < 2:
        return [function(items)]
    chunks = np.array_split(items, workers)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(function, chunks))


class WindowCounter:
    """Counts, per ring, the candidate pairs whose onset gap is in ``[min_gap, max_gap]``.

    The pairs (sorted by ring) are fixed; only the onsets change between permutations, so
    a permutation costs two gathers, a few in-place integer passes and one segmented sum.
    Whole-day onsets use 16-bit integers when they span less than 89 years (a quarter of
    the memory traffic of float64), and ``|d| in [lo, hi]`` is one unsigned comparison
    ``(|d| - lo) <= hi - lo``.
    """

    #: Elements per gathered block: bounds memory at about 16 MB per array and thread.
    block_elements = 8_000_000

    def __init__(
        self,
        days: np.ndarray,
        i: np.ndarray,
        j: np.ndarray,
        ring_pairs: np.ndarray,
        min_gap: float,
        max_gap: float,
    ) -> None:
        self.n_rings = len(ring_pairs)
        self.nonempty = np.flatnonzero(ring_pairs)
        self.starts = np.r_[0, np.cumsum(ring_pairs)[:-1]][self.nonempty]
        # Native index type: np.take would otherwise convert the indices on every call.
        self.i, self.j = i.astype(np.intp), j.astype(np.intp)
        self.min_gap, self.max_gap = min_gap, max_gap
        span = float(np.ptp(days)) if len(days) else 0.0
        self.whole = bool(np.all(days == np.round(days))) and span < 2**31 - 1
        self.origin = float(days.min()) if len(days) else 0.0
        if self.whole:
            self.dtype, self.unsigned = (
                (np.int16, np.uint16) if span < 2**15 - 1 else (np.int32, np.uint32)
            )
            self.low = max(math.ceil(min_gap), 0)
            self.width = math.floor(max_gap) - self.low
        else:
            self.dtype = np.float64

    def counts(self, days_rows: np.ndarray) -> np.ndarray:
        """Window pairs per ring for each row of onsets; shape ``(rows, n_rings)``."""
        out = np.zeros((len(days_rows), self.n_rings), dtype=np.int64)
        if len(self.i) == 0 or (self.whole and self.width < 0):
            return out
        onsets = (days_rows - self.origin).astype(self.dtype)
        step = max(1, self.block_elements // len(self.i))
        for first in range(0, len(onsets), step):
            block = onsets[first : first + step]
            gap = np.take(block, self.i, axis=1)
            gap -= np.take(block, self.j, axis=1)
            np.abs(gap, out=gap)
            if self.whole:
                gap -= self.dtype(self.low)
                in_window = gap.view(self.unsigned) <= self.width
            else:
                in_window = (gap >= self.min_gap) & (gap <= self.max_gap)
            sums = np.add.reduceat(in_window.view(np.uint8), self.starts, axis=1, dtype=np.int32)
            out[first : first + step, self.nonempty] = sums
        return out


def permuted_window_counts(
    counter: WindowCounter,
    days: np.ndarray,
    *,
    permutations: int,
    seed: int | None,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Window pairs per ring under ``permutations`` random permutations of the onsets.

    Each block of permutations has its own random stream spawned from ``seed``, so the
    answer does not depend on how many threads share the work. ``progress`` (if given) is
    called with the number of permutations just finished, possibly from several threads.
    """
    if permutations == 0:
        return np.zeros((0, counter.n_rings), dtype=np.int64)
    n_blocks = math.ceil(permutations / _PERMUTATION_BLOCK)
    streams = np.random.SeedSequence(seed).spawn(n_blocks)
    lock = threading.Lock()

    def run(block_numbers: np.ndarray) -> list[np.ndarray]:
        results = []
        for k in block_numbers:
            size = min(_PERMUTATION_BLOCK, permutations - k * _PERMUTATION_BLOCK)
            rng = np.random.default_rng(streams[k])
            results.append(counter.counts(rng.permuted(np.tile(days, (size, 1)), axis=1)))
            if progress is not None:
                with lock:
                    progress(size)
        return results

    work = len(counter.i) * permutations
    parts = map_chunks(run, np.arange(n_blocks), workers=worker_count(work // 1000))
    return np.concatenate([block for part in parts for block in part], axis=0)


def finite_json(value: object) -> object:
    """NaN and infinite floats as None, in nested dicts and lists, so the value is valid JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite_json(item) for item in value]
    return value
