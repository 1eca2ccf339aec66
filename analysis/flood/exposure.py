"""Exposure of buildings, landmarks and other features: highest class and maximum depth touched.

Rules (DESIGN.md section 3): a feature takes the highest class or the maximum depth over the
zones or raster cells it touches, and counts in the one aggregation area holding its centroid.

"Touches" means exact cell coverage, not the centroid: a polygon takes every cell it overlaps
with a positive area (a building straddling two cells takes the larger depth; a cell that meets
the building only along an edge does not count, as in exactextract's ``max``); a line or point
takes every cell it meets, edges included (a point on the edge between two cells takes the
larger). Against hazard zones, polygons need an overlap with a positive area, points and lines
any contact.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from rasterio.windows import Window

from analysis.flood._common import (
    assign_areas,
    default_label_field,
    geometry_array,
    require_geoframe,
    resolve_metric_crs,
)
from analysis.flood.hazard import (
    DEFAULT_WINDOW_CELLS,
    DepthRaster,
    Hazard,
    HazardScheme,
    HazardZones,
    check_raster,
    read_window,
    window_transform,
)
from analysis.gdal_guard import RASTER_DRIVER

_POLYGON = 3
_MULTIPOLYGON = 6


def max_depth_m(
    geometries: gpd.GeoSeries | gpd.GeoDataFrame,
    *,
    raster: str | Path,
    band: int = 1,
    window_cells: int = DEFAULT_WINDOW_CELLS,
) -> np.ndarray:
    """The maximum raster value (depth in metres) over the cells each geometry touches.

    Polygons take the cells they overlap with a positive area (exact coverage: the same cells
    as exactextract's ``max``); points and lines the cells they meet. The raster is read window
    by window (`window_cells` at a time, only where geometries are), so it may be larger than
    memory; geometries are reprojected to the raster's CRS first.

    Parameters
    ----------
    geometries : geopandas.GeoSeries or geopandas.GeoDataFrame
        Points, lines or polygons with a CRS.
    raster : str or pathlib.Path
        Depth raster in metres.
    band : int
        Band to read.
    window_cells : int
        Most cells held in memory at once.

    Returns
    -------
    numpy.ndarray
        float64, one value per geometry; NaN where every touched cell is nodata, where the
        geometry lies outside the raster, or where it is empty.

    Examples
    --------
    A building straddling two cells takes the deeper one:

    >>> import tempfile, numpy as np, rasterio, geopandas as gpd
    >>> from rasterio.transform import from_origin
    >>> from shapely import box
    >>> path = tempfile.mkdtemp() + "/depth.tif"
    >>> with rasterio.open(path, "w", driver="GTiff", width=2, height=1, count=1,
    ...                    dtype="float32", crs=32647, transform=from_origin(0, 10, 10, 10),
    ...                    nodata=-9999) as dst:
    ...     dst.write(np.array([[0.2, 1.1]], dtype="float32"), 1)
    >>> max_depth_m(gpd.GeoSeries([box(8, 2, 12, 8)], crs=32647), raster=path).round(2).tolist()
    [1.1]
    """
    require_geoframe(geometries, name="geometries")
    series = geometries.geometry if isinstance(geometries, gpd.GeoDataFrame) else geometries
    out = np.full(len(series), np.nan)
    if len(series) == 0:
        return out
    with rasterio.open(raster, driver=RASTER_DRIVER) as src:
        check_raster(src, band=band)
        geoms = geometry_array(series.to_crs(src.crs))
        parts, owner = shapely.get_parts(geoms, return_index=True)
        keep = ~shapely.is_empty(parts)
        parts, owner = parts[keep], owner[keep]
        if len(parts) == 0:
            return out
        part_max = _parts_max(src, parts, band=band, window_cells=window_cells)
    found = ~np.isnan(part_max)
    np.fmax.at(out, owner[found], part_max[found])
    return out


def _cell_ranges(src: rasterio.io.DatasetReader, parts: np.ndarray) -> dict[str, np.ndarray]:
    """Inclusive row and column ranges of the cells each part may touch, with flags."""
    t = src.transform
    minx, miny, maxx, maxy = shapely.bounds(parts).T
    ca, cb = (minx - t.c) / t.a, (maxx - t.c) / t.a
    ra, rb = (maxy - t.f) / t.e, (miny - t.f) / t.e
    cmin, cmax = np.minimum(ca, cb), np.maximum(ca, cb)
    rmin, rmax = np.minimum(ra, rb), np.maximum(ra, rb)
    type_id = shapely.get_type_id(parts)
    is_area = np.isin(type_id, (_POLYGON, _MULTIPOLYGON))
    # Areas: cells overlapping the open box; points and lines: cells meeting the closed box.
    c0 = np.where(is_area, np.floor(cmin), np.ceil(cmin) - 1).astype(np.int64)
    c1 = np.where(is_area, np.ceil(cmax) - 1, np.floor(cmax)).astype(np.int64)
    r0 = np.where(is_area, np.floor(rmin), np.ceil(rmin) - 1).astype(np.int64)
    r1 = np.where(is_area, np.ceil(rmax) - 1, np.floor(rmax)).astype(np.int64)
    # A sliver thinner than rounding error still covers the cell it lies in.
    c1, r1 = np.maximum(c1, c0), np.maximum(r1, r0)
    outside = (c0 > src.width - 1) | (c1 < 0) | (r0 > src.height - 1) | (r1 < 0)
    # Connected geometries (single polygons, lines) spanning one row or one column of cells
    # touch every cell of their box; a point touches every cell of its closure box.
    certain = ((c1 == c0) | (r1 == r0)) & (type_id != _MULTIPOLYGON)
    certain |= type_id == 0
    return {
        "r0": np.clip(r0, 0, src.height - 1),
        "r1": np.clip(r1, 0, src.height - 1),
        "c0": np.clip(c0, 0, src.width - 1),
        "c1": np.clip(c1, 0, src.width - 1),
        "certain": certain & ~outside,
        "outside": outside,
        "is_area": is_area,
    }


def _parts_max(
    src: rasterio.io.DatasetReader, parts: np.ndarray, *, band: int, window_cells: int
) -> np.ndarray:
    """Maximum over the touched cells of each single-part geometry, window by window.

    Windows are bands of rows, as wide as the geometries need; bands without geometries are
    skipped, so a sparse layer over a huge raster reads little.
    """
    ranges = _cell_ranges(src, parts)
    r0, r1, c0, c1 = ranges["r0"], ranges["r1"], ranges["c0"], ranges["c1"]
    result = np.full(len(parts), np.nan)
    inside = np.flatnonzero(~ranges["outside"])
    if len(inside) == 0:
        return result
    shapely.prepare(parts[inside])
    band_rows = max(1, window_cells // (int(c1[inside].max() - c0[inside].min()) + 1))
    order = inside[np.argsort(r0[inside], kind="stable")]
    top = r0[order]
    row = int(top[0])
    while True:
        stop = min(row + band_rows, src.height)  # rows [row, stop)
        started = int(np.searchsorted(top, stop, side="left"))
        candidates = order[:started]
        members = candidates[r1[candidates] >= row]
        if len(members):
            w_c0, w_c1 = int(c0[members].min()), int(c1[members].max())
            w_r1 = min(stop - 1, int(r1[members].max()))
            window = Window(w_c0, row, w_c1 - w_c0 + 1, w_r1 - row + 1)
            data = read_window(src, window, band=band)
            inner = (r0[members] >= row) & (r1[members] <= w_r1)
            values = _window_max(
                parts[members],
                data,
                rows=(np.maximum(r0[members], row) - row, np.minimum(r1[members], w_r1) - row),
                cols=(c0[members] - w_c0, c1[members] - w_c0),
                certain=ranges["certain"][members] & inner,
                is_area=ranges["is_area"][members],
                transform=window_transform(src.transform, window),
            )
            result[members] = np.fmax(result[members], values)
        if (r1[members] >= stop).any():
            row = stop
        elif started < len(order):
            row = max(stop, int(top[started]))
        else:
            return result


def _window_max(
    parts: np.ndarray,
    data: np.ndarray,
    *,
    rows: tuple[np.ndarray, np.ndarray],
    cols: tuple[np.ndarray, np.ndarray],
    certain: np.ndarray,
    is_area: np.ndarray,
    transform: rasterio.Affine,
) -> np.ndarray:
    """Maximum of `data` over the cells each part touches, within one window.

    Every cell of a part's box is a candidate. Candidates are taken in order of decreasing value
    and tested exactly (shapely, prepared geometries) until one is touched: usually the first.
    """
    (ra, rb), (ca, cb) = rows, cols
    n_cols = cb - ca + 1
    counts = (rb - ra + 1) * n_cols
    result = np.full(len(parts), np.nan)
    total = int(counts.sum())
    if total == 0:
        return result
    owner = np.repeat(np.arange(len(parts)), counts)
    starts = np.cumsum(counts) - counts
    k = np.arange(total) - np.repeat(starts, counts)
    width = np.repeat(n_cols, counts)
    r = np.repeat(ra, counts) + k // width
    c = np.repeat(ca, counts) + k % width
    v = data[r, c]
    valid = ~np.isnan(v)
    owner, r, c, v = owner[valid], r[valid], c[valid], v[valid]
    if len(v) == 0:
        return result
    order = np.lexsort((-v, owner))
    owner, r, c, v = owner[order], r[order], c[order], v[order]
    first = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    group_end = np.r_[first[1:], len(owner)]
    group_part = owner[first]
    sure = certain[group_part]
    result[group_part[sure]] = v[first[sure]]
    # Exact tests for the rest, highest value first.
    pointer = first[~sure]
    end = group_end[~sure]
    pending = group_part[~sure]
    t = transform
    while len(pending):
        rr, cc = r[pointer], c[pointer]
        x_a, x_b = t.c + cc * t.a, t.c + (cc + 1) * t.a
        y_a, y_b = t.f + rr * t.e, t.f + (rr + 1) * t.e
        cells = shapely.box(
            np.minimum(x_a, x_b), np.minimum(y_a, y_b), np.maximum(x_a, x_b), np.maximum(y_a, y_b)
        )
        geoms = parts[pending]
        hit = shapely.intersects(geoms, cells)
        area = is_area[pending] & hit
        if area.any():
            hit[area] = ~shapely.touches(geoms[area], cells[area])
        result[pending[hit]] = v[pointer[hit]]
        pointer = pointer[~hit] + 1
        end, pending = end[~hit], pending[~hit]
        more = pointer < end
        pointer, end, pending = pointer[more], end[more], pending[more]
    return result


def _zone_max(geoms: np.ndarray, zones: HazardZones) -> tuple[np.ndarray, np.ndarray]:
    """Highest class rank (-1: none) and maximum zone depth touched by each geometry."""
    rank = np.full(len(geoms), -1, dtype=np.int64)
    depth = np.full(len(geoms), np.nan)
    zone_geoms = geometry_array(zones.frame)
    if len(geoms) == 0 or len(zone_geoms) == 0:
        return rank, depth
    tree = shapely.STRtree(zone_geoms)
    feature_idx, zone_idx = tree.query(geoms, predicate="intersects")
    is_area = np.isin(shapely.get_type_id(geoms[feature_idx]), (_POLYGON, _MULTIPOLYGON))
    if is_area.any():
        # A polygon meeting a zone only along an edge is not in it.
        edge_only = np.zeros(len(feature_idx), dtype=bool)
        edge_only[is_area] = shapely.touches(
            geoms[feature_idx[is_area]], zone_geoms[zone_idx[is_area]]
        )
        feature_idx, zone_idx = feature_idx[~edge_only], zone_idx[~edge_only]
    np.maximum.at(rank, feature_idx, zones.frame["class_rank"].to_numpy()[zone_idx])
    np.fmax.at(depth, feature_idx, zones.frame["depth_m"].to_numpy(dtype=float)[zone_idx])
    return rank, depth


def feature_exposure(
    features: gpd.GeoDataFrame,
    *,
    hazard: Hazard,
    aggregation: gpd.GeoDataFrame | None = None,
    aggregation_field: str | None = None,
    metric_crs: object | None = None,
) -> gpd.GeoDataFrame:
    """Each feature's hazard class, maximum depth and aggregation area.

    Parameters
    ----------
    features : geopandas.GeoDataFrame
        Points (landmarks), polygons (buildings) or lines, with a CRS.
    hazard : HazardZones or DepthRaster
        The flood.
    aggregation : geopandas.GeoDataFrame, optional
        Areas (subdistricts, villages); each feature counts in the one holding its centroid
        (centroids taken in the metric CRS).
    aggregation_field : str, optional
        Column naming the areas (default: a name-like column, else the index).
    metric_crs : optional
        CRS for centroids; default the features' own if metric, else their UTM zone.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of `features` (same index, CRS and geometry) with ``hazard_class`` (the dry class
        where nothing is touched), ``class_rank``, ``depth_m`` (NaN when unknown: zones without
        depth, or only nodata cells), ``affected`` (bool), ``no_data`` (a raster hazard had no
        valid cell under the feature) and, with an aggregation, ``area``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> from analysis.flood.hazard import zones_from_classes
    >>> zones = zones_from_classes(gpd.GeoDataFrame(
    ...     {"c": ["medium"]}, geometry=[box(0, 0, 10, 10)], crs=32647), class_field="c")
    >>> temples = gpd.GeoDataFrame(geometry=[Point(5, 5), Point(20, 5)], crs=32647)
    >>> feature_exposure(temples, hazard=zones)["hazard_class"].tolist()
    ['medium', 'dry']
    """
    require_geoframe(features, name="features")
    if not isinstance(hazard, HazardZones | DepthRaster):
        raise TypeError(f"hazard must be HazardZones or DepthRaster, got {type(hazard).__name__}")
    if aggregation is not None:
        require_geoframe(aggregation, name="aggregation")
    scheme = hazard.scheme
    out = features.copy()
    n = len(out)
    rank = np.full(n, -1, dtype=np.int64)
    depth = np.full(n, np.nan)
    no_data = np.zeros(n, dtype=bool)
    if n:
        if isinstance(hazard, DepthRaster):
            depth = max_depth_m(
                features.geometry,
                raster=hazard.path,
                band=hazard.band,
                window_cells=hazard.window_cells,
            )
            rank = scheme.classify(depth)
            no_data = np.isnan(depth) & ~features.geometry.is_empty.to_numpy()
        else:
            geoms = geometry_array(features.geometry.to_crs(hazard.crs))
            rank, depth = _zone_max(geoms, hazard)
    rank = np.where(rank < 0, 0, rank)
    out["hazard_class"] = np.asarray(scheme.classes, dtype=object)[rank]
    out["class_rank"] = rank
    out["depth_m"] = depth
    out["affected"] = np.asarray(scheme.affected, dtype=bool)[rank]
    out["no_data"] = no_data
    if aggregation is not None:
        out["area"] = aggregation_labels(
            features,
            aggregation=aggregation,
            aggregation_field=aggregation_field,
            metric_crs=metric_crs,
        )
    return out


def aggregation_labels(
    features: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    aggregation: gpd.GeoDataFrame,
    aggregation_field: str | None = None,
    metric_crs: object | None = None,
) -> np.ndarray:
    """Name of the one aggregation area holding each feature's centroid (None: in none)."""
    require_geoframe(features, name="features")
    require_geoframe(aggregation, name="aggregation")
    labels = np.full(len(features), None, dtype=object)
    if len(features) == 0 or aggregation.empty:
        return labels
    field = aggregation_field or default_label_field(aggregation)
    if field is not None and field not in aggregation.columns:
        raise ValueError(f"aggregation has no field {field!r}")
    crs = resolve_metric_crs(features, metric_crs)
    centroids = geometry_array(features.geometry.to_crs(crs).centroid)
    return assign_areas(centroids, aggregation.to_crs(crs), label_field=field)


