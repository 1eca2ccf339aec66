"""Spray zones around case houses and what lies inside them (DESIGN.md section 3)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analysis.dengue._common import (
    Onsets,
    as_of_days,
    check_non_negative,
    check_positive,
    connected_components,
    map_chunks,
    number_clusters,
    onset_days,
    pairs_within,
    point_xy,
    points_near,
    require_columns,
    require_metric_crs,
    require_metric_frame,
    worker_count,
)

__all__ = ["ZONE_COLUMNS", "spray_zones", "zone_contents", "zone_features"]

#: Columns of the frame returned by `spray_zones`, in order (geometry last).
ZONE_COLUMNS: tuple[str, ...] = (
    "zone_id",
    "n_cases",
    "case_ids",
    "first_onset",
    "last_onset",
    "closes_on",
    "active",
    "area_m2",
    "geometry",
)


def spray_zones(
    cases: gpd.GeoDataFrame,
    *,
    radius_m: float = 100.0,
    active_days: float = 28,
    as_of: object = None,
    time_col: str = "onset_date",
    cluster_col: str | None = None,
    merge_window_days: float | None = None,
    id_col: str | None = None,
    households: gpd.GeoDataFrame | None = None,
    quad_segs: int = 16,
) -> gpd.GeoDataFrame:
    """Spray zones: circles of ``radius_m`` around case houses, merged per connected group.

    Two cases share a zone when their circles overlap (centres at most ``2 * radius_m``
    apart) and their onsets are at most ``merge_window_days`` apart, chained: a case that
    arrives while an overlapping zone is still open joins it, and one that arrives after
    the zone closed starts a new zone, which may then overlap the old one on the map.
    Circles are merged per connected group of cases, never by one global union, which is
    what keeps this fast on large data (merging runs in a few threads).

    Parameters
    ----------
    cases : geopandas.GeoDataFrame
        Case houses as Points in a projected CRS in metres.
    radius_m : float, default 100
        Spray radius in metres.
    active_days : float, default 28
        A zone closes this many days after the last onset inside it.
    as_of : date or number, optional
        Day on which ``active`` is evaluated (a date when the onsets are dates, else a day
        number); the latest onset in ``cases`` if omitted.
    time_col : str, default "onset_date"
        Onset column: dates, ISO date strings or numbers of days.
    cluster_col : str, optional
        Column of cluster ids (e.g. ``cluster_id`` from `space_time_clusters`); the cases
        of one cluster (id >= 0) always share a zone, even where their circles do not touch.
    merge_window_days : float, optional
        Largest onset gap that still merges overlapping circles; ``active_days`` if omitted.
        ``math.inf`` merges every overlapping circle whatever the dates (one map of all
        places ever sprayed).
    id_col : str, optional
        Column whose values are listed in ``case_ids``; the index labels if omitted.
    households : geopandas.GeoDataFrame of Points, optional
        Household locations in the cases' CRS. Adds ``n_households``: the households within
        ``radius_m`` of a case house of the zone, by exact distance (the rule itself, not
        the polygon drawn for it; found with a grid index, without building a tree of
        millions of households). For footprints or other layers use `zone_contents`.
    quad_segs : int, default 16
        Segments per quarter circle of the zone polygons (16 gives polygons within 0.12 m of
        a true 100 m circle; geopandas' ``buffer`` uses the same default).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per zone, in the cases' CRS, numbered by first onset, with the columns of
        `ZONE_COLUMNS`: ``zone_id`` (0, 1, ...), ``n_cases``, ``case_ids`` (list, in onset
        order), ``first_onset`` and ``last_onset`` (dates or day numbers as given),
        ``closes_on`` (``last_onset + active_days``: the first day the zone is no longer
        active), ``active`` (``first_onset <= as_of < closes_on``), ``area_m2`` and
        ``geometry`` (Polygon or MultiPolygon); ``n_households`` before ``geometry`` when
        ``households`` is given.

    Raises
    ------
    TypeError
        If ``cases`` is not a GeoDataFrame.
    ValueError
        If the CRS is not metric, a column is missing or unparseable, a geometry is not a
        Point, or a parameter is out of range.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> cases = gpd.GeoDataFrame(
    ...     {"onset_date": pd.to_datetime(["2025-06-01", "2025-06-05", "2025-06-03"])},
    ...     geometry=[Point(0, 0), Point(150, 0), Point(1000, 0)],
    ...     crs="EPSG:32647",
    ... )
    >>> zones = spray_zones(cases, radius_m=100, as_of="2025-06-30")
    >>> zones[["zone_id", "n_cases", "active"]].to_dict("records")
    [{'zone_id': 0, 'n_cases': 2, 'active': True}, {'zone_id': 1, 'n_cases': 1, 'active': True}]
    >>> str(zones.loc[0, "closes_on"].date())
    '2025-07-03'
    """
    require_metric_frame(cases, name="cases")
    require_columns(cases, [time_col, cluster_col, id_col], name="cases")
    check_positive(radius_m=radius_m)
    check_non_negative(active_days=active_days)
    window = active_days if merge_window_days is None else merge_window_days
    if math.isnan(window) or window < 0:
        raise ValueError(f"merge_window_days must be >= 0 (or math.inf), got {window!r}")
    if isinstance(quad_segs, bool) or not isinstance(quad_segs, int) or quad_segs < 1:
        raise ValueError(f"quad_segs must be an int >= 1, got {quad_segs!r}")
    household_xy = None
    if households is not None:
        _require_same_crs(households, cases, name="households")
        household_xy = point_xy(households, name="households")
    xy = point_xy(cases, name="cases")
    onsets = onset_days(cases[time_col], column=time_col)
    if len(cases) == 0:
        empty = _empty_zones(cases.crs)
        if households is not None:
            empty.insert(len(ZONE_COLUMNS) - 1, "n_households", pd.Series(dtype="int64"))
        return empty
    as_of_day = onsets.days.max() if as_of is None else as_of_days(as_of, onsets)

    zone_of_case = _zone_labels(
        xy,
        onsets.days,
        radius_m=radius_m,
        window_days=window,
        clusters=_clusters(cases, cluster_col),
    )
    circles = circle_polygons(xy, radius_m=radius_m, quad_segs=quad_segs)
    geometry = union_by_group(circles, zone_of_case, xy=xy)

    n_zones = len(geometry)
    order = np.lexsort((onsets.days, zone_of_case))
    n_cases = np.bincount(zone_of_case, minlength=n_zones)
    first = np.full(n_zones, np.inf)
    last = np.full(n_zones, -np.inf)
    np.minimum.at(first, zone_of_case, onsets.days)
    np.maximum.at(last, zone_of_case, onsets.days)
    ids = (cases.index if id_col is None else cases[id_col]).to_numpy(dtype=object)
    case_ids = [list(chunk) for chunk in np.split(ids[order], np.cumsum(n_cases)[:-1])]
    closes = last + active_days

    zones = gpd.GeoDataFrame(
        {
            "zone_id": np.arange(n_zones, dtype=np.int64),
            "n_cases": n_cases.astype(np.int64),
            "case_ids": case_ids,
            "first_onset": _as_column(onsets, first),
            "last_onset": _as_column(onsets, last),
            "closes_on": _as_column(onsets, closes),
            "active": (first <= as_of_day) & (as_of_day < closes),
            "area_m2": shapely.area(geometry),
        },
        geometry=gpd.GeoSeries(geometry, crs=cases.crs),
        crs=cases.crs,
    )
    if household_xy is not None:
        zones.insert(
            len(ZONE_COLUMNS) - 1,
            "n_households",
            _households_per_zone(household_xy, xy, zone_of_case, n_zones, radius_m=radius_m),
        )
    return zones


def _households_per_zone(
    household_xy: np.ndarray,
    case_xy: np.ndarray,
    zone_of_case: np.ndarray,
    n_zones: int,
    *,
    radius_m: float,
) -> np.ndarray:
    """Households within ``radius_m`` of a case house of each zone (each counted once)."""
    household, case = points_near(household_xy, case_xy, distance_m=radius_m)
    pairs = np.sort(zone_of_case[case] * len(household_xy) + household)
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]] if len(pairs) else pairs
    return np.bincount(pairs // max(len(household_xy), 1), minlength=n_zones).astype(np.int64)


def _clusters(cases: gpd.GeoDataFrame, cluster_col: str | None) -> np.ndarray | None:
    if cluster_col is None:
        return None
    values = cases[cluster_col]
    if not pd.api.types.is_integer_dtype(values) or values.isna().any():
        raise ValueError(f"column {cluster_col!r} must hold integer cluster ids (-1 for noise)")
    return values.to_numpy(dtype=np.int64)


def _zone_labels(
    xy: np.ndarray,
    days: np.ndarray,
    *,
    radius_m: float,
    window_days: float,
    clusters: np.ndarray | None,
) -> np.ndarray:
    """Zone number per case: components of overlapping circles close enough in time."""
    i, j, _ = pairs_within(xy, distance_m=2.0 * radius_m)
    if math.isfinite(window_days):
        close = np.abs(days[i] - days[j]) <= window_days
        i, j = i[close], j[close]
    if clusters is not None:
        # Chain the members of each cluster so that a cluster is never split between zones.
        members = np.flatnonzero(clusters >= 0)
        members = members[np.argsort(clusters[members], kind="stable")]
        same = clusters[members[1:]] == clusters[members[:-1]]
        i = np.concatenate([i, members[:-1][same]])
        j = np.concatenate([j, members[1:][same]])
    components = connected_components(len(xy), i, j)
    return number_clusters(components, days, min_size=1)


def circle_polygons(xy: np.ndarray, *, radius_m: float, quad_segs: int = 16) -> np.ndarray:
    """Circles around points, vertex for vertex the polygons of ``shapely.buffer``.

    GEOS buffers a point by walking ``4 * quad_segs`` vertices clockwise from due east; the
    same vertices written straight into a coordinate array cost a third of the time.

    Parameters
    ----------
    xy : numpy.ndarray
        ``(n, 2)`` centres.
    radius_m : float
        Radius in CRS units.
    quad_segs : int, default 16
        Segments per quarter circle.

    Returns
    -------
    numpy.ndarray
        ``n`` shapely Polygons.
    """
    n_vertices = 4 * quad_segs
    angle = -np.arange(n_vertices) * (2.0 * np.pi / n_vertices)
    ring = np.column_stack([np.cos(angle), np.sin(angle)])
    ring[::quad_segs] = np.round(ring[::quad_segs])  # GEOS puts the compass points exactly
    ring *= radius_m

    def build(centres: np.ndarray) -> np.ndarray:
        coords = np.empty((len(centres), n_vertices + 1, 2))
        coords[:, :n_vertices] = centres[:, None, :] + ring[None, :, :]
        coords[:, n_vertices] = coords[:, 0]
        return shapely.polygons(coords)

    # Blocks of 20,000 circles keep the coordinate array near 20 MB.
    blocks = [xy[k : k + 20_000] for k in range(0, len(xy), 20_000)] or [xy]
    return np.concatenate([build(block) for block in blocks])


def union_by_group(geoms: np.ndarray, groups: np.ndarray, *, xy: np.ndarray) -> np.ndarray:
    """Union of the geometries of each group ``0 .. groups.max()``, as one array.

    A pairwise tree: at each level neighbouring members of every group (ordered along a
    Morton curve of ``xy``, so that neighbours in the order are neighbours on the ground) are
    merged with one vectorised ``shapely.union`` call, split over threads (GEOS releases the
    GIL). Items of one group with identical ``xy`` are taken to have identical geometry (true
    for circles of one radius) and are dropped before any geometry work.

    Parameters
    ----------
    geoms : numpy.ndarray of shapely geometries
        One geometry per item (here, a circle per case).
    groups : numpy.ndarray of int
        Group number per item, ``0 .. n_groups - 1``, every number used.
    xy : numpy.ndarray
        ``(n, 2)`` representative coordinates per item (the circle centres).

    Returns
    -------
    numpy.ndarray
        One geometry per group.
    """
    if len(geoms) == 0:
        return np.empty(0, dtype=object)
    key = _morton_key(xy)
    order = np.lexsort((xy[:, 1], xy[:, 0], key, groups))
    groups, key, xy, geoms = groups[order], key[order], xy[order], geoms[order]
    duplicate = np.r_[False, (groups[1:] == groups[:-1]) & (xy[1:] == xy[:-1]).all(axis=1)]
    groups, geoms = groups[~duplicate], geoms[~duplicate]
    workers = worker_count(len(geoms))
    while True:
        n = len(geoms)
        starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
        position = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
        left = position % 2 == 0
        merge = np.flatnonzero(left & np.r_[groups[1:] == groups[:-1], False])
        if len(merge) == 0:
            break
        merged = map_chunks(
            lambda idx, level=geoms: shapely.union(level[idx], level[idx + 1]),
            merge,
            workers=workers,
        )
        geoms = geoms.copy()
        geoms[merge] = np.concatenate(merged)
        geoms, groups = geoms[left], groups[left]
    return geoms


def _morton_key(xy: np.ndarray) -> np.ndarray:
    """Z-order (Morton) key of 16-bit quantised coordinates: nearby points get nearby keys."""
    low = xy.min(axis=0)
    span = float((xy.max(axis=0) - low).max()) or 1.0
    quantised = ((xy - low) / span * 65535.0).astype(np.uint64)

    def spread(v: np.ndarray) -> np.ndarray:
        v = (v | (v << np.uint64(8))) & np.uint64(0x00FF00FF)
        v = (v | (v << np.uint64(4))) & np.uint64(0x0F0F0F0F)
        v = (v | (v << np.uint64(2))) & np.uint64(0x33333333)
        return (v | (v << np.uint64(1))) & np.uint64(0x55555555)

    return spread(quantised[:, 0]) | (spread(quantised[:, 1]) << np.uint64(1))


def _as_column(onsets: Onsets, days: np.ndarray) -> object:
    return onsets.to_output(days) if onsets.is_date else days


def _empty_zones(crs: object) -> gpd.GeoDataFrame:
    columns = {
        "zone_id": pd.Series(dtype="int64"),
        "n_cases": pd.Series(dtype="int64"),
        "case_ids": pd.Series(dtype=object),
        "first_onset": pd.Series(dtype=object),
        "last_onset": pd.Series(dtype=object),
        "closes_on": pd.Series(dtype=object),
        "active": pd.Series(dtype=bool),
        "area_m2": pd.Series(dtype="float64"),
    }
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def zone_contents(
    zones: gpd.GeoDataFrame,
    *,
    households: gpd.GeoDataFrame | None = None,
    buildings: gpd.GeoDataFrame | None = None,
    landmarks: gpd.GeoDataFrame | None = None,
    category_col: str = "category",
) -> pd.DataFrame:
    """Count households, buildings and landmarks (per category) inside each zone.

    A feature counts in a zone when it intersects the zone polygon: points inside or on the
    edge, polygons (footprints) that touch it at all. A feature inside two overlapping zones
    counts in both.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        Zones (e.g. from `spray_zones`) in a projected CRS in metres.
    households, buildings, landmarks : geopandas.GeoDataFrame, optional
        Features (points or polygons) in the same CRS as ``zones``.
    category_col : str, default "category"
        Landmark category column (temple, school, market, health centre, ...).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``zones`` (with its ``zone_id`` column when present), with
        ``n_households``, ``n_buildings`` and ``n_landmarks`` for the layers given, and
        ``landmarks_<category>`` per category present in ``landmarks``.

    Raises
    ------
    TypeError
        If an input is not a GeoDataFrame.
    ValueError
        If a CRS is not metric or differs from the zones', or ``category_col`` is missing.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> zones = gpd.GeoDataFrame(
    ...     {"zone_id": [0]}, geometry=[Point(0, 0).buffer(100)], crs="EPSG:32647"
    ... )
    >>> landmarks = gpd.GeoDataFrame(
    ...     {"category": ["school", "temple", "school"]},
    ...     geometry=[Point(10, 0), Point(50, 50), Point(500, 0)],
    ...     crs="EPSG:32647",
    ... )
    >>> zone_contents(zones, landmarks=landmarks).to_dict("records")
    [{'zone_id': 0, 'n_landmarks': 2, 'landmarks_school': 1, 'landmarks_temple': 1}]
    """
    require_metric_frame(zones, name="zones")
    layers = {"households": households, "buildings": buildings, "landmarks": landmarks}
    for name, frame in layers.items():
        if frame is not None:
            _require_same_crs(frame, zones, name=name)
    if landmarks is not None:
        require_columns(landmarks, [category_col], name="landmarks")

    out = pd.DataFrame(index=zones.index)
    if "zone_id" in zones.columns:
        out["zone_id"] = zones["zone_id"].to_numpy()
    for name, frame in layers.items():
        if frame is None:
            continue
        zone_pos, feature_pos = _intersecting(zones, frame)
        out[f"n_{name}"] = np.bincount(zone_pos, minlength=len(zones)).astype(np.int64)
        if name == "landmarks":
            categories = frame[category_col].astype(str).to_numpy()[feature_pos]
            for category in sorted(set(categories)):
                hits = zone_pos[categories == category]
                counts = np.bincount(hits, minlength=len(zones)).astype(np.int64)
                out[f"landmarks_{category}"] = counts
    return out


def zone_features(zones: gpd.GeoDataFrame, features: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The features inside each zone, one row per (zone, feature): the visit list of a zone.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        Zones in a projected CRS in metres (``zone_id`` column used when present).
    features : geopandas.GeoDataFrame
        Points or polygons in the same CRS.

    Returns
    -------
    geopandas.GeoDataFrame
        Rows of ``features`` (index kept) with a leading ``zone_id`` column (the zones' index
        label when they have no ``zone_id``), ordered by zone then feature position.

    Raises
    ------
    TypeError
        If an input is not a GeoDataFrame.
    ValueError
        If a CRS is not metric or the two differ.
    """
    require_metric_frame(zones, name="zones")
    _require_same_crs(features, zones, name="features")
    zone_pos, feature_pos = _intersecting(zones, features)
    order = np.lexsort((feature_pos, zone_pos))
    zone_pos, feature_pos = zone_pos[order], feature_pos[order]
    labels = zones["zone_id"] if "zone_id" in zones.columns else zones.index.to_series()
    out = features.iloc[feature_pos].copy()
    out.insert(0, "zone_id", labels.to_numpy()[zone_pos])
    return out


