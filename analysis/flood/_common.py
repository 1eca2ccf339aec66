"""Private helpers shared by the flood analyses: type and CRS checks, metric CRS, areas."""

from __future__ import annotations

from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

GeometryKind = Literal["point", "line", "polygon"]

_KINDS: dict[str, GeometryKind] = {
    "Point": "point",
    "MultiPoint": "point",
    "LineString": "line",
    "MultiLineString": "line",
    "LinearRing": "line",
    "Polygon": "polygon",
    "MultiPolygon": "polygon",
}


def require_geoframe(frame: object, *, name: str) -> gpd.GeoDataFrame | gpd.GeoSeries:
    """Check that `frame` is a GeoDataFrame or GeoSeries with a CRS; return it unchanged."""
    if not isinstance(frame, gpd.GeoDataFrame | gpd.GeoSeries):
        raise TypeError(f"{name} must be a GeoDataFrame or GeoSeries, got {type(frame).__name__}")
    if frame.crs is None:
        raise ValueError(f"{name} has no CRS; set one (e.g. frame.set_crs(4326))")
    return frame


def is_metric(crs: CRS) -> bool:
    """True when `crs` is projected with metre axes."""
    if not crs.is_projected:
        return False
    units = {axis.unit_name.lower() for axis in crs.axis_info}
    return units <= {"metre", "meter", "m"}


def resolve_metric_crs(
    frame: gpd.GeoDataFrame | gpd.GeoSeries, metric_crs: object | None = None
) -> CRS:
    """The CRS to measure in: `metric_crs` if given, else the frame's own if metric, else UTM.

    UTM is estimated from the frame's extent (for Thailand this gives EPSG:32647 west of 102°E and
    32648 east of it, as `analysis.crs.metric_epsg_for`). Distances are never taken in degrees.
    """
    if metric_crs is not None:
        crs = CRS.from_user_input(metric_crs)
        if not is_metric(crs):
            raise ValueError(f"metric_crs must be a projected CRS in metres, got {crs.name!r}")
        return crs
    own = CRS.from_user_input(frame.crs)
    if is_metric(own):
        return own
    if frame.empty or frame.geometry.is_empty.all():
        raise ValueError(
            "cannot choose a metric CRS for an empty frame in degrees; pass metric_crs"
        )
    return CRS.from_user_input(frame.estimate_utm_crs())


def geometry_kind(geometries: gpd.GeoSeries) -> GeometryKind | None:
    """'point', 'line' or 'polygon' for a homogeneous series; None when it has no geometry."""
    types = set(geometries[~(geometries.isna() | geometries.is_empty)].geom_type.unique())
    if not types:
        return None
    kinds = {_KINDS.get(t) for t in types}
    if None in kinds or len(kinds) != 1:
        raise ValueError(f"mixed or unsupported geometry types: {sorted(types)}")
    return kinds.pop()


def geometry_array(geometries: gpd.GeoSeries | gpd.GeoDataFrame) -> np.ndarray:
    """The geometries as a plain numpy object array of shapely geometries (None kept)."""
    series = geometries.geometry if isinstance(geometries, gpd.GeoDataFrame) else geometries
    return np.asarray(series.array, dtype=object)


def assign_areas(
    points: np.ndarray, areas: gpd.GeoDataFrame, *, label_field: str | None
) -> np.ndarray:
    """The label of the one area holding each point (first area in row order on shared edges).

    Parameters
    ----------
    points : numpy.ndarray
        Shapely points (centroids) in the CRS of `areas`.
    areas : geopandas.GeoDataFrame
        Aggregation polygons.
    label_field : str or None
        Column whose value names an area; None uses the row index.

    Returns
    -------
    numpy.ndarray
        Object array of labels; None where no area holds the point.
    """
    labels = np.full(len(points), None, dtype=object)
    if len(points) == 0 or areas.empty:
        return labels
    names = areas.index.to_numpy() if label_field is None else areas[label_field].to_numpy()
    tree = shapely.STRtree(geometry_array(areas))
    point_idx, area_idx = tree.query(points, predicate="intersects")
    if len(point_idx):
        first = pd.DataFrame({"p": point_idx, "a": area_idx}).groupby("p")["a"].min()
        labels[first.index.to_numpy()] = names[first.to_numpy()]
    return labels


def default_label_field(areas: gpd.GeoDataFrame) -> str | None:
    """A sensible name column of an aggregation layer, or None (use the row index)."""
    for name in ("name", "name_en", "name_th", "code", "adm3_en", "adm3_pcode", "id"):
        if name in areas.columns:
            return name
    for name in areas.columns:
        if name != areas.geometry.name and areas[name].dtype == object:
            return name
    return None