def exposure_summary(
    exposed: pd.DataFrame,
    *,
    scheme: HazardScheme,
    type_field: str | None = None,
) -> dict[str, object]:
    """Counts of an exposed layer: total, affected, by class, affected by type, no data.

    Parameters
    ----------
    exposed : pandas.DataFrame
        Output of `feature_exposure` (or `road_exposure(...).roads`).
    scheme : HazardScheme
        The classes (all appear in ``by_class``, zeros included).
    type_field : str, optional
        Column whose values split the affected count (``by_type``).

    Returns
    -------
    dict
        ``{"total", "affected", "by_class": {class: n}, "by_type": {type: n}, "no_data"}``.
    """
    counts = exposed["hazard_class"].value_counts() if len(exposed) else pd.Series(dtype=int)
    by_type: dict[str, int] = {}
    if type_field is not None and type_field in exposed.columns and len(exposed):
        affected = exposed[exposed["affected"].to_numpy(dtype=bool)]
        types = affected[type_field].fillna("").astype(str)
        by_type = {str(k): int(v) for k, v in types.value_counts().sort_index().items()}
    return {
        "total": len(exposed),
        "affected": int(exposed["affected"].sum()) if len(exposed) else 0,
        "by_class": {c: int(counts.get(c, 0)) for c in scheme.classes},
        "by_type": by_type,
        "no_data": int(exposed["no_data"].sum()) if "no_data" in exposed.columns else 0,
    }