def _require_same_crs(frame: object, other: gpd.GeoDataFrame, *, name: str) -> None:
    require_metric_frame(frame, name=name)
    if not require_metric_crs(frame.crs, name=name).equals(other.crs):
        raise ValueError(
            f"{name} is in {frame.crs.to_string()} but the zones/cases are in "
            f"{other.crs.to_string()}; reproject with .to_crs(...)"
        )


def _intersecting(
    zones: gpd.GeoDataFrame, features: gpd.GeoDataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """(zone position, feature position) of every intersecting pair.

    The features go into the tree and the zones are the (prepared) queries: one prepared
    polygon answers many point-in-polygon tests quickly, the other way round does not.
    """
    zone_geoms = np.asarray(zones.geometry.array, dtype=object)
    feature_geoms = np.asarray(features.geometry.array, dtype=object)
    if len(zone_geoms) == 0 or len(feature_geoms) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    tree = shapely.STRtree(feature_geoms)

    def query(positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        zone_hit, feature_hit = tree.query(zone_geoms[positions], predicate="intersects")
        return positions[zone_hit], feature_hit

    # Spread big and small zones evenly over the threads.
    positions = np.random.default_rng(0).permutation(len(zone_geoms))
    parts = map_chunks(query, positions, workers=worker_count(len(feature_geoms)))
    zone_pos = np.concatenate([p[0] for p in parts]).astype(np.int64)
    feature_pos = np.concatenate([p[1] for p in parts]).astype(np.int64)
    return zone_pos, feature_pos