def summary_by_area(exposed: pd.DataFrame, *, scheme: HazardScheme) -> dict[str, dict[str, object]]:
    """`exposure_summary` per aggregation area (column ``area``; features in none: ``""``)."""
    if "area" not in exposed.columns:
        return {}
    areas = exposed["area"].fillna("").astype(str)
    return {
        name: exposure_summary(group, scheme=scheme)
        for name, group in exposed.groupby(areas, sort=True)
    }


def class_table(exposed: pd.DataFrame, *, scheme: HazardScheme, type_field: str) -> pd.DataFrame:
    """Counts of features by type (rows) and hazard class (columns, every class present)."""
    if len(exposed) == 0:
        return pd.DataFrame(columns=list(scheme.classes), dtype=int)
    table = pd.crosstab(exposed[type_field].fillna("").astype(str), exposed["hazard_class"])
    return table.reindex(columns=list(scheme.classes), fill_value=0)


def counts_to_json(mapping: Mapping[str, object]) -> dict[str, object]:
    """Plain Python numbers for JSON (numpy scalars and NaN become int/float/None)."""
    out: dict[str, object] = {}
    for key, value in mapping.items():
        if isinstance(value, Mapping):
            out[str(key)] = counts_to_json(value)
        elif isinstance(value, np.integer):
            out[str(key)] = int(value)
        elif isinstance(value, float | np.floating):
            out[str(key)] = None if np.isnan(value) else float(value)
        else:
            out[str(key)] = value
    return out
